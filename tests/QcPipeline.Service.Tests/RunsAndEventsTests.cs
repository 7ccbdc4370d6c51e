using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>Batch runs over HTTP and their server-sent events: progress, each failure as it happens, the end; cancel
/// with outputs written; bad jobs and a full server refused with a reason.</summary>
public sealed class RunsAndEventsTests
{
    private static async Task<JsonElement> StartRun(TestServer server, object body, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        var response = await server.Client.PostAsJsonAsync("/v1/runs", body);
        var json = await TestServer.JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    /// <summary>Reads a run's event stream to its end (the server closes it after "end").</summary>
    private static async Task<List<(string Type, JsonElement Data)>> EventsAsync(TestServer server, string id, Action? onFirst = null)
    {
        using var response = await server.Client.GetAsync($"/v1/runs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string, JsonElement)>();
        await using var stream = await response.Content.ReadAsStreamAsync();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync())
        {
            events.Add((item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone()));
            if (events.Count == 1) onFirst?.Invoke();
        }
        return events;
    }

    [Fact]
    public async Task A_run_streams_its_progress_failures_and_end_then_serves_its_report()
    {
        var dir = TestServer.TempDir();
        var tag = Gate.NewTag();
        await using var server = await TestServer.StartAsync(TestServer.GatedJob(dir, tag), dir);
        var gate = Gate.Of(tag);
        var started = await StartRun(server, new { job = "gated" });
        var id = started.GetProperty("id").GetString()!;
        Assert.Equal("running", started.GetProperty("state").GetString());
        await gate.HoldingAsync(6);

        // The stream is open before the items go on: every event after its first is live.
        var events = await EventsAsync(server, id, onFirst: () => gate.Release(6));
        Assert.Equal("state", events[0].Type);
        Assert.Equal("end", events[^1].Type);
        Assert.Contains(events, e => e.Type == "progress");
        var failure = Assert.Single(events, e => e.Type == "failure").Data;
        Assert.EndsWith("error-truncated.png", failure.GetProperty("item").GetString());
        Assert.Contains("not a decodable image", failure.GetProperty("reason").GetString());
        var progress = events.Where(e => e.Type == "progress").Select(e => e.Data.GetProperty("counts").GetProperty("done").GetInt64()).ToList();
        Assert.Equal(progress.Order(), progress);                                  // never backwards
        var end = events[^1].Data;
        Assert.Equal("succeeded", end.GetProperty("state").GetString());           // 1 of 6 within the 100% budget
        Assert.Equal(5, end.GetProperty("counts").GetProperty("processed").GetInt32());
        Assert.Equal(1, end.GetProperty("counts").GetProperty("failed").GetInt32());

        var listed = await TestServer.JsonAsync(await server.Client.GetAsync("/v1/runs"));
        Assert.Equal(id, listed.GetProperty("runs")[0].GetProperty("id").GetString());
        var report = await server.Client.GetAsync(end.GetProperty("links").GetProperty("report").GetString());
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("text/html", report.Content.Headers.ContentType?.MediaType);
        Assert.Contains("gated", await report.Content.ReadAsStringAsync());
        Assert.True(File.Exists(Path.Combine(server.Out, "runs", id, "run.json")));
        // A finished run's stream says so at once.
        var again = await EventsAsync(server, id);
        Assert.Equal(["state", "end"], again.Select(e => e.Type));
    }

    [Fact]
    public async Task Delete_cancels_a_run_and_its_outputs_are_written()
    {
        var dir = TestServer.TempDir();
        var tag = Gate.NewTag();
        await using var server = await TestServer.StartAsync(TestServer.GatedJob(dir, tag, shutdown: "200ms"), dir, maxRuns: 1);
        var id = (await StartRun(server, new { job = "gated" })).GetProperty("id").GetString()!;
        await Gate.Of(tag).HoldingAsync(6);

        // One run at a time here: a second is refused with Retry-After, not queued.
        var busy = await server.Client.PostAsJsonAsync("/v1/runs", new { job = "gated" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.NotNull(busy.Headers.RetryAfter);

        var events = EventsAsync(server, id);
        var deleted = await server.Client.DeleteAsync($"/v1/runs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        var end = (await events)[^1];
        Assert.Equal("end", end.Type);
        Assert.Equal("cancelled", end.Data.GetProperty("state").GetString());
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(server.Out, "runs", id, "run.json"))).RootElement;
        Assert.Equal(6, run.GetProperty("items").GetProperty("cancelled").GetInt32());
        Assert.True(run.GetProperty("items").GetProperty("counts_add_up").GetBoolean());
        Assert.True(File.Exists(Path.Combine(server.Out, "runs", id, "report.html")));
        Assert.Equal(HttpStatusCode.Conflict, (await server.Client.DeleteAsync($"/v1/runs/{id}")).StatusCode);
    }

    [Fact]
    public async Task Bad_run_requests_are_refused_with_the_reason()
    {
        var dir = TestServer.TempDir();
        await using var server = await TestServer.StartAsync(TestServer.GatedJob(dir, Gate.NewTag()), dir);
        Assert.Contains("gated", (await StartRun(server, new { job = "nonesuch" }, HttpStatusCode.NotFound)).GetProperty("error").GetString());
        await StartRun(server, new { job = "../pipelines/site-scan" }, HttpStatusCode.BadRequest);
        await StartRun(server, new { job = "gated", set = new[] { "outputs.dir=/tmp/elsewhere" } }, HttpStatusCode.BadRequest);
        await StartRun(server, new { job = "gated", set = "stages.gate.workers=2" }, HttpStatusCode.BadRequest);
        var invalid = await StartRun(server, new { job = "gated", set = new[] { "stages.gate.workers=lots", "stages.nope.x=1" } }, HttpStatusCode.BadRequest);
        var problems = invalid.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.Matches(@"gated\.yaml|--set", p));
        var response = await server.Client.PostAsync("/v1/runs", new StringContent("{ nope"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/runs/nonesuch")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/runs/nonesuch/events")).StatusCode);
        var jobs = await TestServer.JsonAsync(await server.Client.GetAsync("/v1/jobs"));
        Assert.Equal(["gated"], jobs.GetProperty("jobs").EnumerateArray().Select(j => j.GetString()!));
    }
}
