using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Path options: "~" is the home folder, as in a shell; other relative paths start at the job's folder.</summary>
public class PathOptionTests
{
    private const string Stages = """
        stages:
          src: { type: test.numbers, count: 1 }
          out: { type: test.collect }
        """;

    [Theory]
    [InlineData("~/.ssh/known_hosts", ".ssh/known_hosts")]
    [InlineData("\"~\"", "")] // unquoted, ~ alone is YAML's null
    [InlineData("\"~/\"", "")]
    public void A_tilde_path_is_below_the_home_folder_not_the_jobs_folder(string value, string below)
    {
        var job = Harness.Load($"job: paths\noutputs: {{ dir: {value} }}\n{Stages}");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.GetFullPath(Path.Combine(home, below)).TrimEnd('/'), job.Options.Outputs.Dir.TrimEnd('/'));
    }

    [Fact]
    public void Other_relative_paths_start_at_the_jobs_folder_and_a_tilde_inside_a_name_is_a_name()
    {
        var job = Harness.Load($"job: paths\noutputs: {{ dir: out/~x }}\n{Stages}");
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "out", "~x"), job.Options.Outputs.Dir);
    }
}
