using System.Buffers;
using System.Text;
using System.Text.Unicode;
using QcPipeline.Core.Options;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Jobs;

/// <summary>A kind of YAML file the project reads (a job, a product), as its messages name it.</summary>
/// <param name="Name">"job file": "the job file is empty".</param>
/// <param name="Noun">"a job": "a job needs a few levels".</param>
/// <param name="Shape">What its root must be: "a job is a mapping with job:, connections: and stages:".</param>
public sealed record YamlFileKind(string Name, string Noun, string Shape)
{
    /// <summary>A job file.</summary>
    public static readonly YamlFileKind Job = new("job file", "a job", "a job is a mapping with job:, connections: and stages:");
}

/// <summary>
/// Reads YAML defensively: the bytes must be UTF-8; nesting and alias expansion are bounded (an alias bomb
/// or a file of a hundred thousand '[' ends in one located line, in milliseconds, not in gigabytes or a
/// stack overflow); and errors YamlDotNet places poorly, or throws without a position, are placed. Job files and
/// every other YAML file the project reads (product files) go through it.
/// </summary>
public static class YamlReader
{
    /// <summary>Collections nested deeper than this are refused (a job or product needs a handful of levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>The most YAML nodes a file may expand to, aliases counted at their full size.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>Decodes a file's bytes as UTF-8 (a byte-order mark is allowed); null, with a located error, when they are not.</summary>
    public static string? Decode(byte[] bytes, string file, DiagnosticBag diags) => Decode(bytes, file, diags, YamlFileKind.Job);

    /// <summary>As above, for a file of another <paramref name="kind"/>.</summary>
    public static string? Decode(byte[] bytes, string file, DiagnosticBag diags, YamlFileKind kind)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        if (span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || span.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            diags.Add(new SourceLocation(file, 1, 1), $"the {kind.Name} is UTF-16 text; save it as UTF-8");
            return null;
        }
        var chars = new char[span.Length];
        var status = Utf8.ToUtf16(span, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done) return new string(chars, 0, written);
        // Place the first byte that is not UTF-8: its line, and its column in characters.
        var before = Encoding.UTF8.GetString(span[..read]);
        var line = before.Count(c => c == '\n') + 1;
        var column = before.Length - (before.LastIndexOf('\n') + 1) + 1;
        diags.Add(new SourceLocation(file, line, column), $"the {kind.Name} is not UTF-8 text: byte 0x{span[read]:X2} here cannot be read; save the file as UTF-8");
        return null;
    }

    /// <summary>The job's root mapping, or null with the problem reported.</summary>
    internal static YamlMappingNode? ReadJob(string yaml, BindContext ctx) => ReadMapping(yaml, ctx, YamlFileKind.Job);

    /// <summary>The root mapping of a file of one document, or null with the problem reported (located, one line).</summary>
    public static YamlMappingNode? ReadMapping(string yaml, BindContext ctx, YamlFileKind kind)
    {
        var stream = new YamlStream();
        var parser = new GuardedParser(new Parser(new StringReader(yaml)), kind);
        try { stream.Load(parser); }
        catch (YamlException e)
        {
            var msg = FirstLine(e.InnerException is YamlException inner ? inner.Message : e.Message);
            // YamlDotNet places some errors poorly: a tab in the indentation at the mapping's start, an unclosed
            // [ or { at the end of the file. Point at the tab, or at the bracket left open.
            var where = SourceLocation.At(ctx.File, e.Start);
            if (e is not YamlLimitException)
            {
                if (msg.Contains("tab", StringComparison.Ordinal) && FirstIndentTab(yaml) is var (line, col)) where = new SourceLocation(ctx.File, line, col);
                else if (msg.StartsWith("While parsing a flow", StringComparison.Ordinal) && parser.OpenFlow is { } open) where = SourceLocation.At(ctx.File, open);
            }
            ctx.Diagnostics.Add(where, "YAML: " + msg);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these (with no position) on some malformed input, e.g. a flow
            // mapping left open before the next line; report where parsing last succeeded.
            ctx.Diagnostics.Add(SourceLocation.At(ctx.File, parser.OpenFlow ?? parser.LastGood), parser.OpenFlow is null
                ? "YAML: cannot be read after this point (is a quote left open?)"
                : "YAML: this { } or [ ] is not closed, or holds something that cannot be read");
            return null;
        }
        if (stream.Documents.Count == 0)
        {
            ctx.Diagnostics.Add(new SourceLocation(ctx.File, 1, 1), $"the {kind.Name} is empty");
            return null;
        }
        if (stream.Documents.Count > 1)
            ctx.Diagnostics.Add(SourceLocation.At(ctx.File, stream.Documents[1].RootNode.Start), $"a {kind.Name} holds one YAML document");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            ctx.Error(stream.Documents[0].RootNode, kind.Shape);
            return null;
        }
        return root;
    }

    /// <summary>One value written on the command line (--set PATH=VALUE), read as YAML with the same limits;
    /// null with the reason when it is not valid YAML.</summary>
    public static YamlNode? ReadValue(string text, out string? problem)
    {
        problem = null;
        try
        {
            var s = new YamlStream();
            s.Load(new GuardedParser(new Parser(new StringReader("v: " + text)), YamlFileKind.Job));
            return ((YamlMappingNode)s.Documents[0].RootNode).Children[new YamlScalarNode("v")];
        }
        catch (YamlException e)
        {
            problem = FirstLine(e.InnerException is YamlException inner ? inner.Message : e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException)
        {
            problem = "it cannot be read as YAML";
        }
        return null;
    }

    /// <summary>A YAML limit was reached (nesting, alias expansion): a located error like any syntax error.</summary>
    private sealed class YamlLimitException(Mark start, string message) : YamlException(start, start, message);

    /// <summary>
    /// Passes YamlDotNet's events on while keeping count: how deep collections nest, and how many nodes the
    /// document stands for once every alias is expanded (an alias counts as the size of its anchor). Past a
    /// limit it stops at once, before anything is built. It also remembers where the last event ended, to
    /// place errors that YamlDotNet throws without a position.
    /// </summary>
    private sealed class GuardedParser(IParser inner, YamlFileKind kind) : IParser
    {
        private readonly Stack<(Mark Start, bool Flow, string? Anchor, long NodesBefore)> _open = new();
        private readonly Dictionary<string, long> _anchorSizes = new(StringComparer.Ordinal);
        private long _nodes;

        public Mark LastGood { get; private set; } = new(0, 1, 1);
        public ParsingEvent? Current => inner.Current;

        /// <summary>Where the innermost collection written in flow style ({ } or [ ]) that is still open begins.</summary>
        public Mark? OpenFlow => _open.Count > 0 && _open.Peek().Flow ? _open.Peek().Start : null;

        public bool MoveNext()
        {
            var more = inner.MoveNext();
            switch (inner.Current)
            {
                case MappingStart m: Open(m.Start, m.Style == MappingStyle.Flow, m.Anchor); break;
                case SequenceStart q: Open(q.Start, q.Style == SequenceStyle.Flow, q.Anchor); break;
                case MappingEnd or SequenceEnd when _open.Count > 0:
                    var (_, _, anchor, before) = _open.Pop();
                    if (anchor is { } name) _anchorSizes[name] = _nodes - before;
                    break;
                case Scalar s:
                    Count(1, s.Start);
                    if (!s.Anchor.IsEmpty) { Define(s.Anchor, s.Start); _anchorSizes[s.Anchor.Value] = 1; }
                    break;
                case AnchorAlias a:
                    if (!_anchorSizes.TryGetValue(a.Value.Value, out var size))
                        throw new YamlLimitException(a.Start, $"the alias *{a.Value.Value} refers to an anchor that is not complete here (an alias inside its own anchor?)");
                    Count(size, a.Start);
                    break;
            }
            if (inner.Current is { } e) LastGood = e.End;
            return more;
        }

        private void Open(Mark start, bool flow, AnchorName anchor)
        {
            if (_open.Count >= MaxDepth)
                throw new YamlLimitException(start, $"collections are nested more than {MaxDepth} deep here; {kind.Noun} needs a few levels");
            Count(1, start);
            if (!anchor.IsEmpty) Define(anchor, start);
            _open.Push((start, flow, anchor.IsEmpty ? null : anchor.Value, _nodes - 1));
        }

        // YAML lets an anchor be defined again, but YamlDotNet then resolves earlier aliases to the later
        // definition, which can make a node contain itself (endless recursion): one definition per anchor.
        private readonly HashSet<string> _defined = new(StringComparer.Ordinal);

        private void Define(AnchorName anchor, Mark at)
        {
            if (!_defined.Add(anchor.Value))
                throw new YamlLimitException(at, $"the anchor &{anchor.Value} is defined twice; give each anchor its own name");
        }

        private void Count(long nodes, Mark at)
        {
            _nodes += nodes;
            if (_nodes > MaxNodes)
                throw new YamlLimitException(at, $"the file expands to more than {MaxNodes:N0} YAML nodes here, aliases counted at their full size; too large for {kind.Noun}, write fewer aliases");
        }
    }

    private static (int Line, int Column)? FirstIndentTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t');
            if (tab >= 0 && tab < indent) return (i + 1, tab + 1);
        }
        return null;
    }

    /// <summary>The first line of a YamlDotNet message, without the position it prefixes (printed already).</summary>
    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        var line = i < 0 ? s : s[..i];
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (…): "; the location is printed already.
        var cut = line.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? line[(cut + 3)..] : line;
    }
}
