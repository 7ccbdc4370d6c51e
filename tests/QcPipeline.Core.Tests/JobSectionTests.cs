using System.Text.Json;
using QcPipeline.Core.Docs;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Job sections other projects register: bound, checked and located as the job's own, in the schema and
/// the reference; keys added to one of the job's sections sit beside the engine's there.</summary>
public class JobSectionTests
{
    public sealed class ScaleOptions : IValidatedOptions
    {
        [Option("Where the items go.")] public string Url { get; init; } = "";
        [Option("Items out at most.", Min = 1, Max = 10)] public int Limit { get; init; } = 3;
        [Option("How long an item may be out.", MinDuration = "1s", MaxDuration = "1m")] public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(5);

        public void Validate(OptionsCheck check)
        {
            if (check.IsSet("url") && Url.Contains('@')) check.Error("url", "scale.url: no credentials here");
        }
    }

    public sealed class ExportOptions
    {
        [Option("Where the spans go.")] public string Target { get; init; } = "";
        [Option("Send metrics too.")] public bool Metrics { get; init; } = true;
    }

    private static StageRegistry Stages() => new StageRegistry()
        .Source<NumbersStage, Num, NumbersOptions>().Sink<CollectStage, Num, CollectOptions>();

    private static StageRegistry Registry() => Stages().JobSection<ScaleOptions>("scale", "Scale-out.").ExtendJobSection<ExportOptions>("telemetry");

    private const string Chain = "stages:\n  src: { type: test.numbers }\n  out: { type: test.collect }\n";

    private static JobDefinition Load(string yaml, StageRegistry? registry = null, IReadOnlyList<string>? overrides = null) =>
        new JobLoader(registry ?? Registry()).Parse(yaml, Path.Combine(Environment.CurrentDirectory, Harness.JobFile), overrides);

    private static List<string> Errors(string yaml, StageRegistry? registry = null) =>
        Assert.Throws<JobInvalidException>(() => Load(yaml, registry)).Diagnostics.Select(d => d.ToString()).ToList();

    [Fact]
    public void A_registered_section_binds_its_keys_and_is_its_defaults_when_absent()
    {
        var job = Load("job: v\nscale: { url: q, limit: 7 }\n" + Chain);
        Assert.Equal(("q", 7, TimeSpan.FromSeconds(5)), (job.Section<ScaleOptions>().Url, job.Section<ScaleOptions>().Limit, job.Section<ScaleOptions>().Wait));
        Assert.Equal("job.yaml:2:25", job.Locations.Of(job.Section<ScaleOptions>(), "limit", default).ToString());

        var plain = Load("job: v\n" + Chain);
        Assert.Equal(3, plain.Section<ScaleOptions>().Limit);
        Assert.Equal(3, Load("job: v\nscale:\n" + Chain).Section<ScaleOptions>().Limit);
        Assert.Equal(9, Load("job: v\n" + Chain, overrides: ["scale.limit=9"]).Section<ScaleOptions>().Limit);
    }

    [Fact]
    public void A_registered_section_reports_like_the_jobs_own_at_the_place_written()
    {
        Assert.Equal([
            "job.yaml:2:1: unknown key 'scal' in the job (did you mean 'scale'?)",
            ], Errors("job: v\nscal: { limit: 2 }\n" + Chain));
        Assert.Equal([
            "job.yaml:2:17: 'limit' in 'scale' in the job: 11 is out of range (1..10)",
            "job.yaml:2:27: 'wait' in 'scale' in the job: 10ms is out of range (1s..1m)",
            "job.yaml:2:33: unknown key 'limt' in 'scale' in the job (did you mean 'limit'?)",
            "job.yaml:2:47: scale.url: no credentials here",
            ], Errors("job: v\nscale: { limit: 11, wait: 10ms, limt: 1, url: 'a@b' }\n" + Chain));
        Assert.Equal(["job.yaml:2:8: 'scale' in the job must be a mapping of options, not 'on'"], Errors("job: v\nscale: on\n" + Chain));
        // Without the project that registers it, the key is the job's no more.
        Assert.Equal(["job.yaml:2:1: unknown key 'scale' in the job"], Errors("job: v\nscale: { limit: 2 }\n" + Chain, Stages()));
    }

    [Fact]
    public void Keys_added_to_a_section_of_the_job_bind_from_the_same_mapping()
    {
        var job = Load("job: v\ntelemetry: { traces: false, target: 'http://t', sample_ratio: 0.5 }\n" + Chain);
        Assert.False(job.Options.Telemetry.Traces);
        Assert.Equal(0.5, job.Options.Telemetry.SampleRatio);
        Assert.Equal(("http://t", true), (job.Section<ExportOptions>().Target, job.Section<ExportOptions>().Metrics));
        Assert.Equal("", Load("job: v\n" + Chain).Section<ExportOptions>().Target);

        Assert.Equal([
            "job.yaml:2:14: unknown key 'tagret' in 'telemetry' in the job (did you mean 'target'?)",
            "job.yaml:2:34: 'metrics' in 'telemetry' in the job: 'maybe' is not true or false",
            ], Errors("job: v\ntelemetry: { tagret: x, metrics: maybe }\n" + Chain));
        Assert.Equal(["job.yaml:2:14: unknown key 'target' in 'telemetry' in the job"], Errors("job: v\ntelemetry: { target: x }\n" + Chain, Stages()));
    }

    [Fact]
    public void A_section_that_would_hide_another_key_is_refused_when_registered()
    {
        Assert.Throws<InvalidOperationException>(() => Stages().JobSection<ScaleOptions>("stages", "no"));
        Assert.Throws<InvalidOperationException>(() => Stages().JobSection<ScaleOptions>("telemetry", "no"));
        Assert.Throws<InvalidOperationException>(() => Stages().JobSection<ScaleOptions>("scale", "a").JobSection<ExportOptions>("scale", "b"));
        Assert.Throws<InvalidOperationException>(() => Stages().ExtendJobSection<ExportOptions>("job"));
        Assert.Throws<InvalidOperationException>(() => Stages().ExtendJobSection<ExportOptions>("scale"));
        Assert.Throws<InvalidOperationException>(() => Stages().ExtendJobSection<TelemetryOptions>("telemetry"));
    }

    [Fact]
    public void The_schema_and_the_reference_show_them_with_the_jobs_own_keys()
    {
        using var schema = JsonDocument.Parse(JobSchema.Generate(Registry()));
        var props = schema.RootElement.GetProperty("properties");
        Assert.Equal("Scale-out.", props.GetProperty("scale").GetProperty("description").GetString());
        Assert.Equal(10, props.GetProperty("scale").GetProperty("properties").GetProperty("limit").GetProperty("maximum").GetInt32());
        var telemetry = props.GetProperty("telemetry").GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["traces", "sample_ratio", "target", "metrics"], telemetry);

        var jobKeys = StageReference.Markdown(Registry()).Split("### Keys of every stage")[0];
        var rows = jobKeys.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('`')[1]).ToList();
        Assert.Equal(["telemetry", "telemetry.traces", "telemetry.sample_ratio", "telemetry.target", "telemetry.metrics",
            "scale", "scale.url", "scale.limit", "scale.wait"], rows.SkipWhile(k => k != "telemetry").ToList());
    }
}
