using Xunit;

namespace QcPipeline.Cli.Tests;

/// <summary>What a user sees for bad jobs and bad arguments: FILE:LINE:COL lines, exit 2, never a stack trace.</summary>
public class ValidationTests
{
    private static CliProcess.Result Validate(string yaml, params string[] extra)
    {
        var dir = CliProcess.TempDir();
        File.WriteAllText(Path.Combine(dir, "job.yaml"), yaml);
        return CliProcess.Run(dir, ["validate", "job.yaml", .. extra]);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_position_and_exit_2()
    {
        var r = Validate("""
            job: demo
            stages:
              list:
                type: files.list
                root: .
                recursiv: true
              oops:
                type: files.lsit
            """);
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("job.yaml:6:5: unknown key 'recursiv' in stage 'list' (files.list) (did you mean 'recursive'?)", lines);
        Assert.Contains("job.yaml:8:11: unknown stage type 'files.lsit' (did you mean 'files.list'?)", lines);
        Assert.DoesNotContain("   at ", r.All);
    }

    [Fact]
    public void Yaml_syntax_errors_name_the_line_and_column()
    {
        var r = Validate("job: demo\nstages:\n  a: [unclosed\n");
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@"^job\.yaml:\d+:\d+: YAML: ", r.Stderr.Trim());
        Assert.DoesNotContain("   at ", r.All);
    }

    [Fact]
    public void An_undefined_variable_is_an_error_at_its_column()
    {
        var r = Validate("job: demo\nstages:\n  list: { type: files.list, root: \"${NO_SUCH_VARIABLE_QC}\" }\n");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("job.yaml:3:36: variable NO_SUCH_VARIABLE_QC is not set", r.Stderr); // the column of the $, inside the quotes
    }

    [Fact]
    public void A_bad_set_override_is_named_by_its_path()
    {
        var dir = CliProcess.TempDir();
        File.WriteAllText(Path.Combine(dir, "job.yaml"), "job: demo\nstages:\n  list: { type: files.list, root: . }\n");
        var r = CliProcess.Run(dir, "validate", "job.yaml", "--set", "stages.list.workers=lots");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--set stages.list.workers: 'workers' in stage 'list' (files.list): 'lots' is not a number of workers (1..256) or auto", r.Stderr);
    }

    [Fact]
    public void Missing_files_and_unknown_arguments_are_one_line_and_exit_2()
    {
        var dir = CliProcess.TempDir();
        var missing = CliProcess.Run(dir, "validate", "nope.yaml");
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal("nope.yaml: no such job file", missing.Stderr.Trim());

        var unknown = CliProcess.Run(dir, "--frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Single(unknown.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Garbage_input_never_shows_a_stack_trace()
    {
        var dir = CliProcess.TempDir();
        var inputs = new[] { "", "\t\t- - -", "job: [1, 2", "stages: 5", "job: x\nstages:\n  a: { type: files.list, root: ., workers: -3, capacity: x }",
            "job: x\nstages: { a: { type: files.list, root: ., from: [a] } }", "{{{{", "job: x\nstages:\n  a:\n    - 1\n    - 2" };
        foreach (var (text, i) in inputs.Select((t, i) => (t, i)))
        {
            File.WriteAllText(Path.Combine(dir, $"g{i}.yaml"), text);
            var r = CliProcess.Run(dir, "validate", $"g{i}.yaml");
            Assert.Equal(2, r.ExitCode);
            Assert.DoesNotContain("   at ", r.All);
            Assert.DoesNotContain("Exception", r.All);
            Assert.All(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith($"g{i}.yaml", l));
        }
    }

    [Fact]
    public void Alias_bombs_deep_nesting_and_bytes_that_are_not_utf8_are_one_line_and_exit_2()
    {
        var bomb = new System.Text.StringBuilder("job: bomb\nl0: &l0 [x]\n");
        for (var i = 1; i <= 9; i++) bomb.Append($"l{i}: &l{i} [{string.Join(",", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
        var dir = CliProcess.TempDir();
        File.WriteAllText(Path.Combine(dir, "bomb.yaml"), bomb.ToString());
        File.WriteAllText(Path.Combine(dir, "deep.yaml"), "job: x\nstages: " + new string('[', 100_000));
        File.WriteAllBytes(Path.Combine(dir, "latin1.yaml"), System.Text.Encoding.Latin1.GetBytes("job: caf\u00e9\nstages: {}\n"));
        foreach (var (file, expected) in new[] {
                     ("bomb.yaml", "YAML: the file expands to more than 100,000 YAML nodes here"),
                     ("deep.yaml", "YAML: collections are nested more than 64 deep here"),
                     ("latin1.yaml", "the job file is not UTF-8 text: byte 0xE9 here") })
        {
            var r = CliProcess.Run(dir, "validate", file);
            Assert.True(r.ExitCode == 2, $"{file}: exit {r.ExitCode}: {r.All}");
            var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches($@"^{file.Replace(".", "\\.")}:\d+:\d+: ", line);
            Assert.Contains(expected, line);
            Assert.DoesNotContain("   at ", r.All);
        }
    }
}
