using YamlDotNet.RepresentationModel;

namespace QcPipeline.Core.Jobs;

/// <summary>Writes a job's YAML tree back as text, as it stands after --set and ${VAR}: what another machine
/// loads to run the same job (see <see cref="JobDefinition.Document"/>).</summary>
internal static class JobDocument
{
    public static string Write(YamlMappingNode root)
    {
        // A copy, so the tree the binder located its diagnostics in stays as it was.
        var copy = (YamlMappingNode)Copy(root);
        var stream = new YamlStream(new YamlDocument(copy));
        using var text = new StringWriter();
        stream.Save(text, assignAnchors: false);
        return text.ToString();
    }

    private static YamlNode Copy(YamlNode node) => node switch
    {
        // Interpolation is done: a $ left in a value is literal, and is written as $$ to stay so.
        YamlScalarNode s => new YamlScalarNode(s.Value?.Replace("$", "$$", StringComparison.Ordinal)) { Style = s.Style, Tag = s.Tag },
        YamlSequenceNode q => new YamlSequenceNode(q.Children.Select(Copy)) { Style = q.Style },
        YamlMappingNode m => new YamlMappingNode(m.Children.Select(c => new KeyValuePair<YamlNode, YamlNode>(Copy(c.Key), Copy(c.Value)))) { Style = m.Style },
        _ => new YamlScalarNode(""),
    };
}
