using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Jobs;

/// <summary>
/// Replaces ${NAME} and ${NAME:-default} in YAML values with environment variables ($$ is a literal $).
/// A variable that is not set and has no default is an error at its own column.
/// </summary>
public static class Interpolation
{
    /// <summary>Expands every scalar under <paramref name="root"/>; problems go to <paramref name="error"/> with their column offset.</summary>
    public static void Apply(YamlNode root, Func<string, string?> lookup, Action<YamlNode, int, string> error)
    {
        foreach (var node in root.AllNodes.OfType<YamlScalarNode>().ToList())
        {
            if (node.Value is not { } text || !text.Contains('$')) continue;
            var quoteShift = node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
            node.Value = Expand(text, lookup, (offset, msg) => error(node, offset + quoteShift, msg));
        }
    }

    /// <summary>Expands one text; problems go to <paramref name="error"/> with their offset.</summary>
    public static string Expand(string text, Func<string, string?> lookup, Action<int, string> error)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '$' || i + 1 >= text.Length) { sb.Append(c); continue; }
            if (text[i + 1] == '$') { sb.Append('$'); i++; continue; }
            if (text[i + 1] != '{') { sb.Append(c); continue; }
            var end = text.IndexOf('}', i + 2);
            if (end < 0) { error(i, "unclosed ${ (write $$ for a literal $)"); sb.Append(text, i, text.Length - i); break; }
            var body = text.Substring(i + 2, end - i - 2);
            var sep = body.IndexOf(":-", StringComparison.Ordinal);
            var name = sep >= 0 ? body[..sep] : body;
            if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
                error(i, $"'{name}' is not a variable name");
            else if (lookup(name) is { Length: > 0 } value) sb.Append(value);
            else if (sep >= 0) sb.Append(body[(sep + 2)..]);
            else error(i, $"variable {name} is not set (set it, or give a default: ${{{name}:-default}})");
            i = end;
        }
        return sb.ToString();
    }
}
