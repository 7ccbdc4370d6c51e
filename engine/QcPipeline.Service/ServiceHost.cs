using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Stages;
using QcPipeline.Service.Events;
using QcPipeline.Service.Http;
using QcPipeline.Service.Inspection;
using QcPipeline.Service.Runs;
using QcPipeline.Telemetry;

namespace QcPipeline.Service;

/// <summary>The server cannot start; the message says why in one line.</summary>
public sealed class ServiceSetupException(string message) : Exception(message);

/// <summary>
/// `serve`: one job's pipeline kept warm and answering inspections, batch runs on demand, their events, the page,
/// /healthz and /metrics, on Kestrel. Stopping drains: no new connections; requests in flight are answered and runs
/// stopped (both within the job's shutdown_timeout); then every pipeline and run writes its outputs.
/// </summary>
public sealed class ServiceHost
{
    private readonly WebApplication _app;
    private readonly OutputFolder _root;
    private readonly TelemetrySession _telemetry;
    private readonly ServiceMetrics _metrics;
    private readonly InspectionService _inspection;
    private readonly RunManager _runs;
    private readonly EventHub _hub;
    private Admission _admission = new(1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly TimeSpan _shutdownTimeout;
    private readonly TaskCompletionSource _stoppedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _stopped;
    private Task _summaries = Task.CompletedTask;

    private ServiceHost(WebApplication app, OutputFolder root, TelemetrySession telemetry, ServiceMetrics metrics,
        InspectionService inspection, RunManager runs, EventHub hub, PipelineGraph served)
    {
        _app = app; _root = root; _telemetry = telemetry; _metrics = metrics; _inspection = inspection; _runs = runs; _hub = hub;
        Job = served.Job.Name;
        _shutdownTimeout = served.Job.Options.ShutdownTimeout;
    }

    /// <summary>The served job's name.</summary>
    public string Job { get; }

    /// <summary>Where it listens (with the port chosen when 0 was asked for).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Its output folder.</summary>
    public string OutputDirectory => _root.Path;

    /// <summary>The inspection pipelines.</summary>
    public InspectionService Inspection => _inspection;

    /// <summary>True once stopping has begun.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Checks the settings and the job (a <see cref="Core.Jobs.JobInvalidException"/> or <see cref="ServiceSetupException"/>
    /// says what is wrong), starts the pipelines, then listens.</summary>
    public static async Task<ServiceHost> StartAsync(ServiceSettings settings, StageRegistry registry, Action<string> log)
    {
        if (settings.Problems() is [var first, ..]) throw new ServiceSetupException(first);
        var products = ServedProducts.Compile(settings, registry, out var served, out var disabled);
        var job = served.Job;
        var rootPath = Path.GetFullPath(settings.OutputDirectory ?? (job.Options.Outputs.Dir.Length > 0 ? job.Options.Outputs.Dir
            : Path.Combine("out", $"serve-{job.Name}-{DateTime.Now:yyyyMMdd-HHmmss}")));
        OutputFolder root;
        try { root = OutputFolder.Open(rootPath); }
        catch (OutputFolderException e) { throw new ServiceSetupException(e.Message); }
        var images = settings.ImagesDirectory is { } dir ? new ImagesFolder(dir) : null;
        var admission = new Admission(settings.MaxPending);
        var hub = new EventHub();
        var telemetry = TelemetrySession.Start(job, log, [ServiceTelemetry.SourceName]);
        InspectionService inspection;
        try { inspection = InspectionService.Start(products, root.Path, settings.MaxPending, log, disabled); }
        catch (Exception e) when (e is OutputFolderException or InvalidOperationException)
        {
            telemetry.Dispose(); root.Dispose();
            throw new ServiceSetupException(e.Message);
        }
        var runs = new RunManager(registry, settings.JobsDirectory ?? Path.GetDirectoryName(Path.GetFullPath(settings.JobFile))!,
            Path.Combine(root.Path, "runs"), settings.MaxRuns, hub, log);
        var metrics = ServiceTelemetry.StartMetrics(() => admission.Pending, () => runs.Running);

        var app = Build(settings, job.Options.ShutdownTimeout, log);
        var host = new ServiceHost(app, root, telemetry, metrics, inspection, runs, hub, served);
        host.Map(settings, admission, images, log);
        try { await app.StartAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            await host.StopAsync().ConfigureAwait(false);
            var reason = e.InnerException is System.Net.Sockets.SocketException s ? s.Message : e.Message;
            throw new ServiceSetupException($"cannot listen on {settings.Bind}:{settings.Port}: {reason}");
        }
        host.Address = new Uri(app.Urls.First());
        if (disabled is not null) log($"warning: inspection is off: {disabled} (runs are served)");
        return host;
    }

    private static WebApplication Build(ServiceSettings settings, TimeSpan shutdownTimeout, Action<string> log)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new OneLineLoggerProvider(log));
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = settings.Bind == "localhost" ? IPAddress.Loopback : IPAddress.Parse(settings.Bind);
            k.Listen(address, settings.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = settings.MaxBodyBytes + 64 * 1024; // a multipart form's own bytes besides the image
            k.Limits.MaxConcurrentConnections = 4096;
        });
        return builder.Build();
    }

    private void Map(ServiceSettings settings, Admission admission, ImagesFolder? images, Action<string> log)
    {
        _admission = admission;
        var app = _app;
        app.Use((http, next) => JsonFaults.InvokeAsync(http, next, log));
        if (settings.Token is { Length: > 0 } token) app.Use(new BearerToken(token).InvokeAsync);
        app.MapGet("/healthz", Health);
        app.MapPrometheusScrapingEndpoint("/metrics", _metrics.Provider, null, null);
        new InspectEndpoints(_inspection, admission, images, settings.MaxBodyBytes).Map(app);
        new RunEndpoints(_runs).Map(app);
        var events = new EventStream(_hub, _runs, _inspection);
        events.Map(app);
        PageEndpoints.Map(app);
        _summaries = events.PublishSummariesAsync(_stopping.Token);
        app.MapFallback((HttpContext http) => ApiJson.Error(StatusCodes.Status404NotFound, $"no such endpoint: {http.Request.Method} {http.Request.Path}"));
    }

    private IResult Health()
    {
        var problems = _inspection.Broken().ToList();
        var status = _stopping.IsCancellationRequested ? "draining" : problems.Count > 0 ? "failing" : "ok";
        var body = new
        {
            Status = status, Job, Products = _inspection.Products, Inspection = _inspection.Disabled is null ? "on" : "off",
            Pending = _admission.Pending, MaxPending = _admission.Capacity, InPipelines = _inspection.Pipelines.Sum(p => p.Feed.Pending),
            RunsRunning = _runs.Running, Problems = problems,
        };
        return Results.Json(body, ApiJson.Options, statusCode: status == "ok" ? 200 : 503);
    }

    /// <summary>Stops gracefully (once; later calls wait for the first): see the class summary.</summary>
    public Task StopAsync()
    {
        lock (_stopping) return _stopped ??= StopOnceAsync();
    }

    /// <summary>Gives up on what is still in progress: open requests are cut, items in progress cancelled.</summary>
    public void Abandon()
    {
        _abandon.Cancel();
        _inspection.Abandon();
        _runs.AbandonAll();
    }

    /// <summary>Completes once the server has stopped and every output is written.</summary>
    public Task Stopped => _stoppedSignal.Task;

    private async Task StopOnceAsync()
    {
        try { await DrainAndWriteAsync().ConfigureAwait(false); }
        finally { _stoppedSignal.TrySetResult(); }
    }

    private async Task DrainAndWriteAsync()
    {
        _stopping.Cancel();
        _hub.Close();                        // event streams end, so they do not hold the drain
        var runs = _runs.StopAllAsync();     // runs stop reading; their items in progress get shutdown_timeout
        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token))
        {
            drain.CancelAfter(_shutdownTimeout);
            try { await _app.StopAsync(drain.Token).ConfigureAwait(false); } // answers the requests in flight
            catch (OperationCanceledException) { }
        }
        await _inspection.StopAsync().ConfigureAwait(false);
        await runs.ConfigureAwait(false);
        await _summaries.ConfigureAwait(false);
        _metrics.Dispose();
        _telemetry.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
        _root.Dispose();
    }
}
