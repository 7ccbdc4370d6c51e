using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace QcPipeline.Cluster;

/// <summary>
/// A worker process: watches the runs bucket for runs being announced (those already running when it starts
/// too, so a late worker takes work), takes part in each, and leaves a run when its announcement goes. Stops
/// on its token: no new items, items in progress finish, items held but not started go back to the queue.
/// </summary>
public sealed class ClusterWorker(string url, WorkerSettings settings)
{
    private readonly Dictionary<string, (RunParticipation Part, Task Task)> _runs = new(StringComparer.Ordinal);

    /// <summary>Runs until <paramref name="stop"/>; throws <see cref="ClusterException"/> when the server cannot be reached at first.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await using var nats = await NatsSetup.ConnectAsync(url, $"qcpipeline worker {settings.Id}", stop).ConfigureAwait(false);
        var js = new NatsJSContext(nats);
        var runs = await NatsSetup.RunsAsync(js, stop).ConfigureAwait(false);
        settings.Log($"worker {settings.Id} on {settings.Host}: waiting for runs on {url}");
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var entry in runs.WatchAsync<byte[]>(cancellationToken: stop).ConfigureAwait(false))
                    On(entry, nats, js, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                if (e is not (NATS.Client.Core.NatsException or OperationCanceledException or TimeoutException))
                    settings.Log($"worker {settings.Id}: watching for runs failed ({e.GetBaseException().Message}); watching again");
                await Task.Delay(250, stop).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false); // the server is away
            }
        }
        foreach (var (part, _) in _runs.Values) part.Leave();
        await Task.WhenAll(_runs.Values.Select(r => r.Task)).ConfigureAwait(false);
    }

    private void On(NatsKVEntry<byte[]> entry, NATS.Client.Core.NatsConnection nats, NatsJSContext js, CancellationToken stop)
    {
        _runs.TryGetValue(entry.Key, out var known);
        if (entry.Operation != NatsKVOperation.Put || entry.Value is null)
        {
            known.Part?.Leave();
            return;
        }
        RunAnnouncement a;
        try { a = Wire.Decode<RunAnnouncement>(entry.Value); }
        catch (System.Text.Json.JsonException e)
        {
            settings.Log($"worker {settings.Id}: the announcement of run {entry.Key} is unreadable and was ignored ({e.Message})");
            return;
        }
        if (known.Part is { } part)
        {
            if (a.State == AnnouncementState.Stopping) part.CoordinatorStopping();
            return;
        }
        if (a.State != AnnouncementState.Running || stop.IsCancellationRequested) return;
        var participation = new RunParticipation(nats, js, a, settings);
        var task = Task.Run(async () =>
        {
            try { await participation.RunAsync(stop).ConfigureAwait(false); }
            catch (Exception e) { settings.Log($"worker {settings.Id}: run {a.Run} failed here: {e.GetBaseException().Message}"); }
        });
        _runs[a.Run] = (participation, task);
        _runs.Where(r => r.Value.Task.IsCompleted && r.Key != a.Run).Select(r => r.Key).ToList().ForEach(k => _runs.Remove(k));
    }
}
