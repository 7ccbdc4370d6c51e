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

    private readonly RenciSftpClient _client;
    private readonly object _openGate = new();
    private long _bytesRead;
    private int _inFlight;
    private volatile bool _broken;
    private volatile bool _disposed;

    private SftpConnection(SftpConnectionSettings settings, RenciSftpClient client, string fingerprint)
    {
        Settings = settings; _client = client; HostKeyFingerprint = fingerprint;
        client.ErrorOccurred += (_, _) => _broken = true;
    }

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
        await foreach (var f in _client.ListDirectoryAsync(path, ct).ConfigureAwait(false))
            entries.Add(SftpEntry.From(f.Name, f.Attributes));
        return (IReadOnlyList<SftpEntry>)entries;
    });

    /// <summary>What a path is, following links (a dangling link comes back as a link), and where it really is.</summary>
    public Task<(SftpEntry Entry, string RealPath)> StatAsync(string path, CancellationToken ct = default) => Run(path, null, ct, async () =>
    {
        var file = await _client.GetAsync(path, ct).ConfigureAwait(false);
        return (SftpEntry.From(Path.GetFileName(path.TrimEnd('/')), file.Attributes), file.FullName);
    });

    /// <summary>The canonical absolute path (links resolved), as the server sees it.</summary>
    public async Task<string> RealPathAsync(string path, CancellationToken ct = default) => (await StatAsync(path, ct).ConfigureAwait(false)).RealPath;

    /// <summary>Opens a remote file for reads at offsets; each read asks for <paramref name="requestBytes"/> at a
    /// time (so a header that fits comes back in one request).</summary>
    public Task<RemoteFile> OpenAsync(string path, int requestBytes, CancellationToken ct = default) => Run(path, null, ct, async () =>
    {
        Task<SftpFileStream> opening;
        // SSH.NET takes the read size from the client's BufferSize when a file is opened: set it and open at once.
        lock (_openGate)
        {
            _client.BufferSize = (uint)(Math.Clamp(requestBytes, 512, MaxRequestBytes) + ReadOverhead);
            opening = _client.OpenAsync(path, FileMode.Open, FileAccess.Read, ct);
        }
        return new RemoteFile(this, await opening.ConfigureAwait(false), path);
    });

    /// <summary>Copies a whole remote file into <paramref name="destination"/> with many reads in flight; returns its length.</summary>
    public Task<long> DownloadAsync(string path, Stream destination, CancellationToken ct = default) => Run(path, "downloading", ct, async () =>
    {
        var start = destination.CanSeek ? destination.Position : 0;
        lock (_openGate) _client.BufferSize = MaxRequestBytes + ReadOverhead;
        await _client.DownloadFileAsync(path, destination, ct).ConfigureAwait(false);
        var length = destination.CanSeek ? destination.Position - start : 0;
        Interlocked.Add(ref _bytesRead, length);
        return length;
    });

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
            var error = SshErrors.Request(_broken && e is not SshException ? new SshConnectionException(e.Message) : e, where);
            if (error.ConnectionBroken) { _broken = true; if (error.Kind == SshErrorKind.Timeout) Abort(); }
            throw error;
        }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _client.Dispose(); }
        catch (Exception e) when (e is RenciSshException or ObjectDisposedException or IOException or CryptographicException) { /* closing a dead connection */ }
    }
}

/// <summary>A remote file open for reads at offsets. Disposing sends its close without waiting for the answer.</summary>
public sealed class RemoteFile(SftpConnection connection, SftpFileStream stream, string path) : IDisposable
{
    private bool _closed;

    public string Path { get; } = path;

    /// <summary>Up to <paramref name="count"/> bytes at <paramref name="offset"/> (fewer at the end of the file).</summary>
    public async Task<byte[]> ReadAtAsync(long offset, int count, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (stream.Position != offset) stream.Seek(offset, SeekOrigin.Begin); // no round trip: the next read asks there
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await connection.ReadAsync(stream, Path, buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0) break;
            read += n;
        }
        return read == count ? buffer : buffer[..read];
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        connection.CloseLater(stream);
    }
}
