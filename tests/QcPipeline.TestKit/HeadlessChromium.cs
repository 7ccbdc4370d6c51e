using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace QcPipeline.TestKit;

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol (a WebSocket from the framework, no driver package):
/// open a page, evaluate script in it, wait for a condition, take a screenshot, and collect every console error and
/// uncaught exception the page raised.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _calls = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    /// <summary>Console errors, uncaught exceptions and failed loads, as the page reported them.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    private HeadlessChromium(Process process, string profile) { _process = process; _profile = profile; }

    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("qc-chromium").FullName;
        var psi = new ProcessStartInfo(Chromium.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--remote-debugging-port=0", $"--user-data-dir={profile}", "--window-size=1300,900", "about:blank" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var chromium = new HeadlessChromium(process, profile);
        try { await chromium.ConnectAsync(); }
        catch { await chromium.DisposeAsync(); throw; }
        return chromium;
    }

    // Chromium writes the port it chose to DevToolsActivePort in its profile; the page's socket is listed at /json/list.
    private async Task ConnectAsync()
    {
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(portFile) || new FileInfo(portFile).Length == 0)
        {
            if (DateTime.UtcNow > until || _process.HasExited) throw new TimeoutException("chromium did not open its DevTools port");
            await Task.Delay(20);
        }
        var port = File.ReadAllLines(portFile)[0].Trim();
        using var http = new HttpClient();
        string? page = null;
        while (page is null)
        {
            var list = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            page = list.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
            if (page is null) await Task.Delay(20);
        }
        await _socket.ConnectAsync(new Uri(page), CancellationToken.None);
        _receiving = ReceiveAsync();
        await CallAsync("Runtime.enable");
        await CallAsync("Log.enable");
        await CallAsync("Page.enable");
    }

    /// <summary>Opens <paramref name="url"/>.</summary>
    public Task NavigateAsync(Uri url) => CallAsync("Page.navigate", new JsonObject { ["url"] = url.AbsoluteUri });

    /// <summary>The value of a script expression (awaited when it is a promise).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } error) throw new InvalidOperationException($"script failed: {error.ToJsonString()}");
        return result["result"]?["value"];
    }

    /// <summary>Waits until <paramref name="condition"/> (script) is true: a condition polled, never a fixed sleep.</summary>
    public async Task WaitForAsync(string condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            // Until the page has loaded, the condition may not even be computable: that is "not yet".
            if ((await EvaluateAsync($"(() => {{ try {{ return Boolean({condition}); }} catch {{ return false; }} }})()"))?.GetValue<bool>() == true) return;
            if (DateTime.UtcNow > until) throw new TimeoutException($"the page did not show {what} within 60 s; errors: {string.Join("; ", Errors)}");
            await Task.Delay(25);
        }
    }

    /// <summary>A PNG of the page as it is drawn now.</summary>
    public async Task<byte[]> ScreenshotAsync() =>
        Convert.FromBase64String((await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }))["data"]!.GetValue<string>());

    private async Task<JsonNode> CallAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = done;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var part = await _socket.ReceiveAsync(buffer, _closing.Token);
                if (part.MessageType == WebSocketMessageType.Close) return;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                if (node["id"] is { } id && _calls.TryRemove(id.GetValue<int>(), out var call))
                {
                    if (node["error"] is { } error) call.SetException(new InvalidOperationException($"DevTools: {error.ToJsonString()}"));
                    else call.SetResult(node["result"] ?? new JsonObject());
                }
                else Note(node);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
    }

    // What the page reports on its own: console.error calls, uncaught exceptions, and the browser's error log (a
    // refused load, a CSP violation).
    private void Note(JsonNode e)
    {
        var p = e["params"];
        var method = e["method"]?.GetValue<string>();
        if (method == "Runtime.consoleAPICalled" && p?["type"]?.GetValue<string>() is "error" or "assert")
            Errors.Enqueue("console." + p["type"] + ": " + p["args"]?.ToJsonString());
        else if (method == "Runtime.exceptionThrown")
            Errors.Enqueue("uncaught: " + p?["exceptionDetails"]?.ToJsonString());
        else if (method == "Log.entryAdded" && p?["entry"]?["level"]?.GetValue<string>() == "error")
            Errors.Enqueue("log: " + p["entry"]!["text"] + " " + p["entry"]!["url"]);
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        try { await _receiving; } catch (OperationCanceledException) { }
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
