using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using Xunit;

namespace QcPipeline.Core.Tests;

/// <summary>Every class of problem, reported at its exact FILE:LINE:COL, all at once.</summary>
public class ValidationTests
{
    private static void AssertErrors(string yaml, params string[] expected) => AssertErrors(yaml, null, expected);

    private static void AssertErrors(string yaml, IReadOnlyDictionary<string, string>? env, params string[] expected)
    {
        var errors = Harness.Errors(yaml, env);
        Assert.Equal(expected, errors);
    }

    [Fact]
    public void Yaml_syntax_errors_point_at_the_broken_place()
    {
        var errors = Harness.Errors("job: v\nstages:\n  src: { type: test.numbers\n  out: { type: test.collect }\n");
        // YamlDotNet gives this one no position itself: the engine points at the brace left open.
        Assert.Equal(["job.yaml:3:8: YAML: this { } or [ ] is not closed, or holds something that cannot be read"], errors);

        AssertErrors("job: v\nstages:\n  a: [1, 2\n", "job.yaml:3:6: YAML: While parsing a flow sequence, did not find expected ',' or ']'.");
        AssertErrors("job: v\nstages:\n\tsrc: {}\n", "job.yaml:3:1: YAML: While scanning a mapping, found invalid tab as indentation.");
        AssertErrors("job: v: w\n", "job.yaml:1:7: YAML: While scanning a plain scalar value, found invalid mapping.");
        AssertErrors("job: v\njob: w\nstages: {}\n", "job.yaml:2:1: YAML: Duplicate key job");
        AssertErrors("", "job.yaml:1:1: the job file is empty");
        AssertErrors("- just\n- a list\n", "job.yaml:1:1: a job is a mapping with job:, connections: and stages:");
    }

    [Fact]
    public void Unknown_keys_are_reported_with_did_you_mean_at_every_level()
    {
        AssertErrors("""
            job: v
            eror_budget: 3
            stages:
              src:
                type: test.numbers
                cuont: 5
              work: { type: test.map, retry: { attemps: 2 }, wrokers: 2 }
              out: { type: test.collect, zzzzzz: 1 }
            """,
            "job.yaml:2:1: unknown key 'eror_budget' in the job (did you mean 'error_budget'?)",
            "job.yaml:6:5: unknown key 'cuont' in stage 'src' (test.numbers) (did you mean 'count'?)",
            "job.yaml:7:36: unknown key 'attemps' in 'retry' in stage 'work' (test.map) (did you mean 'attempts'?)",
            "job.yaml:7:50: unknown key 'wrokers' in stage 'work' (test.map) (did you mean 'workers'?)",
            "job.yaml:8:30: unknown key 'zzzzzz' in stage 'out' (test.collect)");
    }

    [Fact]
    public void Wrong_types_name_the_option_and_what_was_expected()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers, count: many, forever: maybe, prefix: [a, b] }
              work:
                type: test.map
                retry: 5
                timeout: soon
                on_error: contnue
                fail_keys: { a: 1 }
                workers: lots
              out: { type: test.collect }
            """,
            "job.yaml:3:37: 'count' in stage 'src' (test.numbers): 'many' is not an integer",
            "job.yaml:3:52: 'forever' in stage 'src' (test.numbers): 'maybe' is not true or false",
            "job.yaml:3:67: 'prefix' in stage 'src' (test.numbers) must be a string, not a list",
            "job.yaml:6:12: 'retry' in stage 'work' (test.map) must be a mapping of options, not '5'",
            "job.yaml:7:14: 'timeout' in stage 'work' (test.map): 'soon' is not a duration (like 500ms, 30s, 5m)",
            "job.yaml:8:15: 'on_error' in stage 'work' (test.map): 'contnue' is not one of continue, fail, dead_letter (did you mean 'continue'?)",
            "job.yaml:9:16: 'fail_keys' in stage 'work' (test.map) must be a string, not a mapping",
            "job.yaml:10:14: 'workers' in stage 'work' (test.map): 'lots' is not a number of workers (1..256) or auto");
    }

    [Fact]
    public void Out_of_range_values_show_the_allowed_range()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers, count: 2.5 }
              work: { type: test.map, capacity: -1, workers: 0, retry: { attempts: 0 }, fail_ratio: 1.5 }
              out: { type: test.collect }
            """,
            "job.yaml:3:37: 'count' in stage 'src' (test.numbers): '2.5' is not an integer",
            "job.yaml:4:37: 'capacity' in stage 'work' (test.map): -1 is out of range (0..1000000)",
            "job.yaml:4:50: 'workers' in stage 'work' (test.map): '0' is not a number of workers (1..256) or auto",
            "job.yaml:4:72: 'attempts' in 'retry' in stage 'work' (test.map): 0 is out of range (1..100)",
            "job.yaml:4:89: 'fail_ratio' in stage 'work' (test.map): 1.5 is out of range (0..1)");
    }

    [Fact]
    public void Unknown_stage_types_suggest_the_nearest_known_one()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers }
              work:
                type: test.mpa
                anything: goes   # a stage of unknown type: its own keys cannot be checked
              out: { type: test.collect }
            """,
            "job.yaml:5:11: unknown stage type 'test.mpa' (did you mean 'test.map'?)");
        AssertErrors("job: v\nstages:\n  src: { count: 3 }\n",
            "job.yaml:3:8: stage 'src' needs 'type' (The stage type (see `qcpipeline stages`).)");
    }

    [Fact]
    public void Undefined_variables_are_errors_at_their_own_column()
    {
        AssertErrors("""
            job: v
            stages:
              src:
                type: test.numbers
                prefix: ${NOPE}
                count: "${A:-1}${ALSO_NOPE}"
              out: { type: test.collect }
            """,
            "job.yaml:5:13: variable NOPE is not set (set it, or give a default: ${NOPE:-default})",
            "job.yaml:6:20: variable ALSO_NOPE is not set (set it, or give a default: ${ALSO_NOPE:-default})");
        AssertErrors("job: ${1bad-name}\nstages: { src: { type: test.numbers }, out: { type: test.collect } }\n",
            "job.yaml:1:6: '1bad-name' is not a variable name");
    }

    [Fact]
    public void Graph_errors_a_cycle()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers }
              a: { type: test.map, from: [src, c] }
              b: { type: test.map, from: a }
              c: { type: test.map, from: b }
              out: { type: test.collect, from: c }
            """,
            "job.yaml:4:30: stages form a cycle: a -> b -> c -> a");
    }

    [Fact]
    public void Graph_errors_a_stage_with_no_input()
    {
        AssertErrors("""
            job: v
            stages:
              first: { type: test.map }
              src: { type: test.numbers }
              out: { type: test.collect }
              after: { type: test.map }
              out2: { type: test.collect, from: after }
            """,
            "job.yaml:3:3: stage 'first' has no input: it is the first stage but not a source; put a source above it or name one with from:",
            "job.yaml:3:3: the output of stage 'first' (test.map) is consumed by nothing: add a stage after it, or read it with from:",
            "job.yaml:6:3: stage 'after' has no input: the stage above it ('out') is a sink and writes no items; name its input with from:");
    }

    [Fact]
    public void Graph_errors_an_output_consumed_by_nothing()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers }
              out: { type: test.collect }
              extra: { type: test.map, from: src }
            """,
            "job.yaml:5:3: the output of stage 'extra' (test.map) is consumed by nothing: add a stage after it, or read it with from:");
    }

    [Fact]
    public void Graph_errors_item_types_that_do_not_fit()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers }
              text: { type: test.text }
              out:
                type: test.collect
                from: text
            """,
            "job.yaml:4:3: stage 'text' (test.text) reads Text items, but 'src' (test.numbers) writes Num items",
            "job.yaml:7:11: stage 'out' (test.collect) reads Num items, but 'text' (test.text) writes Text items");
    }

    [Fact]
    public void Graph_errors_a_join_without_a_fan_out_before_it()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers }
              work: { type: test.map }
              join: { type: test.join }
              out: { type: test.collect }
            """,
            "job.yaml:5:3: stage 'join' (test.join) joins fan-out children, but no fan-out stage comes before it");
    }

    [Fact]
    public void Graph_errors_bad_from_references()
    {
        AssertErrors("""
            job: v
            stages:
              src: { type: test.numbers, from: out }
              work: { type: test.map, from: [srcc] }
              loop: { type: test.map, from: loop }
              out: { type: test.collect, from: [work, loop] }
              out2: { type: test.collect, from: out }
            """,
            "job.yaml:3:3: the output of stage 'src' (test.numbers) is consumed by nothing: add a stage after it, or read it with from:",
            "job.yaml:3:36: stage 'src' is a source (test.numbers) and reads no input; remove from:",
            "job.yaml:4:33: stage 'work' reads from 'srcc', but there is no such stage (did you mean 'src'?)",
            "job.yaml:5:33: stage 'loop' reads from itself",
            "job.yaml:7:37: stage 'out2' reads from 'out', which is a sink (test.collect) and writes no items");
    }

    [Fact]
    public void A_job_without_a_source_says_so()
    {
        AssertErrors("job: v\nstages:\n  out: { type: test.collect }\n",
            "job.yaml:3:3: stage 'out' has no input: it is the first stage but not a source; put a source above it or name one with from:",
            "job.yaml:3:3: the job has no source stage (a stage that produces items)");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_file_order()
    {
        var errors = Harness.Errors("""
            stages:
              src: { type: test.numbers, count: x }
              work: { type: test.mpa }
              out: { type: test.collect, delay: forever }
            error_budget: lots
            """);
        Assert.Equal([
            "job.yaml:1:1: the job needs 'job' (The job's name: output folders, traces and reports carry it.)",
            "job.yaml:2:37: 'count' in stage 'src' (test.numbers): 'x' is not an integer",
            "job.yaml:3:17: unknown stage type 'test.mpa' (did you mean 'test.map'?)",
            "job.yaml:4:37: 'delay' in stage 'out' (test.collect): 'forever' is not a duration (like 500ms, 30s, 5m)",
            "job.yaml:5:15: error_budget 'lots' is not a count (10) or a share (5%)",
        ], errors);
    }

    [Fact]
    public void Set_overrides_are_named_by_their_path()
    {
        const string job = "job: v\nstages:\n  src: { type: test.numbers }\n  out: { type: test.collect }\n";
        Assert.Equal(["--set stages.src.count: 'count' in stage 'src' (test.numbers): 'x' is not an integer"],
            Harness.Errors(job, overrides: ["stages.src.count=x"]));
        Assert.Equal(["--set stages.src.type.deep: 'stages.src.type' is not a section"],
            Harness.Errors(job, overrides: ["stages.src.type.deep=1"]));
        Assert.Equal(["--set nothing: write --set PATH=VALUE, e.g. --set stages.fetch.workers=16"],
            Harness.Errors(job, overrides: ["nothing"]));
        Assert.Equal(["--set stages.src.cuont: unknown key 'cuont' in stage 'src' (test.numbers) (did you mean 'count'?)"],
            Harness.Errors(job, overrides: ["stages.src.cuont=3"]));
    }

    [Fact]
    public void Connections_are_checked_and_named_with_did_you_mean()
    {
        AssertErrors("""
            job: v
            connections:
              site: { type: test.conn }
              other: { type: test.con, host: h }
            stages:
              src: { type: test.numbers, connection: sitee }
              out: { type: test.collect }
            """,
            "job.yaml:3:9: connection 'site' needs 'host' (Host name.)",
            "job.yaml:4:18: unknown connection type 'test.con' (did you mean 'test.conn'?)",
            "job.yaml:6:42: no connection named 'sitee' (did you mean 'site'?)");
    }

    [Fact]
    public void A_missing_job_file_is_one_line()
    {
        var e = Assert.Throws<JobInvalidException>(() => new JobLoader(Harness.Registry).Load("no/such/job.yaml"));
        Assert.Equal("no/such/job.yaml: no such job file", Assert.Single(e.Diagnostics).ToString());
    }

    [Fact]
    public void Random_garbage_never_escapes_as_anything_but_diagnostics()
    {
        // Whatever the bytes, loading either succeeds or reports located problems; nothing else is thrown.
        var rng = new Random(12345);
        const string alphabet = "job:stages{}[]- \n\t\"'#&*!|>%@`,?type.numbers.collect.map0123456789${}:-";
        var fragments = new[] { "job: v\n", "stages:\n", "  src: { type: test.numbers }\n", "  out: { type: test.collect }\n",
            "  work: { type: test.map, retry: { attempts: 3 } }\n", "connections:\n", "  c: { type: test.conn, host: h }\n" };
        for (var i = 0; i < 400; i++)
        {
            var text = string.Concat(Enumerable.Range(0, rng.Next(1, 6)).Select(_ => rng.Next(3) == 0
                ? new string(Enumerable.Range(0, rng.Next(1, 20)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray())
                : fragments[rng.Next(fragments.Length)]));
            try { Harness.Compile(text); }
            catch (JobInvalidException e)
            {
                Assert.NotEmpty(e.Diagnostics);
                Assert.All(e.Diagnostics, d => Assert.DoesNotContain('\n', d.Message));
            }
        }
    }
}

/// <summary>Secrets come from the environment or files and never show in text.</summary>
public class SecretTests
{
    [Fact]
    public void Secrets_are_read_from_env_or_file_and_print_as_their_source()
    {
        var dir = Harness.TempDir();
        File.WriteAllText(Path.Combine(dir, "pw.txt"), "s3cr3t-from-file\n");
        var name = "QC_TEST_PW_" + Guid.NewGuid().ToString("N")[..6];
        Environment.SetEnvironmentVariable(name, "s3cr3t-from-env");
        try
        {
            var fromEnv = Secret.Resolve("env:" + name, dir, out var e1)!;
            var fromFile = Secret.Resolve("file:pw.txt", dir, out var e2)!;
            Assert.Null(e1); Assert.Null(e2);
            Assert.Equal("s3cr3t-from-env", fromEnv.Reveal());
            Assert.Equal("s3cr3t-from-file", fromFile.Reveal());
            Assert.Equal("env:" + name, fromEnv.ToString());
            Assert.Equal("file:pw.txt", fromFile.ToString());
            Assert.Equal("", OptionSpec.FormatValue(fromEnv));
            Assert.Null(Secret.Resolve("file:missing.txt", dir, out var e3));
            Assert.Contains("does not exist", e3);
        }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }

    [Fact]
    public void An_inline_secret_is_refused_without_repeating_it()
    {
        var errors = Harness.Errors("""
            job: v
            connections:
              c: { type: test.conn, host: h, password: hunter2-inline }
            stages:
              src: { type: test.numbers, password: "${PW}" }
              out: { type: test.collect }
            """, new Dictionary<string, string> { ["PW"] = "hunter2-from-var" });
        Assert.Equal([
            "job.yaml:3:44: 'password' in connection 'c': a secret is written as env:NAME or file:PATH, never inline",
            "job.yaml:5:40: 'password' in stage 'src' (test.numbers): a secret is written as env:NAME or file:PATH, never inline",
        ], errors);
        Assert.DoesNotContain(errors, e => e.Contains("hunter2"));
    }
}
