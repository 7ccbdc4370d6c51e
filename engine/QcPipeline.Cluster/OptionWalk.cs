using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;

namespace QcPipeline.Cluster;

/// <summary>Every bound option of an options object, nested sections and connections included, with its dotted path.</summary>
internal static class OptionWalk
{
    public static IEnumerable<(string Path, OptionSpec Spec, object? Value)> Of(object options, string prefix = "")
    {
        foreach (var spec in OptionSpec.For(options.GetType()))
        {
            var value = spec.Property.GetValue(options);
            yield return (prefix + spec.Name, spec, value);
            if (value is not null && value is not Secret && OptionSpec.IsSection(value.GetType()))
                foreach (var inner in Of(value, prefix + spec.Name + ".")) yield return inner;
        }
    }

    /// <summary>Every secret the job resolved here, with a value (connections, stages and sections).</summary>
    public static IEnumerable<Secret> Secrets(JobDefinition job) =>
        job.Connections.Values.Concat(job.Stages.Select(s => s.Options)).Append(job.Options).Concat(job.Sections.Values)
            .SelectMany(o => Of(o)).Select(x => x.Value).OfType<Secret>().Where(s => s.HasValue);
}
