using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;

namespace QcPipeline.Cli.Tests;

/// <summary>Running a files.list job as a user would: exit codes 0, 1, 2 and 130 (Ctrl+C), and what run.json says.</summary>
public class RunExitTests
{
    // Local files through the site-scan stages: text files are not JPEGs, so each one fails at gps.
    private const string Job = """
        job: local
        error_budget: ${BUDGET:-0}
        shutdown_timeout: 300ms
        outputs: { report: false }
        stages:
          list:
            type: files.list
            root: ./in
            watch: ${WATCH:-false}
            poll_interval: 50ms
            settle: 100ms
          read: { type: files.read }
          gps: { type: gps.exif }
          aggregate: { type: gps.aggregate }
        """;

    private static string Folder(params string[] textFiles)
    {
        var dir = CliProcess.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        File.WriteAllText(Path.Combine(dir, "job.yaml"), Job);
        foreach (var f in textFiles) File.WriteAllText(Path.Combine(dir, "in", f), "not a photo\n");
        return dir;
    }

    private static JsonElement RunJson(string dir, string outDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, outDir, "run.json"))).RootElement;

    [Fact]
    public void Exit_0_when_the_job_succeeds_or_failures_stay_within_the_budget()
    {
        var empty = Folder();
        var r = CliProcess.Run(empty, "job.yaml", "--out", "o");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("succeeded", RunJson(empty, "o").GetProperty("outcome").GetString());

        var dir = Folder("a.txt", "b.txt");
        var within = CliProcess.Run(dir, new Dictionary<string, string> { ["BUDGET"] = "2" }, "job.yaml", "--out", "o");
        Assert.True(within.ExitCode == 0, within.All);
        var items = RunJson(dir, "o").GetProperty("items");
        Assert.Equal((2, 2, true), (items.GetProperty("produced").GetInt32(), items.GetProperty("failed").GetInt32(), items.GetProperty("counts_add_up").GetBoolean()));
    }

    [Fact]
    public void Exit_1_when_failures_exceed_the_budget()
    {
        var dir = Folder("a.txt", "b.txt", "c.txt");
        var r = CliProcess.Run(dir, "job.yaml", "--out", "o", "--set", "error_budget=2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("3 of 3 items failed, beyond the error budget (2)", r.All);
        var run = RunJson(dir, "o");
        Assert.Equal("items_failed", run.GetProperty("outcome").GetString());
        Assert.Equal(1, run.GetProperty("exit_code").GetInt32());
        Assert.All(run.GetProperty("unsuccessful").EnumerateArray(), u =>
        {
            Assert.Equal("failed", u.GetProperty("state").GetString());
            Assert.Equal("gps", u.GetProperty("stage").GetString());
        });
        Assert.DoesNotContain("   at ", r.All);

        // A folder that does not exist: the run fails as a whole, with one line.
        var missing = CliProcess.Run(dir, "job.yaml", "--out", "o2", "--set", "stages.list.root=./nowhere");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr + missing.Stdout);
        Assert.DoesNotContain("   at ", missing.All);
    }

    [Fact]
    public void Exit_2_for_an_invalid_job_without_running_it()
    {
        var dir = Folder("a.txt");
        var r = CliProcess.Run(dir, "job.yaml", "--out", "o", "--set", "stages.read.mode=everything");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("--set stages.read.mode: 'mode' in stage 'read' (files.read): 'everything' is not one of header, full", r.Stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "o")));
    }

    [Fact]
    public void Ctrl_c_on_a_watching_job_exits_130_and_run_json_lists_what_was_not_processed()
    {
        if (OperatingSystem.IsWindows()) return; // SIGINT and named pipes: Linux and macOS
        var dir = Folder("a.txt", "b.txt");
        // A named pipe with no writer: opening it blocks, like a file on a hung network share. Ctrl+C must
        // still end the run within shutdown_timeout and report the file as not processed.
        var mkfifo = Process.Start("mkfifo", [Path.Combine(dir, "in", "stuck.jpg")])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);

        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "qcpipeline.dll"), "job.yaml", "--out", "o" }) psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        psi.Environment["WATCH"] = "true";
        psi.Environment["BUDGET"] = "100%";
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            // Wait until the job runs and its listing has had time to hand the files on, then press Ctrl+C.
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until && !Text(output).Contains("running local")) Thread.Sleep(50);
            Assert.Contains("running local", Text(output));
            Thread.Sleep(1500);
            var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "the run did not stop after Ctrl+C: " + Text(output));
            p.WaitForExit();
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
        }
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {Text(output)}");
        var run = RunJson(dir, "o");
        Assert.Equal("cancelled", run.GetProperty("outcome").GetString());
        Assert.True(run.GetProperty("items").GetProperty("counts_add_up").GetBoolean());
        var states = run.GetProperty("unsuccessful").EnumerateArray()
            .ToDictionary(u => Path.GetFileName(u.GetProperty("item").GetString()!), u => u.GetProperty("state").GetString());
        Assert.Equal("cancelled", states["stuck.jpg"]);
        Assert.Equal("failed", states["a.txt"]);
        Assert.Equal("failed", states["b.txt"]);
        Assert.Contains("stuck.jpg", Text(output)); // the summary lists it too
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb) return sb.ToString();
    }
}
