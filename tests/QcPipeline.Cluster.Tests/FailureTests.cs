using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using QcPipeline.Core.Runtime;

namespace QcPipeline.Cluster.Tests;

/// <summary>What a distributed run survives: dead workers, late workers, a poison item, a server restart, a
/// worker that lacks the job's secret. Every item ends exactly once, in the outputs and the accounting.</summary>
public sealed class FailureTests : IDisposable
{
    private readonly ClusterSite _site = new();

    private static ClusterReport Report(RunResult r) => (ClusterReport)r.Sections["cluster"];

    private void AssertEveryPhotoOnce(RunResult result, string output, int failed = 0)
    {
        Assert.True(result.CountsAddUp);
        Assert.Equal(_site.Photos, result.Produced);
        Assert.Equal(_site.Photos - failed, result.Processed);
        var points = ClusterSite.Points(output);
        Assert.Equal(_site.Photos, points.Count);
        Assert.Equal(_site.Photos, points.Distinct().Count());
    }

    // Fires once this many items have ended (from the runner's own accounting).
    private static Task After(PipelineRunner runner, int items)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = 0;
        runner.ItemFinished += _ => { if (Interlocked.Increment(ref done) == items) reached.TrySetResult(); };
        return reached.Task;
    }

    [Fact]
    public async Task A_worker_killed_mid_run_costs_time_not_items()
    {
        var doomed = _site.StartWorker("doomed");
        _site.StartWorker("survivor");
        var (result, output) = await _site.CoordinateAsync(_site.Job(), runner => After(runner, 10).ContinueWith(_ => doomed.Kill(), TaskScheduler.Default));
        AssertEveryPhotoOnce(result, output);
        var report = Report(result);
        Assert.True(report.Totals.Redelivered > 0, "the items the killed worker held were not redelivered");
        Assert.Equal(_site.Photos, report.Workers.Sum(w => w.Items));
        Assert.True(report.Workers.Single(w => w.Id == "survivor").Items > report.Workers.Single(w => w.Id == "doomed").Items);
    }

    [Fact]
    public async Task A_worker_that_joins_late_takes_work()
    {
        _site.StartWorker("early", capacity: 1);
        var (result, output) = await _site.CoordinateAsync(_site.Job(delay: "50ms"), runner => After(runner, 5).ContinueWith(_ => _site.StartWorker("late", capacity: 2), TaskScheduler.Default));
        AssertEveryPhotoOnce(result, output);
        var late = Report(result).Workers.Single(w => w.Id == "late");
        Assert.True(late.Items > 0, "the late worker took no item");
    }

    [Fact]
    public async Task A_poison_item_is_dead_lettered_after_max_deliver_and_the_rest_is_done()
    {
        // Each delivery of the poison photo kills the worker that takes it: with max_deliver 2, two workers die.
        var poison = Directory.GetFiles(_site.Content, "*.JPG", SearchOption.AllDirectories).Order().First();
        var name = Path.GetFileName(poison);
        foreach (var id in new[] { "a", "b", "c" }) _site.StartWorker(id, capacity: 1);
        var (result, output) = await _site.CoordinateAsync(_site.Job(delay: "20ms", crashOn: name));
        Assert.True(result.CountsAddUp);
        Assert.Equal(_site.Photos - 1, result.Processed);
        var failed = Assert.Single(result.Unsuccessful);
        Assert.EndsWith(name, failed.Item);
        Assert.Contains("dead-lettered after 2 deliveries", failed.Reason);
        var letter = JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(output, OutputFiles.DeadLetter))));
        Assert.EndsWith(name, letter.RootElement.GetProperty("item").GetString());
        Assert.Contains("each worker that took it stopped without a result", letter.RootElement.GetProperty("reason").GetString());
        Assert.Equal(1, Report(result).Totals.DeadLettered);
        Assert.Equal(_site.Photos, ClusterSite.Points(output).Distinct().Count()); // the poison photo is still a row, as an error
    }

    [Fact]
    public async Task The_run_completes_when_the_NATS_server_restarts_mid_run()
    {
        _site.StartWorker("w1");
        _site.StartWorker("w2");
        var (result, output) = await _site.CoordinateAsync(_site.Job(delay: "50ms"), runner => After(runner, 15).ContinueWith(_ =>
        {
            _site.Nats.Kill();
            _site.Nats.Start(); // same port, same store: streams, consumers and unacked items are still there
        }, TaskScheduler.Default));
        AssertEveryPhotoOnce(result, output);
    }

    [Fact]
    public async Task A_worker_without_the_secret_says_so_takes_no_work_and_no_message_carries_the_secret()
    {
        const string secret = "s3cret-pa55-for-the-site";
        var env = new Dictionary<string, string> { ["QC_TEST_PASSWORD"] = secret };
        var blind = _site.StartWorker("blind");
        _site.StartWorker("keyholder", env: env);
        // Everything that crosses the server is recorded and searched for the secret.
        await using var nats = new NatsConnection(new NatsOpts { Url = _site.Nats.Url });
        var seen = new List<byte[]>();
        using var stopSniffing = new CancellationTokenSource();
        var sniffer = Task.Run(async () =>
        {
            await foreach (var m in nats.SubscribeAsync<byte[]>(">", cancellationToken: stopSniffing.Token))
                lock (seen) seen.Add([.. m.Data ?? [], .. Encoding.UTF8.GetBytes(m.Headers?.ToString() ?? "")]);
        });
        await nats.PingAsync();
        Environment.SetEnvironmentVariable("QC_TEST_PASSWORD", secret); // the coordinator has it
        try
        {
            var (result, output) = await _site.CoordinateAsync(_site.Job(delay: "5ms", connection: "    password: env:QC_TEST_PASSWORD"));
            AssertEveryPhotoOnce(result, output);
            var report = Report(result);
            var refused = report.Workers.Single(w => w.Id == "blind");
            Assert.Equal(0, refused.Items);
            Assert.Contains("env:QC_TEST_PASSWORD", refused.Refused);
            Assert.Equal(_site.Photos, report.Workers.Single(w => w.Id == "keyholder").Items);
            blind.WaitFor("takes no work", TimeSpan.FromSeconds(10));
            Assert.Contains("env:QC_TEST_PASSWORD", blind.Output);
        }
        finally { Environment.SetEnvironmentVariable("QC_TEST_PASSWORD", null); }
        await stopSniffing.CancelAsync();
        await sniffer.ContinueWith(_ => { });
        var needle = Encoding.UTF8.GetBytes(secret);
        lock (seen)
        {
            Assert.True(seen.Count > _site.Photos * 2, $"the sniffer saw only {seen.Count} messages");
            Assert.DoesNotContain(seen, m => m.AsSpan().IndexOf(needle) >= 0);
        }
    }

    public void Dispose() => _site.Dispose();
}
