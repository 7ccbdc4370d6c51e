using System.Runtime.CompilerServices;
using QcPipeline.Core.Stages;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>
/// A connection as the stages use it: the settings libssh2 needs, with the demo server started (once per
/// run, shared by every stage naming the connection) when host is "demo".
/// </summary>
public sealed class SftpEndpoint : IDisposable
{
    private readonly SshdSandbox? _demo;

    private SftpEndpoint(SftpConnectionSettings settings, string origin, SshdSandbox? demo)
    {
        Settings = settings; Origin = origin; _demo = demo;
    }

    public SftpConnectionSettings Settings { get; }

    /// <summary>sftp://user@host:port, naming where items came from.</summary>
    public string Origin { get; }

    /// <summary>Fills the demo server's folder. The CLI's catalogue sets it (the site-scan family generates a
    /// survey site); without it the demo serves an empty folder.</summary>
    public static Action<string>? DemoContent { get; set; }

    public static Task<SftpEndpoint> ForAsync(SftpConnectionOptions options, StageContext context, CancellationToken ct) =>
        context.Services.GetOrCreateAsync($"sftp-endpoint-{RuntimeHelpers.GetHashCode(options)}", _ => Task.FromResult(Create(options, context)), ct);

    private static SftpEndpoint Create(SftpConnectionOptions o, StageContext context)
    {
        if (o.IsDemo)
        {
            // One folder per user, regenerated in place (unchanged files keep their times), and a fixed origin:
            // so a second demo run finds its photos in the cache, as a second run of a real site would.
            var content = Path.Combine(Path.GetTempPath(), $"qcpipeline-demo-site-{Environment.UserName}");
            Directory.CreateDirectory(content);
            File.SetUnixFileMode(content, (UnixFileMode)0b111_101_101);
            DemoContent?.Invoke(content);
            var sandbox = new SshdSandbox(content);
            context.Warn($"host: demo — serving a generated demo site from a sandboxed sshd on 127.0.0.1:{sandbox.Port}");
            return new SftpEndpoint(sandbox.Settings(), "sftp://demo", sandbox);
        }
        var user = o.User.Length > 0 ? o.User : Environment.UserName;
        var settings = new SftpConnectionSettings
        {
            Host = o.Host,
            Port = o.Port,
            User = user,
            PrivateKeyPath = o.Key.Length > 0 ? ExpandHome(o.Key) : null,
            Passphrase = o.Passphrase.HasValue ? o.Passphrase.Reveal() : null,
            Password = o.Password.HasValue ? o.Password.Reveal() : null,
            KnownHostsPath = ExpandHome(o.KnownHosts.Length > 0 ? o.KnownHosts : "~/.ssh/known_hosts"),
            PinnedFingerprint = o.Fingerprint.Length > 0 ? o.Fingerprint : null,
            HostKeyPolicy = o.HostKeyCheck == HostKeyCheck.AcceptNew ? HostKeyPolicy.AcceptNew : HostKeyPolicy.Strict,
            ConnectTimeout = o.ConnectTimeout,
            OperationTimeout = o.OperationTimeout,
        };
        return new SftpEndpoint(settings, $"sftp://{user}@{o.Host}:{o.Port}", null);
    }

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path;

    public SftpClient Connect(CancellationToken ct) => SftpClient.Connect(Settings, ct);

    public void Dispose() => _demo?.Dispose();
}
