using System.Net.Http.Headers;
using System.Text.Json;
using QcPipeline.Cluster;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Inspection;
using QcPipeline.TestKit;

namespace QcPipeline.Service.Tests;

/// <summary>A real server (Kestrel on a free loopback port) in this process, and a real HTTP client to it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(ServiceHost host, string dir, List<string> log)
    {
        Host = host; Dir = dir; Log = log;
        Client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ServiceHost Host { get; }
    public HttpClient Client { get; }
    public string Dir { get; }
    public List<string> Log { get; }
    public string Out => Host.OutputDirectory;

    public static StageRegistry Registry() =>
        new StageRegistry().AddFiles().AddInspection().AddCluster().Transform<GateStage, FileItem, FileItem, GateOptions>();

    public static string Samples => Path.Combine(Checkout.Root, "config", "products", "demo-board", "samples");
    public static string DemoProduct => Path.Combine(Checkout.Root, "config", "products", "demo-board.yaml");
    public static string InspectionJob => Path.Combine(Checkout.Root, "pipelines", "inspection.yaml");

    /// <summary>A job like the shipped inspection job, with a gate before image.load (tag: the gate's name).</summary>
    public static string GatedJob(string dir, string tag, string shutdown = "5s") =>
        Write(dir, "gated.yaml", $$"""
            job: gated
            error_budget: 100%
            shutdown_timeout: {{shutdown}}
            stages:
              images: { type: files.list, root: {{Samples}}, include: ["**/*.png"] }
              gate: { type: test.gate, tag: {{tag}}, workers: 8 }
              load: { type: image.load }
              rois: { type: roi.fanout, product: {{DemoProduct}} }
              check: { type: roi.check }
              join: { type: roi.join }
              verdict: { type: verdict }
            """);

    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static string TempDir() => Directory.CreateTempSubdirectory("qc-service").FullName;

    public static async Task<TestServer> StartAsync(string? job = null, string? dir = null, string? images = null, string? token = null,
        int maxPending = 16, int maxRuns = 2, long maxBody = 4 << 20, string? products = null, IReadOnlyList<string>? overrides = null, string? jobs = null)
    {
        dir ??= TempDir();
        var log = new List<string>();
        var settings = new ServiceSettings
        {
            JobFile = job ?? InspectionJob, Port = 0, OutputDirectory = Path.Combine(dir, "out"), ImagesDirectory = images, Token = token,
            MaxPending = maxPending, MaxRuns = maxRuns, MaxBodyBytes = maxBody, ProductsDirectory = products, JobsDirectory = jobs,
            Overrides = overrides ?? [],
        };
        var host = await ServiceHost.StartAsync(settings, Registry(), line => { lock (log) log.Add(line); });
        return new TestServer(host, dir, log);
    }

    public static ByteArrayContent Png(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    public static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(Samples, name));

    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostImageAsync(string sample, string? query = null)
    {
        var response = await Client.PostAsync("/v1/inspect?name=" + sample + (query is null ? "" : "&" + query), Png(Sample(sample)));
        return ((int)response.StatusCode, await JsonAsync(response), response);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"not JSON ({response.Content.Headers.ContentType}): {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.StopAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
