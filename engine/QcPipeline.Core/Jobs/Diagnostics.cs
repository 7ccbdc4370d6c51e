using YamlDotNet.Core;

namespace QcPipeline.Core.Jobs;

/// <summary>Where a problem is: a file position (FILE:LINE:COL) or a label such as "--set stages.x.workers".</summary>
public readonly record struct SourceLocation(string File, int Line, int Column, string? Label = null)
{
    /// <summary>A place in a file, from YamlDotNet's mark.</summary>
    public static SourceLocation At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);
    /// <summary>A place named by a label (e.g. a --set override).</summary>
    public static SourceLocation Of(string label) => new("", 0, 0, label);
    /// <summary>The same place, <paramref name="columns"/> further right.</summary>
    public SourceLocation Offset(int columns) => this with { Column = Column + columns };
    /// <summary>"FILE:LINE:COL", or the label.</summary>
    public override string ToString() => Label ?? (Line > 0 ? $"{File}:{Line}:{Column}" : File);
}

/// <summary>One problem with a job, printed as one line: "FILE:LINE:COL: message". Text quoted from the file (a key
/// written "a\nb") keeps it one line: control characters in it are shown escaped.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    /// <summary>The message, one line.</summary>
    public string Message { get; init; } = OneLine(Message);

    /// <summary>"FILE:LINE:COL: message".</summary>
    public override string ToString() => $"{OneLine(Location.ToString())}: {Message}";

    /// <summary><paramref name="text"/> with line breaks, tabs and other control characters written as escapes (\n, \u001B).</summary>
    public static string OneLine(string text)
    {
        if (!text.Any(IsControl)) return text;
        var b = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
            b.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        return b.ToString();
    }

    // Characters that break a line or move the cursor on a terminal: C0/C1 controls and the Unicode line separators.
    private static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}

/// <summary>Collects every problem so that all of them are reported at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    /// <summary>The problems, in the order found.</summary>
    public IReadOnlyList<Diagnostic> Items => _items;
    /// <summary>True when there is at least one.</summary>
    public bool HasErrors => _items.Count > 0;
    /// <summary>Adds a problem at a place.</summary>
    public void Add(SourceLocation where, string message) => _items.Add(new Diagnostic(where, message));

    /// <summary>Sorted by position, so the output reads top to bottom like the file.</summary>
    public IEnumerable<Diagnostic> Sorted() =>
        _items.OrderBy(d => d.Location.Label is null ? 0 : 1).ThenBy(d => d.Location.File, StringComparer.Ordinal)
              .ThenBy(d => d.Location.Line).ThenBy(d => d.Location.Column);
}

/// <summary>A job that cannot run; its diagnostics say every reason with its place.</summary>
public sealed class JobInvalidException(IReadOnlyList<Diagnostic> diagnostics)
    : Exception(string.Join(Environment.NewLine, diagnostics))
{
    /// <summary>Every problem, sorted by place.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics;
}
