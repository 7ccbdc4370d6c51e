using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Demo;
using QcPipeline.SiteScan;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp.Tests;

/// <summary>A generated site (folders of JPEG-shaped files: metadata segments, then "image data") served by sshd.</summary>
public sealed class Site : IDisposable
{
    public static readonly StageRegistry Registry = new StageRegistry().AddSftp()
        .Sink<CollectSink, FileContent, CollectOptions>()
        .Transform<DeleteStage, FileItem, FileItem, DeleteOptions>().AddSiteScan();

    public Site(int folders = 3, int perFolder = 40, int imageBytes = 200_000, int maxStartups = 100, string? loginUser = null, int maxSessions = 10)
    {
        Content = Directory.CreateTempSubdirectory("qc-sftp-site-").FullName;
        File.SetUnixFileMode(Content, (UnixFileMode)0b111_101_101);
        var random = new Random(42);
        for (var f = 0; f < folders; f++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(Content, $"folder {f:D2}")).FullName;
            for (var i = 0; i < perFolder; i++)
            {
                var path = Path.Combine(folder, $"DJI_{i:D4}.JPG");
                File.WriteAllBytes(path, Jpeg(random, 1500 + random.Next(3000), imageBytes));
                Files.Add(path);
            }
        }
        Output = Directory.CreateTempSubdirectory("qc-sftp-out-").FullName;
        Server = new SshdSandbox(Content, maxStartups, loginUser, maxSessions);
    }

    public string Content { get; }
    public string Output { get; }
    public SshdSandbox Server { get; }
    public List<string> Files { get; } = [];

    /// <summary>SOI, an APP1 of <paramref name="metadataBytes"/>, a small DQT/SOF0, SOS and image data, EOI.</summary>
    public static byte[] Jpeg(Random random, int metadataBytes, int imageBytes)
    {
        using var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);
        Segment(s, 0xE1, [.. "Exif\0\0"u8, .. RandomBytes(random, metadataBytes)]);
        Segment(s, 0xDB, RandomBytes(random, 65));
        Segment(s, 0xC0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
        Segment(s, 0xDA, [1, 1, 0, 0, 63, 0]);
        var data = RandomBytes(random, imageBytes);
        for (var i = 0; i < data.Length; i++) if (data[i] == 0xFF) data[i] = 0xFE; // no markers inside the data
        s.Write(data);
        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    /// <summary>What a header fetch must return for a file: SOI, the segments before SOS, EOI.</summary>
    public static byte[] ExpectedHeader(byte[] file)
    {
        var sos = 2;
        while (!(file[sos] == 0xFF && file[sos + 1] == 0xDA)) sos += 2 + ((file[sos + 2] << 8) | file[sos + 3]);
        return [.. file.AsSpan(0, sos), 0xFF, 0xD9];
    }

    private static byte[] RandomBytes(Random random, int n) { var b = new byte[n]; random.NextBytes(b); return b; }

    private static void Segment(Stream s, byte marker, byte[] body)
    {
        s.Write([0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)((body.Length + 2) & 0xFF)]);
        s.Write(body);
    }

    /// <summary>A job: list the site, (optionally delete one file), fetch, collect. <paramref name="fetch"/> adds options to the fetch stage.</summary>
    public string Job(string collect, int workers, string fetch = "", string between = "", string connection = "", string list = "", int? port = null) => $"""
        job: sftp-test
        connections:
          site:
            type: sftp
            host: 127.0.0.1
            port: {port ?? Server.Port}
            user: {Server.User}
            key: {Server.ClientKeyPath}
            known_hosts: {Server.KnownHostsPath}
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
        var definition = new JobLoader(Registry, environment).Parse(yaml, jobPath ?? Path.Combine(Output, "job.yaml"));
        var runner = new PipelineRunner(GraphCompiler.Compile(definition), Path.Combine(Output, Guid.NewGuid().ToString("N")[..8]));
        var run = runner.RunAsync(CancellationToken.None);
        if (await Task.WhenAny(run, Task.Delay(limit ?? TimeSpan.FromSeconds(120))) != run)
            throw new Xunit.Sdk.XunitException("the run did not end in time");
        return await run;
    }

    public void Dispose()
    {
        Server.Dispose();
        try { Directory.Delete(Content, recursive: true); } catch (IOException) { }
        try { Directory.Delete(Output, recursive: true); } catch (IOException) { }
    }
}
