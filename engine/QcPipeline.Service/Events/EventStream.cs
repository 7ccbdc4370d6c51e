using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using QcPipeline.Service.Http;
using QcPipeline.Service.Inspection;
using QcPipeline.Service.Runs;

namespace QcPipeline.Service.Events;

/// <summary>
/// Server-sent events. `GET /v1/runs/{id}/events`: the run's state first, then its progress (counts per stage, every
/// half second while something changes), each failure as it happens, and its end, after which the stream closes.
/// `GET /v1/events`: the same for every run, plus the inspections' summary, for the page. A quiet stream sends a
/// heartbeat now and then, so that proxies keep it open.
/// </summary>
internal sealed class EventStream(EventHub hub, RunManager runs, InspectionService inspection)
{
    /// <summary>How long a stream may stay silent before a heartbeat.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>How often the inspections' summary is sent while it changes.</summary>
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMilliseconds(500);

    public void Map(WebApplication app)
    {
        app.MapGet("/v1/runs/{id}/events", (string id, HttpContext http) => runs.Find(id) is { } run
            ? TypedResults.ServerSentEvents(OfRun(run, http.RequestAborted))
            : ApiJson.Error(StatusCodes.Status404NotFound, $"no run '{(id.Length > 80 ? id[..80] : id)}'"));
        app.MapGet("/v1/events", (HttpContext http) => TypedResults.ServerSentEvents(All(http.RequestAborted)));
    }

    /// <summary>Publishes the inspections' summary while it changes, until <paramref name="stop"/>.</summary>
    public async Task PublishSummariesAsync(CancellationToken stop)
    {
        using var ticks = new PeriodicTimer(SummaryInterval);
        long last = -1;
        try
        {
            while (await ticks.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var version = inspection.Verdicts.Version;
                if (version == last || hub.Subscribers == 0) continue;
                last = version;
                hub.Publish("inspection", null, inspection.Verdicts.Snapshot());
            }
        }
        catch (OperationCanceledException) { }
    }

    private async IAsyncEnumerable<SseItem<string>> OfRun(ServiceRun run, [EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = hub.Subscribe(); // before the snapshot: nothing between the two is missed
        yield return Item("state", ApiJson.Serialize(run.Snapshot()), 0);
        if (run.IsDone)
        {
            yield return Item("end", ApiJson.Serialize(run.Snapshot()), 0);
            yield break;
        }
        await foreach (var e in Events(subscription, ct).ConfigureAwait(false))
        {
            if (e is null) { yield return Item("heartbeat", "{}", 0); continue; }
            if (e.Run != run.Id) continue;
            yield return Item(e.Type, e.Json, e.Id);
            if (e.Type == "end") yield break;
        }
    }

    private async IAsyncEnumerable<SseItem<string>> All([EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = hub.Subscribe();
        var hello = new
        {
            Runs = runs.List().Select(r => r.Snapshot()), Inspection = inspection.Verdicts.Snapshot(),
            Products = inspection.Products, inspection.Disabled, Jobs = runs.Jobs(),
        };
        yield return Item("hello", ApiJson.Serialize(hello), 0);
        await foreach (var e in Events(subscription, ct).ConfigureAwait(false))
            yield return e is null ? Item("heartbeat", "{}", 0) : Item(e.Type, e.Json, e.Id);
    }

    // The subscription's events, with a null for each heartbeat due; ends when the hub closes or the client leaves.
    private static async IAsyncEnumerable<ServerEvent?> Events(EventHub.Subscription subscription, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = subscription.Reader;
        while (true)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(Heartbeat);
            bool more;
            try { more = await reader.WaitToReadAsync(quiet.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { more = true; }
            catch (OperationCanceledException) { yield break; }
            if (!more) yield break;
            var any = false;
            while (reader.TryRead(out var e)) { any = true; yield return e; }
            if (!any) yield return null;
        }
    }

    private static SseItem<string> Item(string type, string json, long id) =>
        new(json, type) { EventId = id > 0 ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null };
}
