using System.Net.Http.Json;
using System.Net.Http.Headers;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>The page in a real headless Chromium: it renders, follows runs live from the event stream (a run started
/// after the page loaded appears, its bar fills, its failure and report link show), lists the latest verdicts, starts
/// and cancels runs from its own buttons, asks for the token when there is one, and raises no console error.</summary>
public sealed class PageTests
{
    private static string Row(string id) => $"document.querySelector('tr[data-run=\"{id}\"]')";

    [ChromiumFact]
    public async Task The_page_follows_runs_and_verdicts_live_without_console_errors()
    {
        var dir = TestServer.TempDir();
        var tag = Gate.NewTag();
        await using var server = await TestServer.StartAsync(TestServer.GatedJob(dir, tag, shutdown: "300ms"), dir);
        var gate = Gate.Of(tag);
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(server.Host.Address);
        await browser.WaitForAsync("document.body.dataset.rendered === '1' && document.body.dataset.connected === '1'", "itself rendered and connected");
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#runs tbody tr').length"))!.GetValue<int>());

        // A run started after the page loaded appears in it, held at 0 of 6.
        var started = await TestServer.JsonAsync(await server.Client.PostAsJsonAsync("/v1/runs", new { job = "gated" }));
        var id = started.GetProperty("id").GetString()!;
        await gate.HoldingAsync(6);
        await browser.WaitForAsync($"{Row(id)} && {Row(id)}.dataset.expected === '6'", "the new run with 6 items expected");
        Assert.Equal("running", (await browser.EvaluateAsync($"{Row(id)}.dataset.state"))!.GetValue<string>());
        Assert.Equal(0, (await browser.EvaluateAsync($"{Row(id)}.querySelector('progress').value"))!.GetValue<double>());

        // Let the items through: the bar fills, the failure shows, then the end with the report link.
        gate.Release(6);
        await browser.WaitForAsync($"{Row(id)}.dataset.state === 'succeeded'", "the run's end");
        Assert.Equal(6, (await browser.EvaluateAsync($"{Row(id)}.querySelector('progress').value"))!.GetValue<double>());
        Assert.Equal(6, (await browser.EvaluateAsync($"{Row(id)}.querySelector('progress').max"))!.GetValue<double>());
        Assert.True((await browser.EvaluateAsync($"Number({Row(id)}.dataset.progressEvents)"))!.GetValue<double>() >= 1);
        Assert.Contains("error-truncated.png", (await browser.EvaluateAsync($"{Row(id)}.querySelector('.failures').textContent"))!.GetValue<string>());
        Assert.Equal($"/v1/runs/{id}/report", (await browser.EvaluateAsync($"{Row(id)}.querySelector('a.report').getAttribute('href')"))!.GetValue<string>());

        // An inspection shows among the latest verdicts (the served pipeline has the gate too).
        var inspected = server.PostImageAsync("fail-scratch.png");
        await gate.HoldingAsync(1);
        gate.Release(1);
        Assert.Equal(200, (await inspected).Status);
        await browser.WaitForAsync("document.querySelector('#verdicts tr[data-image=\"fail-scratch.png\"] .verdict.fail')", "the latest verdict");

        // The page's own form starts a run, and its Cancel button stops it.
        await browser.EvaluateAsync("document.getElementById('job').value = 'gated'; document.getElementById('start-button').click(); true");
        await browser.WaitForAsync("document.querySelectorAll('#runs tbody tr').length === 2", "the run started from the form");
        var second = (await browser.EvaluateAsync("document.querySelector('#runs tbody tr').dataset.run"))!.GetValue<string>();
        await gate.HoldingAsync(6);
        await browser.WaitForAsync($"{Row(second)}.querySelector('button.cancel')", "the cancel button");
        await browser.EvaluateAsync($"{Row(second)}.querySelector('button.cancel').click(); true");
        await browser.WaitForAsync($"{Row(second)}.dataset.state === 'cancelled'", "the cancelled run");

        var png = await browser.ScreenshotAsync();
        // Kept beside the tests for a person to look at (in the temporary folder when the build is another user's).
        try { await File.WriteAllBytesAsync(Path.Combine(Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName, "service-page.png"), png); }
        catch (UnauthorizedAccessException) { await File.WriteAllBytesAsync(Path.Combine(dir, "service-page.png"), png); }
        Assert.True(png.Length > 10_000, $"screenshot is only {png.Length} bytes");
        Assert.True(browser.Errors.IsEmpty, string.Join("\n", browser.Errors));
    }

    [ChromiumFact]
    public async Task With_a_token_the_page_asks_for_it_then_connects()
    {
        const string token = "page-token-0123456789abcdef";
        await using var server = await TestServer.StartAsync(token: token);
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(server.Host.Address);
        await browser.WaitForAsync("document.getElementById('token-dialog').open", "the token dialog");
        await browser.EvaluateAsync($"document.getElementById('token').value = '{token}'; document.getElementById('token-form').requestSubmit(); true");
        await browser.WaitForAsync("document.body.dataset.connected === '1' && document.body.dataset.rendered === '1'", "the page connected with the token");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/inspect") { Content = TestServer.Png(TestServer.Sample("pass-exact.png")) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.True((await server.Client.SendAsync(request)).IsSuccessStatusCode);
        await browser.WaitForAsync("document.querySelector('#verdicts .verdict.pass')", "the verdict");
        // The refused first attempt is the browser's own 401 log line; nothing else went wrong.
        Assert.All(browser.Errors, e => Assert.Contains("401", e));
    }
}
