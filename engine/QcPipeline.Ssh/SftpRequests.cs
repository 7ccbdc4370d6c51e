using System.Buffers;
using System.Linq.Expressions;
using System.Reflection;
using Renci.SshNet.Sftp;
using RenciSftpClient = Renci.SshNet.SftpClient;

namespace QcPipeline.Ssh;

/// <summary>
/// Single SFTP requests (open, read, close, opendir, readdir, realpath) sent on SSH.NET's own SFTP session, each
/// costing exactly one round trip. SSH.NET's public file API adds round trips we do not need: every open is
/// followed by an fstat it waits for (3 round trips for a header instead of 2), every listing and download starts
/// with a realpath, and a listing reads a folder one readdir at a time and waits for its close. The session's
/// request methods are internal to SSH.NET, so they are bound here once, by name, for the SSH.NET version
/// Directory.Packages.props pins (a test checks the binding); with any other version <see cref="For"/> gives null
/// and <see cref="SftpConnection"/> uses the public API, slower but the same.
/// </summary>
internal sealed class SftpRequests
{
    private static readonly Binding? Bound = Binding.Create();

    private readonly object _session;

    private SftpRequests(object session) => _session = session;

    /// <summary>Whether this SSH.NET offers the requests (false: the public API is used).</summary>
    public static bool Available => Bound is not null && !DisabledForTests;

    /// <summary>Tests set this to exercise the public-API path.</summary>
    internal static bool DisabledForTests { get; set; }

    /// <summary>The requests of a connected client's SFTP session, or null (see <see cref="Available"/>).</summary>
    public static SftpRequests? For(RenciSftpClient client) =>
        Available && Bound!.Session(client) is { } session ? new SftpRequests(session) : null;

    /// <summary>SSH_FXP_OPEN for reading; the handle.</summary>
    public Task<byte[]> OpenAsync(string path, CancellationToken ct) => Bound!.Open(_session, path, ct);

    /// <summary>SSH_FXP_READ of up to <paramref name="into"/>'s length in bytes at <paramref name="offset"/>, copied into
    /// <paramref name="into"/>; 0 at the end of the file. A server may send fewer bytes than asked.</summary>
    public async Task<int> ReadAsync(byte[] handle, long offset, Memory<byte> into, CancellationToken ct)
    {
        var reading = Bound!.Read(_session, handle, (ulong)offset, (uint)into.Length, ct);
        await reading.ConfigureAwait(false);
        using var data = Bound.ReadResult(reading);
        var n = Math.Min(data.Memory.Length, into.Length);
        data.Memory.Span[..n].CopyTo(into.Span);
        return n;
    }

    /// <summary>SSH_FXP_CLOSE of a file or folder handle.</summary>
    public Task CloseAsync(byte[] handle, CancellationToken ct) => Bound!.Close(_session, handle, ct);

    /// <summary>SSH_FXP_OPENDIR; the handle.</summary>
    public Task<byte[]> OpenDirAsync(string path, CancellationToken ct) => Bound!.OpenDir(_session, path, ct);

    /// <summary>SSH_FXP_READDIR: the next names of a folder, or null at its end.</summary>
    public Task<KeyValuePair<string, SftpFileAttributes>[]?> ReadDirAsync(byte[] handle, CancellationToken ct) => Bound!.ReadDir(_session, handle, ct)!;

    /// <summary>SSH_FXP_REALPATH: the canonical absolute path (links resolved) as the server sees it.</summary>
    public Task<string> RealPathAsync(string path, CancellationToken ct) => Bound!.CanonicalPath(_session, path, ct);

    // Delegates compiled once onto SSH.NET's internal ISftpSession (so a request costs a call, not reflection).
    private sealed record Binding(
        Func<RenciSftpClient, object?> Session,
        Func<object, string, CancellationToken, Task<byte[]>> Open,
        Func<object, byte[], ulong, uint, CancellationToken, Task> Read,
        Func<Task, IMemoryOwner<byte>> ReadResult,
        Func<object, byte[], CancellationToken, Task> Close,
        Func<object, string, CancellationToken, Task<byte[]>> OpenDir,
        Func<object, byte[], CancellationToken, Task<KeyValuePair<string, SftpFileAttributes>[]>> ReadDir,
        Func<object, string, CancellationToken, Task<string>> CanonicalPath)
    {
        public static Binding? Create()
        {
            try
            {
                var field = typeof(RenciSftpClient).GetField("_sftpSession", BindingFlags.NonPublic | BindingFlags.Instance);
                var session = field?.FieldType;
                var flags = typeof(RenciSftpClient).Assembly.GetType("Renci.SshNet.Sftp.Flags");
                if (field is null || session is null || flags is null) return null;
                var ct = typeof(CancellationToken);
                MethodInfo Method(string name, params Type[] types) =>
                    session.GetMethod(name, types) ?? throw new MissingMethodException(session.FullName, name);
                var read = Method("RequestReadAsync", typeof(byte[]), typeof(ulong), typeof(uint), ct);
                if (!typeof(Task).IsAssignableFrom(read.ReturnType) || !read.ReturnType.IsGenericType
                    || !typeof(IMemoryOwner<byte>).IsAssignableFrom(read.ReturnType.GetGenericArguments()[0])) return null;
                var readFlag = Enum.ToObject(flags, 1); // SSH_FXF_READ

                var client = Expression.Parameter(typeof(RenciSftpClient));
                var task = Expression.Parameter(typeof(Task));
                return new Binding(
                    Expression.Lambda<Func<RenciSftpClient, object?>>(Expression.Convert(Expression.Field(client, field), typeof(object)), client).Compile(),
                    Call<Func<object, string, CancellationToken, Task<byte[]>>>(session, Method("RequestOpenAsync", typeof(string), flags, ct), 1, Expression.Constant(readFlag, flags)),
                    Call<Func<object, byte[], ulong, uint, CancellationToken, Task>>(session, read),
                    Expression.Lambda<Func<Task, IMemoryOwner<byte>>>(
                        Expression.Convert(Expression.Property(Expression.Convert(task, read.ReturnType), "Result"), typeof(IMemoryOwner<byte>)), task).Compile(),
                    Call<Func<object, byte[], CancellationToken, Task>>(session, Method("RequestCloseAsync", typeof(byte[]), ct)),
                    Call<Func<object, string, CancellationToken, Task<byte[]>>>(session, Method("RequestOpenDirAsync", typeof(string), ct)),
                    Call<Func<object, byte[], CancellationToken, Task<KeyValuePair<string, SftpFileAttributes>[]>>>(session, Method("RequestReadDirAsync", typeof(byte[]), ct)),
                    Call<Func<object, string, CancellationToken, Task<string>>>(session, Method("GetCanonicalPathAsync", typeof(string), ct)));
            }
            catch (Exception e) when (e is MissingMemberException or ArgumentException or InvalidOperationException or TypeLoadException)
            {
                return null;
            }
        }

        // (object session, args...) => ((ISftpSession)session).Method(args..., with constants inserted at `at`).
        private static T Call<T>(Type session, MethodInfo method, int at = -1, Expression? constant = null) where T : Delegate
        {
            var invoke = typeof(T).GetMethod("Invoke")!;
            var parameters = invoke.GetParameters().Select(p => Expression.Parameter(p.ParameterType)).ToArray();
            var args = parameters.Skip(1).Cast<Expression>().ToList();
            if (constant is not null) args.Insert(at, constant);
            var call = Expression.Call(Expression.Convert(parameters[0], session), method, args);
            return Expression.Lambda<T>(invoke.ReturnType == method.ReturnType ? call : Expression.Convert(call, invoke.ReturnType), parameters).Compile();
        }
    }
}
