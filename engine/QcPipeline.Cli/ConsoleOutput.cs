using Spectre.Console;

namespace QcPipeline.Cli;

/// <summary>Messages to the user on stderr: info lines and warnings (each warning once).</summary>
public sealed class ConsoleOutput
{
    private readonly HashSet<string> _seen = [];

    /// <summary>A line for the user.</summary>
    public void Info(string message) => Console.Error.WriteLine(message);

    /// <summary>A warning, printed once however often it is given.</summary>
    public void Warn(string message)
    {
        lock (_seen) if (!_seen.Add(message)) return;
        if (ProgressDisplay.Interactive) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {message}");
        else Console.Error.WriteLine($"warning: {message}");
    }
}
