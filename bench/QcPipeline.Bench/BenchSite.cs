using QcPipeline.SiteScan.Generation;
using QcPipeline.Ssh;
using QcPipeline.TestKit;

namespace QcPipeline.Bench;

/// <summary>
/// The site the sftp and site-scan benchmarks share: 1,375 generated JPEGs of ~5 MB laid out like our users'
/// (kept under $QC_BENCH_SITE or /tmp/qcpipeline-bench-site between runs), served by a sandboxed sshd behind a
/// 40 ms / 100 Mbit/s link emulator.
/// </summary>
public sealed class BenchSite : IAsyncDisposable
{
    private BenchSite(string directory, int images, SshdSandbox server, LatencyProxy link)
    {
        Directory = directory; Images = images; Server = server; Link = link;
    }

    public string Directory { get; }
    public int Images { get; }
    public SshdSandbox Server { get; }
    public LatencyProxy Link { get; }

    public static BenchSite Start()
    {
        var directory = Environment.GetEnvironmentVariable("QC_BENCH_SITE") ?? Path.Combine(Path.GetTempPath(), "qcpipeline-bench-site");
        var photos = SiteGenerator.LikeUsers(directory); // rewrites only what changed
        var server = new SshdSandbox(directory);
        return new BenchSite(directory, photos.Count, server, new LatencyProxy(server.Port, TimeSpan.FromMilliseconds(40), 100));
    }

    /// <summary>The job's connections: section, reaching sshd through the link (the host key pinned, since
    /// known_hosts names sshd's own port).</summary>
    public string ConnectionsYaml => $"""
        connections:
          site:
            type: sftp
            host: 127.0.0.1
            port: {Link.Port}
            user: {Server.User}
            key: {Server.ClientKeyPath}
            fingerprint: "{Server.HostKeyFingerprint}"
        """;

    public async ValueTask DisposeAsync()
    {
        await Link.DisposeAsync();
        Server.Dispose();
    }
}
