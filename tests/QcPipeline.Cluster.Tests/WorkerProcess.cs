using System.Diagnostics;
using System.Text;

namespace QcPipeline.Cluster.Tests;

/// <summary>A qcpipeline process (with test.pace) as a user would start it, its output followed line by line.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Matches, TaskCompletionSource Seen)> _waits = [];

    private WorkerProcess(Process p) => Process = p;

    public Process Process { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>qcpipeline with test.pace among its stages.</summary>
    public static string TestProgram => Path.Combine(AppContext.BaseDirectory, "QcPipeline.Cluster.TestWorker.dll");

    /// <summary>qcpipeline itself, as shipped.</summary>
    public static string RealProgram => Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll");

    public static WorkerProcess Start(string name, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null, string? program = null)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add(program ?? TestProgram);
        foreach (var a in args) info.ArgumentList.Add(a);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.Environment["CI"] = "true";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var w = new WorkerProcess(Process.Start(info)!);
        w.Process.ErrorDataReceived += (_, e) => w.Line(e.Data);
        w.Process.OutputDataReceived += (_, e) => w.Line(e.Data);
        w.Process.BeginErrorReadLine();
        w.Process.BeginOutputReadLine();
        return w;
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (_, seen) in _waits.Where(x => x.Matches(line)).ToList()) seen.TrySetResult();
        }
    }

    /// <summary>Waits until the process prints a line holding <paramref name="text"/> (or has printed one).</summary>
    public void WaitFor(string text, TimeSpan limit) => WaitFor(line => line.Contains(text, StringComparison.Ordinal), $"'{text}'", limit);

    /// <summary>Waits until the process prints a line matching <paramref name="pattern"/> (or has printed one).</summary>
    public void WaitFor(System.Text.RegularExpressions.Regex pattern, TimeSpan limit) => WaitFor(pattern.IsMatch, $"/{pattern}/", limit);

    private void WaitFor(Func<string, bool> matches, string what, TimeSpan limit)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Split('\n').Any(l => matches(l.TrimEnd('\r')))) return;
            _waits.Add((matches, seen));
        }
        if (!seen.Task.Wait(limit)) throw new Xunit.Sdk.XunitException($"{what} not printed in {limit.TotalSeconds} s; output:\n{Output}");
    }

    /// <summary>SIGKILL, as a crash or a pulled plug would.</summary>
    public void Kill()
    {
        try { Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        Process.WaitForExit(10_000);
    }

    /// <summary>SIGINT (Ctrl+C) or SIGTERM.</summary>
    public void Signal(int signal) => _ = Kill(Process.Id, signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Signal(15);
            if (!Process.WaitForExit(10_000)) Kill();
        }
        Process.Dispose();
    }
}
