using YamlDotNet.Core;

namespace QcPipeline.Core.Jobs;

/// <summary>Where a problem is: a file position (FILE:LINE:COL) or a label such as "--set stages.x.workers".</summary>
public readonly record struct SourceLocation(string File, int Line, int Column, string? Label = null)
{
    public static SourceLocation At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);
    public static SourceLocation Of(string label) => new("", 0, 0, label);
    public SourceLocation Offset(int columns) => this with { Column = Column + columns };
    public override string ToString() => Label ?? (Line > 0 ? $"{File}:{Line}:{Column}" : File);
}

/// <summary>One problem with a job, printed as one line: "FILE:LINE:COL: message".</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>Collects every problem so that all of them are reported at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    public IReadOnlyList<Diagnostic> Items => _items;
    public bool HasErrors => _items.Count > 0;
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
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics;
}
