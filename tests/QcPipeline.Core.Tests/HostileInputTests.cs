using System.Diagnostics;
using System.Text;
using QcPipeline.Core.Jobs;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Hostile job files end in one located line, quickly, with bounded memory: alias bombs, deep nesting,
/// bytes that are not UTF-8, --set values that are not YAML, a folder given as the job.</summary>
public class HostileInputTests
{
    private static string AliasBomb(int levels, int width)
    {
        var sb = new StringBuilder("job: bomb\nl0: &l0 [x]\n");
        for (var i = 1; i <= levels; i++)
            sb.Append($"l{i}: &l{i} [").Append(string.Join(",", Enumerable.Repeat($"*l{i - 1}", width))).Append("]\n");
        return sb.Append("stages: { src: { type: test.numbers }, out: { type: test.collect } }\n").ToString();
    }

    [Fact]
    public void An_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit_in_bounded_time_and_memory()
    {
        var yaml = AliasBomb(levels: 9, width: 9); // 448 bytes of YAML that stand for 9^9 nodes
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var errors = Harness.Errors(yaml);
        clock.Stop();
        var error = Assert.Single(errors);
        Assert.Matches(@"^job\.yaml:\d+:\d+: YAML: the file expands to more than 100,000 YAML nodes here", error);
        // Bounded: nothing near the expansion is ever built (a few MB at most, not gigabytes).
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the bomb was expanded");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "guard against a hang only; the real cost is milliseconds");

        // The same aliases within the limit are fine YAML (the job itself is then checked as usual).
        Assert.DoesNotContain(Harness.Errors(AliasBomb(levels: 3, width: 3)), e => e.Contains("YAML:"));
    }

    [Fact]
    public void An_alias_inside_its_own_anchor_is_refused()
    {
        var error = Assert.Single(Harness.Errors("job: x\na: &a [1, *a]\nstages: {}\n"));
        Assert.StartsWith("job.yaml:2:11: YAML: the alias *a refers to an anchor that is not complete here", error);
    }

    [Fact]
    public void An_anchor_defined_twice_is_refused_so_no_node_can_contain_itself()
    {
        // Found by fuzzing: YamlDotNet resolves *a to the later &a, a mapping that then holds itself.
        var error = Assert.Single(Harness.Errors("job: x\na: &a [x, x]\nb: &a {*a, *a}\nstages: {}\n"));
        Assert.Equal("job.yaml:3:4: YAML: the anchor &a is defined twice; give each anchor its own name", error);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000)]
    [InlineData(65)]
    public void Deep_nesting_is_a_located_error_not_a_stack_overflow(int depth)
    {
        var error = Assert.Single(Harness.Errors("job: x\nstages: " + new string('[', depth)));
        Assert.Equal("job.yaml:2:72: YAML: collections are nested more than 64 deep here; a job needs a few levels", error);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_an_error_at_their_place()
    {
        var dir = Harness.TempDir();
        var file = Path.Combine(dir, "bad.yaml");
        File.WriteAllBytes(file, [.. "job: x\nstages:\n  src: { type: t"u8, 0xFF, .. "est.numbers }\n"u8]);
        var e = Assert.Throws<JobInvalidException>(() => new JobLoader(Harness.Registry).Load(file));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal((3, 17), (d.Location.Line, d.Location.Column));
        Assert.Equal("the job file is not UTF-8 text: byte 0xFF here cannot be read; save the file as UTF-8", d.Message);

        File.WriteAllBytes(file, [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("job: x\n")]);
        var utf16 = Assert.Throws<JobInvalidException>(() => new JobLoader(Harness.Registry).Load(file));
        Assert.Equal("the job file is UTF-16 text; save it as UTF-8", Assert.Single(utf16.Diagnostics).Message);

        // A byte-order mark before UTF-8 text is fine.
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, .. "job: bom\nstages:\n  src: { type: test.numbers }\n  out: { type: test.collect }\n"u8]);
        Assert.Equal("bom", new JobLoader(Harness.Registry).Load(file).Name);
    }

    [Fact]
    public void A_set_value_that_is_not_yaml_is_refused_and_a_quoted_one_is_text()
    {
        const string yaml = "job: x\nstages:\n  src: { type: test.numbers }\n  work: { type: test.map }\n  out: { type: test.collect }\n";
        var error = Assert.Single(Harness.Errors(yaml, overrides: ["stages.work.fail_keys=[a,b"]));
        Assert.StartsWith("--set stages.work.fail_keys: the value '[a,b' is not valid YAML (", error);
        var g = Harness.Compile(yaml, overrides: ["stages.work.fail_keys=[a, b]", "stages.src.prefix=\"[x\""]);
        Assert.Equal(["a", "b"], ((MapOptions)g.Nodes[1].Definition.Options).FailKeys);
        Assert.Equal("[x", ((NumbersOptions)g.Nodes[0].Definition.Options).Prefix);
    }

    [Fact]
    public void A_folder_given_as_the_job_file_is_named_as_a_folder()
    {
        var dir = Harness.TempDir();
        var e = Assert.Throws<JobInvalidException>(() => new JobLoader(Harness.Registry).Load(dir));
        Assert.Equal($"{dir}: is a folder, not a job file (name a .yaml file in it)", Assert.Single(e.Diagnostics).ToString());
    }

    [Fact]
    public void A_duration_too_large_for_any_timer_is_out_of_range_not_a_crash()
    {
        var error = Assert.Single(Harness.Errors("job: x\nshutdown_timeout: 99999999999999999999h\nstages:\n  src: { type: test.numbers }\n  out: { type: test.collect }\n"));
        Assert.Equal("job.yaml:2:19: 'shutdown_timeout' in the job: 99999999999999999999h is out of range (<= 24h)", error);
    }

    [Fact]
    public void A_stage_or_connection_named_by_a_mapping_is_an_error_not_a_crash()
    {
        // Found by fuzzing the job loader: a complex key (? ...) where a name belongs.
        var errors = Harness.Errors("job: x\nconnections:\n  ? { a: b }\n  : { type: test.conn }\nstages:\n  [a]: { type: test.numbers }\n");
        Assert.Contains("job.yaml:3:5: a connection's name must be plain text", errors);
        Assert.Contains("job.yaml:6:3: a stage's name must be plain text", errors);
    }
}

/// <summary>A diagnostic is one line whatever text of the file it quotes (found by fuzzing the product loader:
/// a key written "bad\nkey" printed a message over two lines).</summary>
public class OneLineDiagnosticTests
{
    [Fact]
    public void A_key_with_a_line_break_or_a_terminal_escape_is_quoted_with_escapes()
    {
        var errors = Harness.Errors("job: x\n\"bad\\nkey\": 1\n\"red\\e[31m\": 2\nstages:\n  src: { type: test.numbers }\n  out: { type: test.collect }\n");
        Assert.Contains("job.yaml:2:1: unknown key 'bad\\nkey' in the job", errors);
        Assert.Contains("job.yaml:3:1: unknown key 'red\\u001B[31m' in the job", errors);
    }

    [Fact]
    public void Messages_and_places_are_escaped_but_ordinary_text_is_left_alone()
    {
        var d = new Diagnostic(new SourceLocation("a\nb.yaml", 1, 2), "tab\there, crlf\r\n, separator\u2028, café");
        Assert.Equal("tab\\there, crlf\\r\\n, separator\\u2028, café", d.Message);
        Assert.Equal("a\\nb.yaml:1:2: tab\\there, crlf\\r\\n, separator\\u2028, café", d.ToString());
        Assert.Equal("plain 'text' — ünïcode", new Diagnostic(default, "plain 'text' — ünïcode").Message);
    }
}
