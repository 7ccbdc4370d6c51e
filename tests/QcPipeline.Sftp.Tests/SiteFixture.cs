using QcPipeline.Cluster;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Demo;
using QcPipeline.Files;
using QcPipeline.SiteScan;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp.Tests;

/// <summary>A generated site (folders of JPEG-shaped files: metadata segments, then "image data") served by sshd, and
/// the jobs that list and fetch it.</summary>
public sealed class Site : IDisposable
{
    public static readonly StageRegistry Registry = new StageRegistry().AddSftp()
        .AddCollect<FileContent>()
        .Transform<DeleteStage, FileItem, FileItem, DeleteOptions>().AddSiteScan()
        .AddCluster(); // the shipped site-scan job has a cluster: section

    public Site(int folders = 3, int perFolder = 40, int imageBytes = 200_000, int maxStartups = 100, string? loginUser = null, int maxSessions = 10)
    {
        Sshd = new SshdSite(content =>
        {
            var random = new Random(42);
            for (var f = 0; f < folders; f++)
            {
                var folder = Directory.CreateDirectory(Path.Combine(content, $"folder {f:D2}")).FullName;
                for (var i = 0; i < perFolder; i++)
                {
                    var path = Path.Combine(folder, $"DJI_{i:D4}.JPG");
                    File.WriteAllBytes(path, JpegBytes.Random(random, 1500 + random.Next(3000), imageBytes));
                    Files.Add(path);
                }
            }
        }, maxStartups, loginUser, maxSessions, "qc-sftp-site-");
        Output = TestRun.TempDir("qc-sftp-out-");
    }

    public SshdSite Sshd { get; }
    public string Content => Sshd.Content;
    public string Output { get; }
    public SshdSandbox Server => Sshd.Server;
    public List<string> Files { get; } = [];

    /// <summary>A job: list the site, (optionally delete one file), fetch, collect. <paramref name="fetch"/> adds options to the fetch stage.</summary>
    public string Job(string collect, int workers, string fetch = "", string between = "", string connection = "", string list = "", int? port = null) => $"""
        job: sftp-test
        connections:
        {Sshd.ConnectionYaml("site", port)}
            connect_timeout: 5s
        {connection}
        stages:
          list:
            type: sftp.list
            connection: site
            include: ["**/*.JPG", "**/*.jpg"]
        {list}
        {between}
          fetch:
            type: sftp.fetch
            connection: site
            workers: {workers}
            retry:
              attempts: 5
              backoff: 100ms
              max_backoff: 1s
        {fetch}
          collect:
            type: test.collect
            into: {collect}
        """;

    public async Task<RunResult> RunAsync(string yaml, TimeSpan? limit = null, Func<string, string?>? environment = null, string? jobPath = null)
    {
        var graph = TestRun.Compile(Registry, yaml, jobPath ?? Path.Combine(Output, "job.yaml"), environment);
        return await new PipelineRunner(graph, Path.Combine(Output, Guid.NewGuid().ToString("N")[..8])).RunGuardedAsync(limit);
    }

    public void Dispose()
    {
        Sshd.Dispose();
        try { Directory.Delete(Output, recursive: true); } catch (IOException) { }
    }
}
