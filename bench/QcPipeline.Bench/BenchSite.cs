using QcPipeline.Demo;
using QcPipeline.Demo.Generation;
using QcPipeline.Ssh;
using QcPipeline.TestKit;

namespace QcPipeline.Bench;

/// <summary>
/// The sites the sftp and site-scan benchmarks share, each served by its own sandboxed sshd behind a 40 ms /
/// 100 Mbit/s link emulator: "rgb", 1,375 generated JPEGs of ~5 MB laid out like our users' sites (kept under
/// $QC_BENCH_SITE or /tmp/qcpipeline-bench-site between runs), and "thermal", 1,375 real DJI ZH20T R-JPEG frames
/// (1.44 MB, 640 KiB of raw thermal data before the image) in the same 12 folders, hard links to the 20 shared
/// frames under new names (/tmp/qcpipeline-bench-thermal).
/// </summary>
public sealed class BenchSite : IAsyncDisposable
{
    private BenchSite(string name, string directory, int images, SshdSandbox server, BenchLink link)
    {
        Name = name; Directory = directory; Images = images; Server = server; Link = link;
    }

    public string Name { get; }
    public string Directory { get; }
    public int Images { get; }
    public SshdSandbox Server { get; }
    public BenchLink Link { get; }

    public static BenchSite Start() => Rgb();

    public static BenchSite Rgb()
    {
        var directory = Environment.GetEnvironmentVariable("QC_BENCH_SITE") ?? Path.Combine(Path.GetTempPath(), "qcpipeline-bench-site");
        var photos = SiteGenerator.LikeUsers(directory); // rewrites only what changed
        return Serve("rgb", directory, photos.Count);
    }

    /// <summary>The thermal site, or null (saying why) where the shared frames are absent.</summary>
    public static BenchSite? Thermal()
    {
        var frames = SharedData.Find("gps/dji_zh20t") is { } d ? System.IO.Directory.GetFiles(d, "*.JPG").Order(StringComparer.Ordinal).ToArray() : [];
        if (frames.Length == 0)
        {
            Console.WriteLine("thermal site: skipped (needs ../shared/data/gps/dji_zh20t)");
            return null;
        }
        var directory = Path.Combine(Path.GetTempPath(), "qcpipeline-bench-thermal");
        var n = 0;
        foreach (var plan in SiteGenerator.Plan(directory, SiteGenerator.LikeUsersSpec))
        {
            var path = Path.ChangeExtension(plan.Path, null) + "_T.JPG";
            var frame = frames[n++ % frames.Length];
            if (File.Exists(path) && new FileInfo(path).Length == new FileInfo(frame).Length) continue;
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Delete(path);
            if (link(frame, path) != 0) File.Copy(frame, path); // another file system: copy
        }
        return Serve("thermal", directory, n);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int link(string existing, string created);

    private static BenchSite Serve(string name, string directory, int images)
    {
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var server = new SshdSandbox(directory);
        return new BenchSite(name, directory, images, server, new BenchLink(server.Port, 40, 100));
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

    /// <summary>What the link carried (both ways) and how many connections it took, and the CPU seconds the link
    /// process and sshd (with its session processes) used, at a moment.</summary>
    public readonly record struct Usage(long Bytes, int Connections, double LinkCpu, double SshdCpu)
    {
        public static Usage operator -(Usage a, Usage b) => new(a.Bytes - b.Bytes, a.Connections - b.Connections, a.LinkCpu - b.LinkCpu, a.SshdCpu - b.SshdCpu);
    }

    public Usage Mark()
    {
        var (bytes, connections, linkCpu) = Link.Stats();
        return new Usage(bytes, connections, linkCpu, Server.ProcessId is { } pid ? ProcessTreeCpu.Seconds(pid) : 0);
    }

    /// <summary>Usage since <paramref name="mark"/>.</summary>
    public Usage Since(Usage mark) => Mark() - mark;

    public async ValueTask DisposeAsync()
    {
        await Link.DisposeAsync();
        Server.Dispose();
    }
}
