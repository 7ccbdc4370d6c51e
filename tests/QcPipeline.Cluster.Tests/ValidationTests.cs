using QcPipeline.Cluster.TestWorker;
using System.Text;
using QcPipeline.Cli;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Cluster.Tests;

/// <summary>The cluster: section checked where it is written, items that may travel, and secrets that never do.</summary>
public sealed class ValidationTests
{
    static ValidationTests() => StageCatalog.Extend(r => r.AddPace());

    private const string Stages = """
        connections:
          site: {type: sftp, host: example.org, user: qc}
        stages:
          list: {type: sftp.list, connection: site}
          fetch: {type: sftp.fetch, connection: site}
          pace: {type: test.pace}
          gps: {type: gps.exif}
          aggregate: {type: gps.aggregate}
        """;

    private static string Job(string cluster) => $"job: v\ncluster: {cluster}\n{Stages}";

    private static IReadOnlyList<Diagnostic> Problems(string yaml, string? url = null, Func<string, string?>? env = null)
    {
        var registry = StageCatalog.Create();
        try
        {
            var graph = GraphCompiler.Compile(new JobLoader(registry, env).Parse(yaml, "/jobs/job.yaml"));
            ClusterPlan.Check(graph, registry);
            ClusterPlan.Resolve(graph, registry, url);
            return [];
        }
        catch (JobInvalidException e) { return e.Diagnostics; }
    }

    [Theory]
    [InlineData("{stages: [fetch, gps]}", "items enter at 'fetch', 'gps'")]
    [InlineData("{stages: [fetch, pace, aggregate]}", "'aggregate' (gps.aggregate) is a sink")]
    [InlineData("{stages: [list, fetch]}", "'list' (sftp.list) is a source")]
    [InlineData("{stages: [fetch, pase]}", "there is no stage 'pase' (did you mean 'pace'?)")]
    [InlineData("{stages: [fetch]}", "writes FileContent items, which cannot travel between machines")]
    public void A_cluster_stages_list_that_is_not_one_run_is_refused_where_it_is_written(string cluster, string message)
    {
        var d = Assert.Single(Problems(Job(cluster)));
        Assert.Contains(message, d.Message);
        Assert.Equal(("/jobs/job.yaml", 2), (d.Location.File, d.Location.Line));
        Assert.True(d.Location.Column > 10, d.ToString()); // at the list, not the section
    }

    [Fact]
    public void A_fan_out_must_be_joined_among_the_stages_named()
    {
        var product = Path.Combine(TestKit.Checkout.Root, "config", "products", "demo-board.yaml");
        var yaml = $$"""
            job: i
            cluster: {stages: [load, rois]}
            stages:
              images: {type: files.list, root: .}
              load: {type: image.load}
              rois: {type: roi.fanout, product: '{{product}}'}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
            """;
        var registry = StageCatalog.Create();
        var job = new JobLoader(registry).Parse(yaml, "/jobs/i.yaml");
        var problem = "";
        var graph = GraphCompiler.Compile(new JobDefinition
        {
            File = job.File, Directory = job.Directory, Options = job.Options, Connections = job.Connections,
            Stages = job.Stages, Locations = job.Locations,
        });
        Assert.Null(GraphSegment.Resolve(graph, ["load", "rois"], m => problem = m));
        Assert.Contains("joined after 'rois'", problem);
        Assert.Null(GraphSegment.Resolve(graph, ["check", "join"], m => problem = m));
        Assert.Contains("'join' joins the children of a fan-out that is not among the stages named", problem);
        Assert.NotNull(GraphSegment.Resolve(graph, ["load", "rois", "check", "join"], m => problem = m));
    }

    [Theory]
    [InlineData("{url: 'http://queue:4222', stages: [fetch, pace, gps]}", "is not a NATS address", 16)]
    [InlineData("{url: 'nats://user:pw@queue:4222', stages: [fetch, pace, gps]}", "credentials do not belong in the address", 16)]
    [InlineData("{ack_wait: 10ms, stages: [fetch, pace, gps]}", "out of range", 21)]
    public void Cluster_options_are_checked_through_their_declaration(string cluster, string message, int column)
    {
        var d = Assert.Single(Problems(Job(cluster)));
        Assert.Contains(message, d.Message);
        Assert.Equal((2, column), (d.Location.Line, d.Location.Column));
    }

    [Fact]
    public void Without_a_url_the_job_runs_locally_and_cluster_needs_stages()
    {
        Assert.Empty(Problems(Job("{url: '${QC_CLUSTER:-}', stages: [fetch, pace, gps]}")));
        var d = Assert.Single(Problems($"job: v\n{Stages}", url: "nats://127.0.0.1:4222"));
        Assert.Contains("names no stages to run on workers", d.Message);
    }

    private sealed record Leaky(string Key, Secret Password) : IItem;

    [Fact]
    public void An_item_type_holding_a_secret_cannot_be_registered_to_travel()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new StageRegistry().WireItem<Leaky>("leaky"));
        Assert.Contains("Leaky.Password is a secret", e.Message);
    }

    [Fact]
    public void The_job_document_is_the_job_as_it_runs_and_reads_back_unchanged()
    {
        var yaml = Job("{stages: [fetch, pace, gps]}").Replace("job: v", "job: v\ndescription: 'costs $$5 at ${WHERE}'")
            .Replace("user: qc}", "user: qc, password: env:QC_PW}");
        var env = new Dictionary<string, string?> { ["WHERE"] = "the ${SITE} office", ["QC_PW"] = "hunter2-long" };
        var registry = StageCatalog.Create();
        var first = new JobLoader(registry, n => env.GetValueOrDefault(n)).Parse(yaml, "/jobs/job.yaml");
        Assert.Equal("costs $5 at the ${SITE} office", first.Options.Description);
        Assert.DoesNotContain("hunter2", first.Document);
        Assert.Contains("env:QC_PW", first.Document);
        var again = new JobLoader(registry, _ => null).Parse(first.Document, "/elsewhere/job.yaml");
        Assert.Equal(first.Options.Description, again.Options.Description);
        Assert.Equal(["fetch", "pace", "gps"], ClusterPlan.OptionsOf(again).Stages);
    }

    [Fact]
    public void The_guard_refuses_a_message_that_holds_a_secret_even_json_escaped()
    {
        Environment.SetEnvironmentVariable("QC_GUARD_PW", "pa\"ss/word-1");
        try
        {
            var job = new JobLoader(StageCatalog.Create()).Parse(Job("{stages: [fetch, pace, gps]}").Replace("user: qc}", "user: qc, password: env:QC_GUARD_PW}"), "/jobs/job.yaml");
            var guard = new SecretGuard(job);
            guard.Check(Encoding.UTF8.GetBytes("{\"key\":\"fine\"}"), "a message");
            Assert.Throws<SecretInMessageException>(() => guard.Check(Encoding.UTF8.GetBytes("raw pa\"ss/word-1 here"), "a message"));
            Assert.Throws<SecretInMessageException>(() => guard.Check(Wire.Encode(new { description = "pa\"ss/word-1" }), "a message"));
        }
        finally { Environment.SetEnvironmentVariable("QC_GUARD_PW", null); }
    }
}
