using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using QcPipeline.Core.Runtime;
using Xunit;

namespace QcPipeline.Cli.Tests;

/// <summary>The last second of a run, as a user sees it: SIGTERM handled like Ctrl+C, signals during the writing of
/// outputs held off, output folders that cannot be written refused before the first item, a folder held by another
/// run refused, and nothing of a previous run left beside a new run's run.json.</summary>
public class StopAndOutputTests
{
    private const string Job = """
        job: local
        error_budget: 100%
        shutdown_timeout: 300ms
        stages:
          list: { type: files.list, root: ./in, watch: true, poll_interval: 50ms, settle: 100ms }
          read: { type: files.read }
          gps: { type: gps.exif }
          aggregate: { type: gps.aggregate }
        """;

    // Two text files (they fail at gps) and a named pipe with no writer: opening it blocks, like a file on a
    // hung network share, so one item is always in progress when the signal comes.
    private static string Folder()
    {
        var dir = CliProcess.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        File.WriteAllText(Path.Combine(dir, "job.yaml"), Job);
        foreach (var f in new[] { "a.txt", "b.txt" }) File.WriteAllText(Path.Combine(dir, "in", f), "not a photo\n");
        using var mkfifo = Process.Start("mkfifo", [Path.Combine(dir, "in", "stuck.jpg")])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return dir;
    }

    private sealed class Running : IDisposable
    {
        private readonly StringBuilder _output = new();
        public Process Process { get; }

        public Running(string dir)
        {
            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll"), "job.yaml", "--out", "o" }) psi.ArgumentList.Add(a);
            psi.Environment["CI"] = "true";
            Process = Process.Start(psi)!;
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Text { get { lock (_output) return _output.ToString(); } }

        /// <summary>Waits for the run's own progress line saying the two text files are done (the pipe is still in progress).</summary>
        public void WaitUntilTwoDone()
        {
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until && !Text.Contains("2/3 items done") && !Process.HasExited) Thread.Sleep(20);
            Assert.Contains("2/3 items done", Text);
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", [$"-{name}", Process.Id.ToString(CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(true);
            Process.Dispose();
        }
    }

    private static void AssertStoppedWithEveryOutput(string dir, Running run)
    {
        Assert.True(run.Process.ExitCode == 130, $"exit {run.Process.ExitCode}: {run.Text}");
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "o", "run.json"))).RootElement;
        Assert.Equal("cancelled", json.GetProperty("outcome").GetString());
        Assert.True(json.GetProperty("items").GetProperty("counts_add_up").GetBoolean());
        var states = json.GetProperty("unsuccessful").EnumerateArray()
            .ToDictionary(u => Path.GetFileName(u.GetProperty("item").GetString()!), u => u.GetProperty("state").GetString());
        Assert.Equal(("cancelled", "failed", "failed"), (states["stuck.jpg"], states["a.txt"], states["b.txt"]));
        Assert.True(File.Exists(Path.Combine(dir, "o", "report.html")), "report.html was not written");
        Assert.True(File.Exists(Path.Combine(dir, "o", "points.csv")), "the sink's outputs were not written");
        Assert.Contains("local: 3 items: 0 processed, 2 failed, 0 skipped, 1 cancelled", run.Text); // the summary
        Assert.Contains("stuck.jpg", run.Text); // lists what was not processed
        Assert.DoesNotContain("   at ", run.Text);
    }

    [Fact]
    public void Sigterm_stops_the_run_like_ctrl_c_and_every_output_is_written()
    {
        var dir = Folder();
        using var run = new Running(dir);
        run.WaitUntilTwoDone();
        run.Signal("TERM");
        Assert.True(run.Process.WaitForExit(TimeSpan.FromSeconds(60)), "the run did not stop after SIGTERM: " + run.Text);
        run.Process.WaitForExit();
        Assert.Contains("SIGTERM: stopping", run.Text);
        AssertStoppedWithEveryOutput(dir, run);
    }

    [Fact]
    public void Signals_that_keep_coming_while_the_outputs_are_written_lose_none_of_them()
    {
        var dir = Folder();
        using var run = new Running(dir);
        run.WaitUntilTwoDone();
        // Ctrl+C, then again and again until the process has exited: the second abandons the stuck item, the
        // rest land while the outputs are written and must not cut them off.
        var sent = 0;
        while (!run.Process.HasExited && sent < 2000)
        {
            run.Signal("INT");
            sent++;
            run.Process.WaitForExit(TimeSpan.FromMilliseconds(20));
        }
        Assert.True(run.Process.WaitForExit(TimeSpan.FromSeconds(60)), "the run did not stop: " + run.Text);
        run.Process.WaitForExit();
        Assert.True(sent >= 3, "the run ended before the signals could reach its last second");
        Assert.Contains("abandoning the items in progress", run.Text);
        AssertStoppedWithEveryOutput(dir, run);
    }

    private static CliProcess.Result RunInto(string dir, string outDir) =>
        CliProcess.Run(dir, "job.yaml", "--out", outDir, "--set", "stages.list.watch=false");

    private static void AssertRefusedBeforeRunning(CliProcess.Result r, string expected)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.All}");
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("qcpipeline: cannot write the output folder ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("running local", r.All);
        Assert.DoesNotContain("   at ", r.All);
    }

    [Fact]
    public void An_output_folder_that_cannot_be_written_is_refused_before_the_first_item_with_exit_2()
    {
        var dir = Folder();
        File.Delete(Path.Combine(dir, "in", "stuck.jpg"));
        File.WriteAllText(Path.Combine(dir, "a-file"), "in the way");
        AssertRefusedBeforeRunning(RunInto(dir, "a-file/out"), $"{Path.Combine(dir, "a-file")} is a file, not a folder");
        AssertRefusedBeforeRunning(RunInto(dir, "/dev/full"), "/dev/full is a file, not a folder");
        if (Environment.UserName == "root")
            AssertRefusedBeforeRunning(RunInto(dir, "/proc/qcpipeline-out"), "/proc/qcpipeline-out"); // root writes everywhere but here
        else
        {
            var ro = Path.Combine(dir, "read-only");
            Directory.CreateDirectory(ro);
            File.SetUnixFileMode(ro, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            AssertRefusedBeforeRunning(RunInto(dir, "read-only/out"), "read-only");
        }
    }

    [Fact]
    public void A_folder_another_run_writes_into_is_refused_and_a_reused_one_keeps_nothing_of_the_previous_run()
    {
        var dir = Folder();
        File.Delete(Path.Combine(dir, "in", "stuck.jpg"));
        var outDir = Path.Combine(dir, "o");
        Directory.CreateDirectory(outDir);
        using (new FileStream(Path.Combine(outDir, OutputFiles.Lock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            AssertRefusedBeforeRunning(RunInto(dir, "o"), "another run is writing into it");

        // A previous run's dead letters must not stand beside a run.json that reports none.
        File.WriteAllText(Path.Combine(outDir, OutputFiles.DeadLetter), "{\"item\":\"old\"}\n");
        File.Delete(Path.Combine(dir, "in", "a.txt"));
        File.Delete(Path.Combine(dir, "in", "b.txt"));
        var r = RunInto(dir, "o");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("the previous run's dead-letter.jsonl removed", r.All);
        Assert.False(File.Exists(Path.Combine(outDir, OutputFiles.DeadLetter)));
        Assert.True(File.Exists(Path.Combine(outDir, OutputFiles.RunJson)));
    }

    [Fact]
    public void A_folder_given_as_the_job_file_is_named_as_a_folder()
    {
        var dir = CliProcess.TempDir();
        var r = CliProcess.Run(dir, "validate", ".");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(".: is a folder, not a job file (name a .yaml file in it)", r.Stderr.Trim());
    }
}
