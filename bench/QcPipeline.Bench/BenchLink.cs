using System.Diagnostics;
using QcPipeline.TestKit;

namespace QcPipeline.Bench;

/// <summary>
/// The benchmarks' 40 ms / 100 Mbit/s link (TestKit's LatencyProxy) in a process of its own, so that the job's CPU
/// time is measured without the link's, and the link's and sshd's are measured apart: all three share the machine.
/// The child is this program run as <c>link UPSTREAM_PORT RTT_MS MBIT</c>; it answers "stats" on its stdin.
/// </summary>
public sealed class BenchLink : IAsyncDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();

    public BenchLink(int upstreamPort, int roundTripMs, int megabits)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (!Environment.ProcessPath!.EndsWith("QcPipeline.Bench", StringComparison.Ordinal)) info.ArgumentList.Add(typeof(BenchLink).Assembly.Location); // run by dotnet
        info.Environment.Remove("DOTNET_DiagnosticPorts"); // a profiler attached to the benchmark is not the link's
        foreach (var a in new[] { "link", upstreamPort.ToString(), roundTripMs.ToString(), megabits.ToString() }) info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException("the link process did not start");
        Port = int.Parse(_process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the link process said nothing"));
    }

    public int Port { get; }

    /// <summary>Bytes carried both ways, connections accepted, and the link process's CPU seconds so far.</summary>
    public (long Bytes, int Connections, double CpuSeconds) Stats()
    {
        lock (_gate)
        {
            _process.StandardInput.WriteLine("stats");
            _process.StandardInput.Flush();
            var parts = _process.StandardOutput.ReadLine()!.Split(' ');
            _process.Refresh();
            return (long.Parse(parts[0]) + long.Parse(parts[1]), int.Parse(parts[2]), _process.TotalProcessorTime.TotalSeconds);
        }
    }

    /// <summary>The child's side: serve the link until stdin closes.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        await using var proxy = new LatencyProxy(int.Parse(args[0]), TimeSpan.FromMilliseconds(int.Parse(args[1])), int.Parse(args[2]));
        Console.WriteLine(proxy.Port);
        while (Console.ReadLine() is { } line)
            if (line == "stats") Console.WriteLine($"{proxy.BytesDown} {proxy.BytesUp} {proxy.Connections}");
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>CPU seconds used by a process and all its descendants, live or exited (an exited child's time is in its
/// parent's cutime once reaped), from /proc.</summary>
public static class ProcessTreeCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static double Seconds(int root)
    {
        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
                stats[pid] = (int.Parse(f[1]), long.Parse(f[11]) + long.Parse(f[12]) + long.Parse(f[13]) + long.Parse(f[14]));
            }
            catch (IOException) { } // gone meanwhile
        }
        long total = 0;
        foreach (var (pid, s) in stats)
            for (var p = pid; stats.TryGetValue(p, out var up); p = up.Parent)
                if (p == root) { total += s.Ticks; break; }
        return total / TicksPerSecond;
    }
}
