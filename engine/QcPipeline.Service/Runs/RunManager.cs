using System.Globalization;
using System.Text.RegularExpressions;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Outputs;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Service.Events;

namespace QcPipeline.Service.Runs;

/// <summary>Why a run could not be started, with the HTTP status to answer.</summary>
public sealed class RunRefusedException(int status, string message, IReadOnlyList<string>? problems = null) : Exception(message)
{
    /// <summary>400 (bad request or job), 404 (no such job), 503 (busy).</summary>
    public int Status { get; } = status;

    /// <summary>Each problem of an invalid job, as FILE:LINE:COL: message.</summary>
    public IReadOnlyList<string> Problems { get; } = problems ?? [];
}

/// <summary>
/// Batch runs started through the API: a job of the jobs folder with --set-style overrides, each in its own output
/// folder under runs/, a bounded number at once. Their progress, failures and end are published as events.
/// </summary>
public sealed partial class RunManager(StageRegistry registry, string jobsDirectory, string runsDirectory, int maxRunning, EventHub hub, Action<string> warn)
{
    /// <summary>Finished runs listed, at most (their outputs stay on disk).</summary>
    public const int KeptRuns = 100;

    /// <summary>Overrides per run, at most.</summary>
    public const int MaxOverrides = 64;

    /// <summary>How often a running run's progress is sent.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    private readonly List<ServiceRun> _runs = [];
    private long _sequence;

    /// <summary>Where the jobs are.</summary>
    public string JobsDirectory { get; } = Path.GetFullPath(jobsDirectory);

    /// <summary>Runs in progress.</summary>
    public int Running { get { lock (_runs) return _runs.Count(r => !r.IsDone); } }

    /// <summary>The jobs that may be run (NAME of NAME.yaml in the jobs folder).</summary>
    public IReadOnlyList<string> Jobs() =>
        Directory.EnumerateFiles(JobsDirectory, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every run listed, newest first.</summary>
    public IReadOnlyList<ServiceRun> List() { lock (_runs) return Enumerable.Reverse(_runs).ToList(); }

    /// <summary>The run of this id, or null.</summary>
    public ServiceRun? Find(string id) { lock (_runs) return _runs.FirstOrDefault(r => r.Id == id); }

    /// <summary>Starts job <paramref name="job"/> with <paramref name="overrides"/>; throws <see cref="RunRefusedException"/>.</summary>
    public ServiceRun Start(string job, IReadOnlyList<string> overrides)
    {
        if (!JobName().IsMatch(job)) throw new RunRefusedException(400, $"'{Shorten(job)}' is not a job name (NAME of a NAME.yaml in the jobs folder)");
        var file = Path.Combine(JobsDirectory, job.EndsWith(".yaml", StringComparison.Ordinal) ? job : job + ".yaml");
        if (!File.Exists(file)) throw new RunRefusedException(404, $"no job '{Shorten(job)}': the jobs are {string.Join(", ", Jobs())}");
        if (overrides.Count > MaxOverrides) throw new RunRefusedException(400, $"at most {MaxOverrides} overrides");
        // The server decides where runs write: an override may not send outputs or traces elsewhere.
        if (overrides.FirstOrDefault(o => o.Length > 4096 || o.StartsWith("outputs.dir", StringComparison.Ordinal) || o.StartsWith("telemetry.trace_file", StringComparison.Ordinal)) is { } refused)
            throw new RunRefusedException(400, $"override '{Shorten(refused)}' is not allowed here (the server chooses where runs write)");
        PipelineGraph graph;
        try { graph = GraphCompiler.Compile(new JobLoader(registry).Load(file, overrides)); }
        catch (JobInvalidException e)
        {
            throw new RunRefusedException(400, $"job {job} is invalid ({e.Diagnostics.Count} problems)", e.Diagnostics.Select(d => d.ToString()).ToList());
        }
        lock (_runs)
        {
            if (_runs.Count(r => !r.IsDone) >= maxRunning)
                throw new RunRefusedException(503, $"busy: {maxRunning} runs are in progress (--max-runs); try again when one has ended");
            var id = $"{DateTime.Now:yyyyMMdd-HHmmss}-{graph.Job.Name}-{Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture)}";
            var folder = OutputFolder.Open(Path.Combine(runsDirectory, Sanitize(id)));
            var runner = new PipelineRunner(graph, folder.Path);
            var run = new ServiceRun(Sanitize(id), graph.Job.Name, overrides, folder.Path, runner);
            runner.Warning += m => warn($"run {run.Id}: {m}");
            runner.ItemFinished += item =>
            {
                if (item.State == ItemState.Failed) hub.Publish("failure", run.Id, run.NoteFailure(item));
            };
            run.Completion = RunAsync(run, runner, graph, folder);
            _runs.Add(run);
            Forget();
            return run;
        }
    }

    private async Task RunAsync(ServiceRun run, PipelineRunner runner, PipelineGraph graph, OutputFolder folder)
    {
        using (folder)
        {
            hub.Publish("run", run.Id, run.Snapshot());
            var result = runner.RunAsync();
            using var ticks = new PeriodicTimer(ProgressInterval);
            var last = run.Progress();
            hub.Publish("progress", run.Id, run.Snapshot());
            while (await Task.WhenAny(result, ticks.WaitForNextTickAsync().AsTask()).ConfigureAwait(false) != result)
            {
                var now = run.Progress();
                if (now == last) continue;
                last = now;
                hub.Publish("progress", run.Id, run.Snapshot());
            }
            try
            {
                var done = await result.ConfigureAwait(false);
                hub.Publish("progress", run.Id, run.Snapshot());
                RunOutputs.Write(done, runner.ReportSections(), graph.Job.Options.Outputs.Report, warn);
                run.End(done);
            }
            catch (Exception e)
            {
                // The runner ends every run with a result; should it throw, the run is still ended, as failed.
                warn($"run {run.Id} failed: {e.Message}");
                run.EndWithError(e.Message);
            }
        }
        hub.Publish("end", run.Id, run.Snapshot());
    }

    /// <summary>Cancels a run in progress; false when it had already ended.</summary>
    public bool Cancel(ServiceRun run) => run.Cancel($"cancelled through the API (DELETE /v1/runs/{run.Id})");

    /// <summary>Stops every run in progress (the server is stopping) and waits until their outputs are written.</summary>
    public Task StopAllAsync()
    {
        List<ServiceRun> running;
        lock (_runs) running = _runs.Where(r => !r.IsDone).ToList();
        foreach (var r in running) r.Cancel("the server is stopping");
        return Task.WhenAll(running.Select(r => r.Completion.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <summary>Gives up on the items still in progress in every run.</summary>
    public void AbandonAll()
    {
        lock (_runs) foreach (var r in _runs) r.Abandon();
    }

    // The list keeps the runs in progress and the latest finished ones.
    private void Forget()
    {
        var finished = _runs.Where(r => r.IsDone).ToList();
        foreach (var r in finished.Take(Math.Max(0, finished.Count - KeptRuns))) _runs.Remove(r);
    }

    private static string Sanitize(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());

    private static string Shorten(string s) => s.Length > 80 ? s[..80] + "…" : s;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(\.yaml)?$")]
    private static partial Regex JobName();
}
