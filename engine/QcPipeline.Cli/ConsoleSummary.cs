using System.Globalization;
using QcPipeline.Core.Runtime;
using Spectre.Console;

namespace QcPipeline.Cli;

/// <summary>The end of a run on the console: the per-stage table, the counts, what did not succeed.</summary>
public static class ConsoleSummary
{
    private const int ListedItems = 20;

    /// <summary>Prints the table, the counts, the items that did not succeed (the first of each kind) and the error.</summary>
    public static void Print(RunResult r)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("stage", "type", "workers", "in", "out", "failed", "cached", "busy s", "mean ms", "p95 ms", "util", "queue-full s");
        foreach (var s in r.Stages)
            table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Type), N(s.Workers), N(s.In), N(s.Out), N(s.Failed), N(s.Cached),
                F(s.BusyMs / 1000, 2), F(s.MeanMs, 2), F(s.P95Ms, 2), $"{s.Utilisation:P0}", F(s.BlockedMs / 1000, 2));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out), Interactive = InteractionSupport.No });
        if (Console.IsOutputRedirected) console.Profile.Width = 160; // a log or pipe has no width: do not squeeze the table into 80 columns
        console.Write(table);
        Console.WriteLine($"{r.Job}: {r.Produced} items: {r.Processed} processed, {r.Failed} failed, {r.Skipped} skipped, {r.Cancelled} cancelled in {r.Duration.TotalSeconds:F1} s" +
                          (r.CountsAddUp ? "" : "  (COUNTS DO NOT ADD UP)"));
        foreach (var group in r.Unsuccessful.GroupBy(u => u.State))
        {
            Console.WriteLine($"{group.Key}:");
            foreach (var u in group.Take(ListedItems))
                Console.WriteLine($"  {u.Item}" + (u.Reason is null ? "" : $": {(u.Stage is null ? "" : u.Stage + ": ")}{u.Reason}"));
            if (group.Count() > ListedItems) Console.WriteLine($"  … and {group.Count() - ListedItems} more (run.json lists all)");
        }
        Console.WriteLine($"outputs: {Path.GetRelativePath(Environment.CurrentDirectory, r.OutputDirectory)}");
        if (r.Error is not null) Console.Error.WriteLine($"qcpipeline: {r.Error}");
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
    private static string F(double x, int digits) => x.ToString("F" + digits, CultureInfo.InvariantCulture);
}
