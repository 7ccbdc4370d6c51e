using System.Net;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>A busy server says so (503 with Retry-After) instead of queueing without end; stopping it answers the
/// requests in flight before the pipeline's outputs are written.</summary>
public sealed class OverloadAndDrainTests
{
    [Fact]
    public async Task When_every_place_is_taken_the_answer_is_503_with_retry_after()
    {
        var dir = TestServer.TempDir();
        var tag = Gate.NewTag();
        await using var server = await TestServer.StartAsync(TestServer.GatedJob(dir, tag), dir, maxPending: 2);
        var gate = Gate.Of(tag);
        var first = server.PostImageAsync("pass-exact.png");
        var second = server.PostImageAsync("fail-scratch.png");
        await gate.HoldingAsync(2);

        var (status, body, response) = await server.PostImageAsync("pass-shifted.png");
        Assert.Equal(503, status);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Contains("busy", body.GetProperty("error").GetString());
        var health = await TestServer.JsonAsync(await server.Client.GetAsync("/healthz"));
        Assert.Equal(2, health.GetProperty("pending").GetInt32());

        gate.Release(2);
        Assert.Equal(200, (await first).Status);
        Assert.Equal("fail", (await second).Body.GetProperty("verdict").GetString());
        // Places are given back: the server takes requests again.
        gate.Release(1);
        Assert.Equal(200, (await server.PostImageAsync("pass-shifted.png")).Status);
    }

    [Fact]
    public async Task Stopping_answers_the_requests_in_flight_then_writes_the_outputs()
    {
        var dir = TestServer.TempDir();
        var tag = Gate.NewTag();
        var server = await TestServer.StartAsync(TestServer.GatedJob(dir, tag), dir, maxPending: 8);
        var gate = Gate.Of(tag);
        var inFlight = new[] { "pass-exact.png", "fail-scratch.png", "pass-shifted.png" }.Select(s => server.PostImageAsync(s)).ToList();
        await gate.HoldingAsync(3);

        var stopping = server.Host.StopAsync();
        Assert.True(server.Host.IsStopping);
        Assert.False(stopping.IsCompleted); // held by the three requests in flight
        gate.Release(3);
        foreach (var r in inFlight) Assert.Equal(200, (await r).Status);
        await stopping;

        var run = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(server.Out, "inspect", "demo-board", "run.json"))).RootElement;
        Assert.Equal(3, run.GetProperty("items").GetProperty("processed").GetInt32());
        Assert.True(File.Exists(Path.Combine(server.Out, "inspect", "demo-board", "report.html")));
        // New connections are refused once it has stopped.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => server.Client.GetAsync("/healthz"));
        await server.DisposeAsync();
    }
}
