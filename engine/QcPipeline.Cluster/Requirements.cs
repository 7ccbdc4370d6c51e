using QcPipeline.Core.Graph;
using QcPipeline.Core.Options;

namespace QcPipeline.Cluster;

/// <summary>
/// What a worker must have of its own to run a job's distributed stages: the secrets those stages use that are
/// set on the coordinator, and the files they name that exist there (keys, known_hosts, product files). Both
/// are resolved on each machine from its own environment and home folder; a worker lacking one takes no work.
/// </summary>
internal static class Requirements
{
    /// <summary>What the coordinator has for the segment's stages (names and references only, never a value).</summary>
    public static IReadOnlyList<Requirement> Of(GraphSegment segment) =>
        segment.Nodes.SelectMany(n => OptionWalk.Of(n.Definition.Options).Select(o => Need(n.Name, o.Path, o.Spec, o.Value)))
            .OfType<Requirement>().Distinct().ToList();

    /// <summary>Each requirement this machine does not meet, as a sentence (empty: it can take part).</summary>
    public static IReadOnlyList<string> Missing(GraphSegment segment, IReadOnlyList<Requirement> needs)
    {
        var here = segment.Nodes.ToDictionary(n => n.Name, n => OptionWalk.Of(n.Definition.Options).ToDictionary(o => o.Path, o => o.Value), StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var need in needs)
        {
            var value = here.TryGetValue(need.Stage, out var options) ? options.GetValueOrDefault(need.Option) : null;
            if (need.Kind == RequirementKind.Secret && value is not Secret { HasValue: true })
                missing.Add($"the job needs the secret {need}, which is not set on this machine");
            else if (need.Kind == RequirementKind.Path && !(value is string { Length: > 0 } path && (File.Exists(path) || Directory.Exists(path))))
                missing.Add($"the job needs the file {need.Source} (stage '{need.Stage}', {need.Option}), which does not exist on this machine" +
                            (value is string { Length: > 0 } p && p != need.Source ? $" (looked for {p})" : ""));
        }
        return missing;
    }

    private static Requirement? Need(string stage, string path, OptionSpec spec, object? value) => value switch
    {
        Secret { HasValue: true } s => new Requirement(RequirementKind.Secret, stage, path, s.Source),
        string { Length: > 0 } p when spec.Attribute.IsPath && (File.Exists(p) || Directory.Exists(p)) => new Requirement(RequirementKind.Path, stage, path, p),
        _ => null,
    };
}
