using System.Diagnostics;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Demo.Generation;
using QcPipeline.TestKit;

namespace QcPipeline.Sftp.Tests;

/// <summary>Many files in flight on one connection, servers that limit connections or die, and the shipped job's defaults.</summary>
public sealed class PipeliningTests
{
    private static void AssertAccounted(RunResult r) =>
        Assert.True(r.CountsAddUp, $"produced {r.Produced} != {r.Processed} + {r.Failed} + {r.Skipped} + {r.Cancelled}");

    // The most items the fetch stage had running at once on one worker (connection), from the run's timeline.
    private static int MostAtOnce(RunResult r, int stage, int worker)
    {
        var events = r.Timeline.Where(t => t.Stage == stage && t.Worker == worker)
            .SelectMany(t => new[] { (t.StartMs, 1), (t.EndMs, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2);
        int now = 0, most = 0;
        foreach (var (_, d) in events) most = Math.Max(most, now += d);
        return most;
    }

    [Fact]
    public async Task One_connection_has_64_files_in_flight_and_each_ends_exactly_once()
    {
        using var site = new Site(folders: 2, perFolder: 100, imageBytes: 20_000);
        await using var link = new LatencyProxy(site.Server.Port, TimeSpan.FromMilliseconds(40), 1000);
        var name = $"inflight-{Guid.NewGuid():N}";
        var job = site.Job(name, 1, fetch: "    requests_per_connection: 64", port: link.Port)
            .Replace($"    known_hosts: {site.Server.KnownHostsPath}\n", $"    fingerprint: \"{site.Server.HostKeyFingerprint}\"\n");
        var result = await site.RunAsync(job);
        AssertAccounted(result);
        Assert.Equal(200, result.Produced);
        Assert.Equal(200, result.Processed);
        var got = CollectSink<FileContent>.Get(name).ToList();
        Assert.Equal(200, got.Select(o => o.Value!.Path).Distinct().Count());
        foreach (var o in got)
            Assert.Equal(JpegBytes.ExpectedHeader(File.ReadAllBytes(Path.Combine(site.Content, o.Value!.Folder, o.Value.Name))), o.Value.Bytes.ToArray());
        var fetch = result.Stages.Single(s => s.Name == "fetch");
        Assert.Equal(1, fetch.Workers);
        Assert.Equal(1, link.Connections); // the fetch shares the listing's connection
        var stage = result.Stages.ToList().FindIndex(s => s.Name == "fetch");
        Assert.InRange(MostAtOnce(result, stage, 0), 48, 64);
    }

    [Fact]
    public async Task A_server_killed_and_restarted_with_many_files_in_flight_loses_none()
    {
        using var site = new Site(folders: 2, perFolder: 150, imageBytes: 20_000);
        await using var link = new LatencyProxy(site.Server.Port, TimeSpan.FromMilliseconds(20), 1000);
        var name = $"kill-inflight-{Guid.NewGuid():N}";
        var collected = CollectSink<FileContent>.Get(name);
        var job = site.Job(name, 2, fetch: "    requests_per_connection: 32", port: link.Port)
            .Replace($"    known_hosts: {site.Server.KnownHostsPath}\n", $"    fingerprint: \"{site.Server.HostKeyFingerprint}\"\n");
        var run = site.RunAsync(job);
        while (collected.Count < 40 && !run.IsCompleted) await Task.Delay(2);
        site.Server.Kill();
        await Task.Delay(500);
        site.Server.Start();
        var result = await run;
        AssertAccounted(result);
        Assert.Equal(300, result.Produced);
        Assert.Equal(300, collected.Count);
        Assert.Equal(300, collected.Select(o => o.Value?.Path ?? o.Input?.Key).Distinct().Count());
        Assert.True(300 == result.Processed, string.Join("\n", result.Unsuccessful.Take(5).Select(u => $"{u.Item}: {u.Reason} ({u.Attempts} attempts)"))); // every file in flight when the server died was fetched again on a new connection
    }

    [Fact]
    public async Task A_server_with_MaxStartups_and_MaxSessions_below_the_pool_still_serves_the_whole_job()
    {
        using var site = new Site(maxStartups: 2, maxSessions: 1);
        var name = $"limits-{Guid.NewGuid():N}";
        var result = await site.RunAsync(site.Job(name, 8, fetch: "    requests_per_connection: 8"));
        AssertAccounted(result);
        Assert.Equal(site.Files.Count, result.Processed);
        Assert.True(result.Stages.Single(s => s.Name == "fetch").Workers <= 8);
    }

    [Fact]
    public async Task The_shipped_job_works_with_its_defaults_and_a_hashed_known_hosts_in_HOME()
    {
        using var site = new Site(folders: 0);
        SiteGenerator.Demo(site.Content);
        var home = Directory.CreateTempSubdirectory("qc-home-").FullName;
        var previous = Environment.GetEnvironmentVariable("HOME");
        try
        {
            Directory.CreateDirectory(Path.Combine(home, ".ssh"));
            var knownHosts = Path.Combine(home, ".ssh", "known_hosts");
            File.Copy(site.Server.KnownHostsPath, knownHosts);
            Run("ssh-keygen", "-q", "-H", "-f", knownHosts);
            Assert.StartsWith("|1|", File.ReadAllText(knownHosts));
            Environment.SetEnvironmentVariable("HOME", home);
            var env = new Dictionary<string, string>
            {
                ["SFTP_HOST"] = "127.0.0.1", ["SFTP_PORT"] = site.Server.Port.ToString(), ["SFTP_USER"] = site.Server.User,
                ["SFTP_KEY"] = site.Server.ClientKeyPath,
            };
            var shipped = Path.Combine(Checkout.Root, "pipelines", "site-scan.yaml");
            var result = await site.RunAsync(File.ReadAllText(shipped), environment: n => env.GetValueOrDefault(n), jobPath: shipped);
            Assert.True(result.Outcome == RunOutcome.Succeeded, $"{result.Outcome}: {result.Error} {string.Join("; ", result.Unsuccessful.Select(u => u.Reason))}");
            Assert.Equal(60, result.Processed);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HOME", previous);
            Directory.Delete(home, recursive: true);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
