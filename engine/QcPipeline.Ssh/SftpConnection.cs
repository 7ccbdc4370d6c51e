using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;
using RenciSshException = Renci.SshNet.Common.SshException;
using RenciSftpClient = Renci.SshNet.SftpClient;

namespace QcPipeline.Ssh;

/// <summary>
/// One SSH connection with its SFTP channel, on SSH.NET. It takes many requests at once from many tasks: each
/// SFTP request carries an id and its answer is matched to it, so one connection can have dozens of opens, reads
/// and listings in flight (on a distant server that, not the number of connections, is what makes it fast).
/// Every failure is an <see cref="SshException"/> naming user@host:port and the path; a failure that breaks the
/// connection (lost, timed out) marks it unusable, and the pool replaces it.
/// </summary>
public sealed class SftpConnection : IDisposable
{
    // SSH.NET asks for (buffer size - 13) bytes per read: the SFTP data header fits in its 64 KiB channel packet.
    private const int ReadOverhead = 13;
    private const int MaxRequestBytes = 65536 - ReadOverhead;

    // A folder's names are asked for this many readdirs at a time (a server answers them in turn, the last ones
    // with end-of-folder): a site folder of 500 names costs one round trip after its opendir, not six.
    private const int ReadDirsInFlight = 8;

    // A whole-file download asks for 64 KiB per read, with up to this many reads of one file in flight (2 MiB:
    // four files on a connection keep 8 MiB in flight, far more than a 40 ms, 100 Mbit/s link holds).
    private const int DownloadChunk = 64 * 1024, DownloadReadsInFlight = 32;

    private readonly RenciSftpClient _client;
    private readonly SftpRequests? _requests;
    private readonly object _openGate = new();
    private long _bytesRead;
    private int _inFlight;
    private int _users = 1;
    private volatile bool _broken;
    private volatile bool _disposed;

    private SftpConnection(SftpConnectionSettings settings, RenciSftpClient client, string fingerprint)
    {
        Settings = settings; _client = client; HostKeyFingerprint = fingerprint;
        _requests = SftpRequests.For(client);
        client.ErrorOccurred += (_, _) => _broken = true;
    }

    /// <summary>What it was opened with (secrets included; never printed).</summary>
    public SftpConnectionSettings Settings { get; }

    /// <summary>The server's host key as verified, SHA256:… .</summary>
    public string HostKeyFingerprint { get; }

    /// <summary>False once the connection failed or was aborted: it must be replaced.</summary>
    public bool IsConnected => !_broken && !_disposed && _client.IsConnected;

    /// <summary>File bytes received through this connection (what reads and downloads returned).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Operations (listings, opens, reads, downloads) waiting for the server right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Opens, verifies the host key (in SSH.NET's HostKeyReceived), authenticates and starts SFTP.</summary>
    public static Task<SftpConnection> ConnectAsync(SftpConnectionSettings settings, CancellationToken ct = default) =>
        SshConnector.ConnectAsync(settings, (client, fingerprint) => new SftpConnection(settings, client, fingerprint), ct);

    /// <summary>The entries of a remote folder ("." and ".." included, as the server sends them).</summary>
    public Task<IReadOnlyList<SftpEntry>> ListAsync(string path, CancellationToken ct = default) => Run(path, "listing", ct, async () =>
    {
        var entries = new List<SftpEntry>();
        if (_requests is null)
        {
            await foreach (var f in _client.ListDirectoryAsync(path, ct).ConfigureAwait(false))
                entries.Add(SftpEntry.From(f.Name, f.Attributes));
            return (IReadOnlyList<SftpEntry>)entries;
        }
        // opendir, then several readdirs at once until one says the folder has ended; the close is not waited for.
        var handle = await _requests.OpenDirAsync(path, ct).ConfigureAwait(false);
        var pending = new Queue<Task<KeyValuePair<string, SftpFileAttributes>[]?>>();
        try
        {
            // A server answers a handle's requests in turn: the first end-of-folder means the rest say so too.
            while (true)
            {
                if (pending.Count == 0)
                    for (var i = 0; i < ReadDirsInFlight; i++) pending.Enqueue(_requests.ReadDirAsync(handle, ct));
                if (await pending.Dequeue().ConfigureAwait(false) is not { } names) break;
                foreach (var (name, attributes) in names) entries.Add(SftpEntry.From(name, attributes));
            }
        }
        finally
        {
            foreach (var t in pending) Observe(t);
            CloseLater(handle);
        }
        return (IReadOnlyList<SftpEntry>)entries;
    });

    /// <summary>What a path is, following links (a dangling link comes back as a link), and where it really is.</summary>
    public Task<(SftpEntry Entry, string RealPath)> StatAsync(string path, CancellationToken ct = default) => Run(path, null, ct, async () =>
    {
        var file = await _client.GetAsync(path, ct).ConfigureAwait(false);
        return (SftpEntry.From(Path.GetFileName(path.TrimEnd('/')), file.Attributes), file.FullName);
    });

    /// <summary>The canonical absolute path (links resolved), as the server sees it: one realpath request.</summary>
    public Task<string> RealPathAsync(string path, CancellationToken ct = default) => _requests is null
        ? StatAsync(path, ct).ContinueWith(t => t.Result.RealPath, ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default)
        : Run(path, null, ct, () => _requests.RealPathAsync(path, ct));

    /// <summary>Opens a remote file for reads at offsets; each read asks for <paramref name="requestBytes"/> at a
    /// time (so a header that fits comes back in one request).</summary>
    public Task<RemoteFile> OpenAsync(string path, int requestBytes, CancellationToken ct = default) => Run(path, null, ct, async () =>
    {
        if (_requests is not null) return new RemoteFile(this, await _requests.OpenAsync(path, ct).ConfigureAwait(false), path); // one round trip
        Task<SftpFileStream> opening;
        // SSH.NET takes the read size from the client's BufferSize when a file is opened: set it and open at once.
        lock (_openGate)
        {
            _client.BufferSize = (uint)(Math.Clamp(requestBytes, 512, MaxRequestBytes) + ReadOverhead);
            opening = _client.OpenAsync(path, FileMode.Open, FileAccess.Read, ct);
        }
        return new RemoteFile(this, await opening.ConfigureAwait(false), path);
    });

    /// <summary>Copies a whole remote file into <paramref name="destination"/> with many reads in flight; returns its
    /// length. <paramref name="expectedLength"/> (from the listing) sizes the first reads; the file is read to its end
    /// whatever its length is by then.</summary>
    public Task<long> DownloadAsync(string path, Stream destination, long expectedLength = -1, CancellationToken ct = default) => Run(path, "downloading", ct, async () =>
    {
        if (_requests is not null) return await DownloadPipelinedAsync(path, destination, expectedLength, ct).ConfigureAwait(false);
        var start = destination.CanSeek ? destination.Position : 0;
        lock (_openGate) _client.BufferSize = MaxRequestBytes + ReadOverhead;
        await _client.DownloadFileAsync(path, destination, ct).ConfigureAwait(false);
        var length = destination.CanSeek ? destination.Position - start : 0;
        Interlocked.Add(ref _bytesRead, length);
        return length;
    });

    // open, then reads of 64 KiB in order with up to DownloadReadsInFlight in flight, written as they come in, and
    // one read at the expected length that tells the end of the file (or that it grew: then reads go on). A read
    // the server answered short leaves a gap that is read before the data after it is written.
    private async Task<long> DownloadPipelinedAsync(string path, Stream destination, long expectedLength, CancellationToken ct)
    {
        var requests = _requests!;
        var handle = await requests.OpenAsync(path, ct).ConfigureAwait(false);
        var reads = new Queue<(long Offset, byte[] Buffer, Task<int> Read)>();
        long next = 0, written = 0;
        try
        {
            void Ask()
            {
                var length = next < expectedLength ? (int)Math.Min(DownloadChunk, expectedLength - next) : DownloadChunk;
                var buffer = ArrayPool<byte>.Shared.Rent(DownloadChunk);
                reads.Enqueue((next, buffer, requests.ReadAsync(handle, next, buffer.AsMemory(0, length), ct)));
                next += length;
            }
            async Task<bool> Write(byte[] buffer, long offset, int n)
            {
                await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                written = offset + n;
                Interlocked.Add(ref _bytesRead, n);
                return true;
            }
            // Reads [written, to) one request at a time; false when the file ended first.
            async Task<bool> Fill(long to)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(DownloadChunk);
                try
                {
                    while (written < to)
                    {
                        var n = await requests.ReadAsync(handle, written, buffer.AsMemory(0, (int)Math.Min(DownloadChunk, to - written)), ct).ConfigureAwait(false);
                        if (n == 0) return false;
                        await Write(buffer, written, n).ConfigureAwait(false);
                    }
                    return true;
                }
                finally { ArrayPool<byte>.Shared.Return(buffer); }
            }
            Ask();
            while (reads.Count > 0)
            {
                while (reads.Count < DownloadReadsInFlight && next <= expectedLength) Ask();
                var (offset, buffer, read) = reads.Dequeue();
                try
                {
                    var n = await read.ConfigureAwait(false);
                    if (offset > written && !await Fill(offset).ConfigureAwait(false)) break;
                    if (n == 0) break; // the end of the file
                    await Write(buffer, offset, n).ConfigureAwait(false);
                }
                finally { ArrayPool<byte>.Shared.Return(buffer); }
                if (reads.Count == 0) Ask(); // past the expected length: go on until the end is seen
            }
        }
        finally
        {
            foreach (var r in reads) Observe(r.Read);
            CloseLater(handle);
        }
        return written;
    }

    internal Task<int> ReadAtAsync(byte[] handle, string path, long offset, Memory<byte> buffer, CancellationToken ct) => Run(path, "reading", ct, async () =>
    {
        var n = await _requests!.ReadAsync(handle, offset, buffer, ct).ConfigureAwait(false);
        Interlocked.Add(ref _bytesRead, n);
        return n;
    });

    // A handle's close is sent without waiting for its answer; on a connection that is gone it is gone with it
    // (SSH.NET throws at once, before any task exists, when its session is closed, or its socket's pipe is broken).
    internal void CloseLater(byte[] handle)
    {
        try { Observe(_requests!.CloseAsync(handle, CancellationToken.None)); }
        catch (Exception e) when (e is RenciSshException or ObjectDisposedException or IOException or InvalidOperationException or SocketException) { }
        // SSH.NET's SubsystemSession.SendData checks its channel, then uses it: a Dispose on another thread nulls it in
        // between, and the send throws NullReferenceException. Only then (we are closing) is it the connection gone.
        catch (NullReferenceException) when (_disposed) { }
    }

    // A request whose answer nobody waits for: its failure (a closing connection) must not go unobserved.
    private static void Observe(Task task) =>
        task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    internal Task<int> ReadAsync(SftpFileStream stream, string path, Memory<byte> buffer, CancellationToken ct) => Run(path, "reading", ct, async () =>
    {
        var n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
        Interlocked.Add(ref _bytesRead, n);
        return n;
    });

    // A file's close is sent without waiting for its answer: nobody needs it, and waiting would cost a round trip.
    internal void CloseLater(SftpFileStream stream)
    {
        _ = CloseAsync(stream);
        static async Task CloseAsync(SftpFileStream s)
        {
            try { await s.DisposeAsync().ConfigureAwait(false); }
            catch (Exception) { /* the connection is closing or broken: its handles go with it */ }
        }
    }

    /// <summary>Whether this connection answers its requests without the extra round trips of SSH.NET's public file
    /// API (see <see cref="SftpRequests"/>).</summary>
    public bool SendsSingleRequests => _requests is not null;

    /// <summary>Another user of this connection (it takes many requests at once), or null if it is closing: the
    /// connection closes when the last user disposes it (or at once when it is broken).</summary>
    public SftpConnection? Share()
    {
        for (var users = Volatile.Read(ref _users); users > 0 && IsConnected; users = Volatile.Read(ref _users))
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users) return this;
        return null;
    }

    /// <summary>Breaks every request in flight (from another thread) and marks the connection unusable.</summary>
    public void Abort()
    {
        _broken = true;
        _ = Task.Run(Dispose);
    }

    private async Task<T> Run<T>(string path, string? doing, CancellationToken ct, Func<Task<T>> call)
    {
        var where = $"{Settings.Where}:{path}{(doing is null ? "" : ": " + doing)}";
        ObjectDisposedException.ThrowIf(_disposed && !_broken, this);
        if (_broken || _disposed) throw new SshException(SshErrorKind.ConnectionLost, $"{where}: connection lost", transient: true);
        Interlocked.Increment(ref _inFlight);
        try { return await call().ConfigureAwait(false); }
        catch (Exception) when (ct.IsCancellationRequested) { throw new OperationCanceledException(ct); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A connection closed under a request in flight (lost, aborted, or closed by the pool that found it dead)
            // makes SSH.NET fail it with whatever its torn-down session hits (NullReferenceException from its channel,
            // ArgumentNullException from its disposed wait handles, "session is not open"): that is the connection lost.
            var error = e is not SshException && Gone()
                ? new SshException(SshErrorKind.ConnectionLost, $"{where}: connection lost", transient: true, e)
                : SshErrors.Request(e, where);
            if (error.ConnectionBroken) { _broken = true; if (error.Kind == SshErrorKind.Timeout) Abort(); }
            throw error;
        }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    // Whether the connection is gone or going: broken, closed, or its client no longer connected.
    private bool Gone()
    {
        if (_broken || _disposed) return true;
        try { return !_client.IsConnected; }
        catch (ObjectDisposedException) { return true; }
    }

    /// <summary>Closes the connection once its last user has disposed it (at once if it is broken).</summary>
    public void Dispose()
    {
        if (_disposed || (Interlocked.Decrement(ref _users) > 0 && !_broken)) return;
        // Closed because it was found dead (the pool closes a connection that is no longer connected): other users'
        // requests still in flight or sent later are told "connection lost", not "disposed". Marked before _disposed,
        // so no request sees it disposed but not broken.
        if (Gone()) _broken = true;
        _disposed = true;
        try { _client.Dispose(); }
        catch (Exception e) when (e is RenciSshException or ObjectDisposedException or IOException or CryptographicException) { /* closing a dead connection */ }
    }
}

/// <summary>A remote file open for reads at offsets. Disposing sends its close without waiting for the answer.</summary>
public sealed class RemoteFile : IDisposable
{
    private readonly SftpConnection _connection;
    private readonly byte[]? _handle;
    private readonly SftpFileStream? _stream;
    private readonly SemaphoreSlim _streamGate = new(1);
    private bool _closed;

    internal RemoteFile(SftpConnection connection, byte[] handle, string path) { _connection = connection; _handle = handle; Path = path; }

    internal RemoteFile(SftpConnection connection, SftpFileStream stream, string path) { _connection = connection; _stream = stream; Path = path; }

    /// <summary>The remote path, for messages.</summary>
    public string Path { get; }

    /// <summary>Up to <paramref name="count"/> bytes at <paramref name="offset"/> (fewer at the end of the file).</summary>
    public async Task<byte[]> ReadAtAsync(long offset, int count, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_stream is null) return await ReadCoreAsync(offset, count, ct).ConfigureAwait(false); // reads at offsets may go at once
        await _streamGate.WaitAsync(ct).ConfigureAwait(false); // a stream has one position: one read at a time
        try
        {
            if (_stream.Position != offset) _stream.Seek(offset, SeekOrigin.Begin); // no round trip: the next read asks there
            return await ReadCoreAsync(offset, count, ct).ConfigureAwait(false);
        }
        finally { _streamGate.Release(); }
    }

    private async Task<byte[]> ReadCoreAsync(long offset, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = _handle is not null
                ? await _connection.ReadAtAsync(_handle, Path, offset + read, buffer.AsMemory(read), ct).ConfigureAwait(false)
                : await _connection.ReadAsync(_stream!, Path, buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0) break;
            read += n;
        }
        return read == count ? buffer : buffer[..read];
    }

    /// <summary>Closes the remote handle without waiting for the server's answer.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        if (_handle is not null) _connection.CloseLater(_handle);
        else _connection.CloseLater(_stream!);
    }
}
