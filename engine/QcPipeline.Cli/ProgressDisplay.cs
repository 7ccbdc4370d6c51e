using System.Diagnostics;
using QcPipeline.Core.Runtime;
using Spectre.Console;

namespace QcPipeline.Cli;

/// <summary>A live progress bar on a terminal; plain periodic lines when output goes to a file, a pipe or CI.</summary>
public static class ProgressDisplay
{
    /// <summary>How often the live display is redrawn.</summary>
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a progress line is printed when output goes to a log.</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    /// <summary>True on a terminal (not a file, pipe or CI).</summary>
    public static bool Interactive { get; } =
        !Console.IsErrorRedirected && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive
        && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>Shows the progress of <paramref name="run"/> until it ends; returns its result.</summary>
    public static async Task<RunResult> Follow(PipelineRunner runner, Task<RunResult> run)
    {
        if (!Interactive) return await Plain(runner, run);
        RunResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var total = ctx.AddTask("items");
                var stages = runner.Stages.Select(s => (s, task: ctx.AddTask($"  {s.Name}"))).ToList();
                while (!run.IsCompleted)
                {
                    Update(runner, total, stages);
                    await Task.WhenAny(run, Task.Delay(RedrawInterval));
                }
                Update(runner, total, stages);
                result = await run;
            });
        return result!;
    }

    private static void Update(PipelineRunner runner, ProgressTask total, List<(StageStats s, ProgressTask task)> stages)
    {
        var expected = Math.Max(runner.Expected, runner.Produced);
        total.MaxValue = Math.Max(1, expected);
        total.Value = runner.Done;
        total.Description = $"items {runner.Done}/{(runner.Expected > 0 ? runner.Expected.ToString() : "?")}" + (runner.Failed > 0 ? $" ({runner.Failed} failed)" : "");
        foreach (var (s, task) in stages)
        {
            task.MaxValue = Math.Max(1, expected);
            task.Value = Math.Min(task.MaxValue, s.In + s.PassedThrough);
            task.Description = $"  {s.Name} [grey]{s.In - s.Failed}/{s.In}[/]";
        }
    }

    private static async Task<RunResult> Plain(PipelineRunner runner, Task<RunResult> run)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var next = Task.Delay(LogInterval);
            if (await Task.WhenAny(run, next) == run) return await run;
            var stages = string.Join(", ", runner.Stages.Select(s => $"{s.Name} {s.In}"));
            Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {runner.Done}/{(runner.Expected > 0 ? runner.Expected : runner.Produced)} items done, {runner.Failed} failed ({stages})");
        }
    }
}
