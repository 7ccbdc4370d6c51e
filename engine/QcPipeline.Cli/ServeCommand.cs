using System.CommandLine;
using QcPipeline.Core.Jobs;
using QcPipeline.Service;

namespace QcPipeline.Cli;

/// <summary>`serve JOB.yaml [--port 8080] [--bind 127.0.0.1]`: the job's pipeline kept warm behind an HTTP API (see
/// QcPipeline.Service), until SIGTERM or Ctrl+C. Bad arguments or a bad job: one line each, exit 2.</summary>
public static class ServeCommand
{
    /// <summary>The token callers must send, from the environment (never from the command line, which others can read).</summary>
    public const string TokenVariable = "QC_API_TOKEN";

    /// <summary>The `serve` command.</summary>
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job whose pipeline answers inspections (e.g. pipelines/inspection.yaml)." };
        var port = new Option<int>("--port") { Description = "Port to listen on (0: any free port).", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on; beyond loopback QC_API_TOKEN is required.", DefaultValueFactory = _ => "127.0.0.1" };
        var sets = new Option<string[]>("--set") { Description = "Override an option of the job by its YAML path, as for a run." };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default: out/serve-JOB-TIME)." };
        var images = new Option<string?>("--images") { Description = "Folder the old call (/api/session/{id}/inspect) names its images in." };
        var products = new Option<string?>("--products") { Description = "Folder of product files, each served by its own warm pipeline (?product=NAME)." };
        var jobs = new Option<string?>("--jobs") { Description = "Folder of the jobs POST /v1/runs may start (default: the job's folder)." };
        var maxBody = new Option<int>("--max-body") { Description = "Largest request body, in MiB.", DefaultValueFactory = _ => (int)(ServiceSettings.DefaultMaxBodyBytes >> 20) };
        var maxPending = new Option<int>("--max-pending") { Description = "Inspections in the server at once; beyond that 503 with Retry-After.", DefaultValueFactory = _ => ServiceSettings.DefaultMaxPending };
        var maxRuns = new Option<int>("--max-runs") { Description = "Batch runs at once.", DefaultValueFactory = _ => ServiceSettings.DefaultMaxRuns };
        var serve = new Command("serve", "Serve a job over HTTP: inspections answered with their verdict, batch runs with live progress, a page, /healthz, /metrics.")
        {
            job, port, bind, sets, outDir, images, products, jobs, maxBody, maxPending, maxRuns,
        };
        serve.SetAction(parse => RunAsync(new ServiceSettings
        {
            JobFile = parse.GetValue(job)!, Port = parse.GetValue(port), Bind = parse.GetValue(bind)!,
            Overrides = parse.GetValue(sets) ?? [], OutputDirectory = parse.GetValue(outDir), ImagesDirectory = parse.GetValue(images),
            ProductsDirectory = parse.GetValue(products), JobsDirectory = parse.GetValue(jobs),
            MaxBodyBytes = (long)parse.GetValue(maxBody) << 20, MaxPending = parse.GetValue(maxPending), MaxRuns = parse.GetValue(maxRuns),
            Token = Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } t ? t : null,
        }));
        return serve;
    }

    private static async Task<int> RunAsync(ServiceSettings settings)
    {
        var console = new ConsoleOutput();
        void Log(string line) => Console.Error.WriteLine(line);
        ServiceHost host;
        // Signals are ours before the pipelines start: one that comes meanwhile stops the server once it listens.
        using var signals = new ServiceSignals(Log);
        try { host = await ServiceHost.StartAsync(settings, StageCatalog.Create(), Log); }
        catch (JobInvalidException e)
        {
            foreach (var d in e.Diagnostics) Console.Error.WriteLine(d.ToString());
            return ExitCodes.Invalid;
        }
        catch (ServiceSetupException e)
        {
            Console.Error.WriteLine($"qcpipeline: {e.Message}");
            return ExitCodes.Invalid;
        }
        signals.Follow(host);
        var what = host.Inspection.Disabled is null ? $"inspecting {string.Join(", ", host.Inspection.Products)}" : "runs only";
        console.Info($"serving {host.Job} ({what}) → {Path.GetRelativePath(Environment.CurrentDirectory, host.OutputDirectory)}");
        console.Info($"listening on {host.Address} (the page: {host.Address}; SIGTERM or Ctrl+C drains and stops)");
        await host.Stopped;
        console.Info($"stopped; outputs in {Path.GetRelativePath(Environment.CurrentDirectory, host.OutputDirectory)}");
        return ExitCodes.Success;
    }
}
