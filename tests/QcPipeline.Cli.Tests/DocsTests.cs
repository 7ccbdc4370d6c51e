using System.Text.Json;
using Xunit;

namespace QcPipeline.Cli.Tests;

/// <summary>The schema and the reference come from the option declarations; the shipped copies must be current.</summary>
public class DocsTests
{
    [Fact]
    public void The_schema_is_json_and_matches_the_shipped_copy()
    {
        var r = CliProcess.Run(CliProcess.Repo, "schema");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var stages = doc.RootElement.GetProperty("properties").GetProperty("stages").GetProperty("additionalProperties").GetProperty("oneOf");
        Assert.True(stages.GetArrayLength() > 0);
        var shipped = File.ReadAllText(Path.Combine(CliProcess.Repo, "config", "job.schema.json"));
        Assert.True(shipped.Trim() == r.Stdout.Trim(), "config/job.schema.json is out of date: run ./run.sh docs");
    }

    [Fact]
    public void The_readme_reference_is_current()
    {
        var r = CliProcess.Run(CliProcess.Repo, "stages", "--format", "markdown");
        Assert.Equal(0, r.ExitCode);
        var readme = File.ReadAllText(Path.Combine(CliProcess.Repo, "README.md"));
        var begin = readme.IndexOf("<!-- reference:begin -->", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- reference:end -->", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "README.md has no reference markers");
        var current = readme[(begin + "<!-- reference:begin -->".Length)..end].Trim();
        Assert.True(current == r.Stdout.Trim(), "the README's reference is out of date: run ./run.sh docs");
    }

    [Fact]
    public void Shipped_jobs_are_valid_and_point_editors_at_the_schema()
    {
        var jobs = Directory.GetFiles(Path.Combine(CliProcess.Repo, "pipelines"), "*.yaml");
        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            Assert.StartsWith("# yaml-language-server: $schema=../config/job.schema.json", File.ReadAllText(job));
            var r = CliProcess.Run(CliProcess.Repo, "validate", job);
            Assert.True(r.ExitCode == 0, $"{job}: {r.All}");
        }
    }

    [Fact]
    public void Stages_lists_every_type_with_options_and_graph_shows_parallelism()
    {
        var r = CliProcess.Run(CliProcess.Repo, "stages");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("files.list:", r.Stdout);
        Assert.Contains("workers (workers, default 1", r.Stdout);

        var g = CliProcess.Run(CliProcess.Repo, "graph", "pipelines/site-scan.yaml", "--set", "stages.fetch.workers=7");
        Assert.Equal(0, g.ExitCode);
        Assert.Contains("workers 7", g.Stdout);
        var dot = CliProcess.Run(CliProcess.Repo, "graph", "pipelines/site-scan.yaml", "--format", "dot");
        Assert.StartsWith("digraph", dot.Stdout);
    }
}
