using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.Service.Tests;

/// <summary>`qcpipeline serve` as a user starts it: bad arguments and jobs are one line and exit 2; SIGTERM answers the
/// requests in flight, stops the runs, writes every output and exits 0.</summary>
public sealed partial class ServeProcessTests
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll");

    private static ProcessStartInfo Start(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Dll);
        psi.ArgumentList.Add("serve");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        psi.Environment.Remove("QC_API_TOKEN");
        return psi;
    }

    private static (int Exit, string Stderr) RunToEnd(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90))) { p.Kill(true); throw new TimeoutException("serve did not exit"); }
        return (p.ExitCode, stderr.Result + stdout.Result);
    }

    [Fact]
    public void Bad_arguments_and_bad_jobs_are_one_line_and_exit_2()
    {
        var dir = TestServer.TempDir();
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "job: bad\nstages:\n  images: { type: files.lisst, root: . }\n");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var busyPort = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var job = TestServer.InspectionJob;
        var cases = new (string[] Args, string Expected)[]
        {
            ([], "job"),
            (["missing.yaml"], "missing.yaml: no such job file"),
            (["bad.yaml"], "bad.yaml:3:"),
            ([job, "--bind", "0.0.0.0", "--port", "0"], "QC_API_TOKEN"),
            ([job, "--port", "70000"], "--port 70000"),
            ([job, "--port", "many"], "many"),
            ([job, "--images", "no-such-folder", "--port", "0"], "--images no-such-folder: no such folder"),
            ([job, "--port", busyPort, "--out", "o"], "cannot listen on 127.0.0.1:" + busyPort),
        };
        foreach (var (args, expected) in cases)
        {
            var (exit, output) = RunToEnd(Start(dir, args));
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(exit == 2, $"serve {string.Join(' ', args)}: exit {exit}: {output}");
            Assert.True(lines.Length == 1, $"serve {string.Join(' ', args)}: {lines.Length} lines: {output}");
            Assert.Contains(expected, lines[0]);
            Assert.DoesNotContain("   at ", output);
        }
    }

    [Fact]
    public async Task Sigterm_answers_the_requests_in_flight_stops_the_runs_and_writes_every_output()
    {
        var dir = TestServer.TempDir();
        var psi = Start(dir, TestServer.InspectionJob, "--port", "0", "--out", "o", "--set", "shutdown_timeout=20s");
        using var server = Process.Start(psi)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ErrorDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
            if (e.Data is { } line && ListeningOn().Match(line) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
        };
        server.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            using var client = new HttpClient { BaseAddress = address };
            // A batch run that would go on for ever (it watches its folder): SIGTERM stops it.
            var run = await TestServer.JsonAsync(await client.PostAsJsonAsync("/v1/runs", new { job = "inspection", set = new[] { "stages.images.watch=true" } }));
            var runId = run.GetProperty("id").GetString()!;

            // Three uploads half sent: they are in flight, held by their own clients, when the signal comes.
            var samples = new[] { "pass-exact.png", "fail-scratch.png", "pass-shifted.png" };
            var held = new List<HeldUpload>();
            foreach (var s in samples) held.Add(await HeldUpload.StartAsync(address, s, TestServer.Sample(s)));
            await WaitForAsync(async () => (await TestServer.JsonAsync(await client.GetAsync("/healthz"))).GetProperty("pending").GetInt32() == 3);

            using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            await WaitForAsync(() => Task.FromResult(Text(output).Contains("SIGTERM: draining")));
            foreach (var h in held)
            {
                var (status, body) = await h.FinishAsync();
                Assert.True(status == 200, $"{h.Name}: {status} {body}");
                Assert.Equal(h.Name, JsonDocument.Parse(body).RootElement.GetProperty("image").GetString());
            }
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(60)), "serve did not exit after SIGTERM: " + Text(output));
            Assert.True(server.ExitCode == 0, Text(output));

            var inspect = Path.Combine(dir, "o", "inspect", "demo-board");
            var items = JsonDocument.Parse(File.ReadAllText(Path.Combine(inspect, "run.json"))).RootElement.GetProperty("items");
            Assert.Equal(3, items.GetProperty("produced").GetInt32());
            Assert.Equal(3, items.GetProperty("processed").GetInt32());
            Assert.Equal(3, File.ReadAllLines(Path.Combine(inspect, "results.jsonl")).Length);
            Assert.True(File.Exists(Path.Combine(inspect, "report.html")));
            var runJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "o", "runs", runId, "run.json"))).RootElement;
            Assert.Equal("cancelled", runJson.GetProperty("outcome").GetString());
            Assert.True(runJson.GetProperty("items").GetProperty("counts_add_up").GetBoolean());
            Assert.True(File.Exists(Path.Combine(dir, "o", "runs", runId, "report.html")));
        }
        finally
        {
            if (!server.HasExited) server.Kill(true);
        }
    }

    private static string Text(StringBuilder b) { lock (b) return b.ToString(); }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met within 60 s");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex(@"listening on (http://\S+?)/? ")]
    private static partial Regex ListeningOn();

    /// <summary>An upload on its own connection, sent in two halves: in flight between them.</summary>
    private sealed class HeldUpload(string name, TcpClient tcp, NetworkStream stream, byte[] rest)
    {
        public string Name { get; } = name;

        public static async Task<HeldUpload> StartAsync(Uri address, string name, byte[] image)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            var head = $"POST /v1/inspect?name={name} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: image/png\r\nContent-Length: {image.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(image.AsMemory(0, image.Length / 2));
            await stream.FlushAsync();
            return new HeldUpload(name, tcp, stream, image[(image.Length / 2)..]);
        }

        public async Task<(int Status, string Body)> FinishAsync()
        {
            using (tcp)
            {
                await stream.WriteAsync(rest);
                await stream.FlushAsync();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
                var status = int.Parse(response.Split(' ', 3)[1], CultureInfo.InvariantCulture);
                var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
                return (status, body);
            }
        }
    }
}
