using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace QcPipeline.Bench;

/// <summary>`qcpipeline serve` as its own process on a free loopback port (the way it is deployed), stopped with SIGTERM.</summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri address) { _process = process; Address = address; }

    public Uri Address { get; }

    public static async Task<ServerProcess> StartAsync(string job, string? products, string output)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll"), "serve", job, "--port", "0", "--out", output,
                     "--max-pending", "512", "--set", "stages.verdict.annotate=false", "--set", "outputs.report=false" })
            psi.ArgumentList.Add(a);
        if (products is not null) { psi.ArgumentList.Add("--products"); psi.ArgumentList.Add(products); }
        psi.Environment["CI"] = "true";
        var process = Process.Start(psi)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            if (Listening().Match(line) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
            else if (line.StartsWith("qcpipeline:", StringComparison.Ordinal) || line.Contains("error", StringComparison.Ordinal)) Console.Error.WriteLine("serve: " + line);
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited) != listening.Task) throw new InvalidOperationException("serve exited before listening");
        return new ServerProcess(process, await listening.Task);
    }

    /// <summary>The server's resident memory now, in KiB.</summary>
    public long RssKiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(Regex.Match(line, @"\d+").Value, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!) await kill.WaitForExitAsync();
            await Task.WhenAny(_process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
            if (!_process.HasExited) _process.Kill(true);
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on (http://\S+?)/? ")]
    private static partial Regex Listening();
}
