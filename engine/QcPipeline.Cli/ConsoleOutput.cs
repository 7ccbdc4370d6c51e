using Spectre.Console;

namespace QcPipeline.Cli;

/// <summary>Messages to the user on stderr: info lines and warnings (each warning once).</summary>
public sealed class ConsoleOutput
{
    private readonly HashSet<string> _seen = [];

    public void Info(string message) => Console.Error.WriteLine(message);

    public void Warn(string message)
    {
        lock (_seen) if (!_seen.Add(message)) return;
        if (ProgressDisplay.Interactive) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {message}");
        else Console.Error.WriteLine($"warning: {message}");
    }
}
