using QcPipeline.Demo.Generation;
using QcPipeline.Sftp;
using QcPipeline.Ssh;

namespace QcPipeline.Demo;

/// <summary>The server behind host: demo: a generated survey site (<see cref="SiteGenerator.Demo"/>) served by a
/// <see cref="SshdSandbox"/> on 127.0.0.1.</summary>
public sealed class DemoServer : ISftpSandbox
{
    private readonly SshdSandbox _sshd;

    private DemoServer(SshdSandbox sshd) => _sshd = sshd;

    /// <summary>Generates the site (in place: unchanged files keep their times) and starts its sshd.</summary>
    /// <param name="warn">Told once what is served where.</param>
    public static DemoServer Start(Action<string> warn)
    {
        // One folder per user, regenerated in place, and a fixed origin: so a second demo run finds its photos
        // in the cache, as a second run of a real site would.
        var content = Path.Combine(Path.GetTempPath(), $"qcpipeline-demo-site-{Environment.UserName}");
        Directory.CreateDirectory(content);
        File.SetUnixFileMode(content, (UnixFileMode)0b111_101_101);
        SiteGenerator.Demo(content);
        var sshd = new SshdSandbox(content);
        warn($"host: demo — serving a generated demo site from a sandboxed sshd on 127.0.0.1:{sshd.Port}");
        return new DemoServer(sshd);
    }

    /// <inheritdoc/>
    public SftpConnectionSettings Settings => _sshd.Settings();

    /// <inheritdoc/>
    public string Origin => "sftp://demo";

    /// <summary>Stops sshd and removes its keys (the generated site stays, for the next run).</summary>
    public void Dispose() => _sshd.Dispose();
}
