using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Sftp.Tests;

/// <summary>sftp.list and sftp.fetch in real jobs against a real sshd.</summary>
public sealed class SftpStageTests
{
    private static void AssertAccounted(RunResult r) =>
        Assert.True(r.CountsAddUp, $"produced {r.Produced} != {r.Processed} + {r.Failed} + {r.Skipped} + {r.Cancelled}");

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public async Task Header_mode_fetches_every_file_once_and_only_its_header(int workers)
    {
        using var site = new Site();
        var name = $"header-{workers}-{Guid.NewGuid():N}";
        var result = await site.RunAsync(site.Job(name, workers));
        AssertAccounted(result);
        Assert.Equal(site.Files.Count, result.Produced);
        Assert.Equal(site.Files.Count, result.Processed);
        var got = CollectSink<FileContent>.Get(name).ToList();
        Assert.Equal(site.Files.Count, got.Count);
        Assert.Equal(site.Files.Count, got.Select(o => o.Value!.Path).Distinct().Count());
        foreach (var o in got)
        {
            var local = Path.Combine(site.Content, o.Value!.Folder, o.Value.Name);
            Assert.True(o.Value.Bytes.Span.SequenceEqual(JpegBytes.ExpectedHeader(File.ReadAllBytes(local))), $"{o.Value.Path}: wrong header bytes");
        }
        var fetch = result.Stages.Single(s => s.Name == "fetch");
        Assert.Equal(workers, fetch.Workers);
        var perFile = fetch.Bytes / (double)site.Files.Count;
        Assert.True(perFile < 60_000, $"a 200 KB file with a 4 KB header cost {perFile:0} bytes on the wire");
    }

    [Fact]
    public async Task Full_mode_downloads_byte_for_byte_and_leaves_no_partial_files()
    {
        using var site = new Site(folders: 2, perFolder: 10);
        var name = $"full-{Guid.NewGuid():N}";
        var downloads = Path.Combine(site.Output, "downloads");
        var result = await site.RunAsync(site.Job(name, 4, fetch: $"    mode: full\n    download_dir: {downloads}"));
        Assert.Equal(site.Files.Count, result.Processed);
        foreach (var file in site.Files)
        {
            var copy = Path.Combine(downloads, Path.GetRelativePath(site.Content, file));
            Assert.True(File.ReadAllBytes(copy).AsSpan().SequenceEqual(File.ReadAllBytes(file)), copy);
        }
        Assert.Empty(Directory.GetFiles(downloads, "*.tmp-*", SearchOption.AllDirectories));
        Assert.All(CollectSink<FileContent>.Get(name), o => Assert.StartsWith(downloads, o.Value!.LocalPath));
    }

    [Fact]
    public async Task A_server_killed_mid_run_and_restarted_loses_nothing_and_counts_nothing_twice()
    {
        using var site = new Site(folders: 2, perFolder: 60, imageBytes: 400_000);
        var name = $"kill-{Guid.NewGuid():N}";
        var collected = CollectSink<FileContent>.Get(name);
        var run = site.RunAsync(site.Job(name, 4, fetch: "    mode: full"));
        while (collected.Count < 20 && !run.IsCompleted) await Task.Delay(5);
        site.Server.Kill();
        await Task.Delay(300);
        site.Server.Start();
        var result = await run;
        AssertAccounted(result);
        Assert.Equal(site.Files.Count, result.Produced);
        Assert.Equal(site.Files.Count, collected.Select(o => o.Value?.Path ?? o.Input?.Key).Distinct().Count());
        Assert.Equal(site.Files.Count, collected.Count);
        Assert.Equal(site.Files.Count, result.Processed); // every item that lost its connection was retried on a new one
    }

    [Fact]
    public async Task A_server_that_allows_fewer_connections_than_asked_still_serves_the_job()
    {
        using var site = new Site(maxStartups: 2);
        var name = $"limited-{Guid.NewGuid():N}";
        var result = await site.RunAsync(site.Job(name, 8));
        AssertAccounted(result);
        Assert.Equal(site.Files.Count, result.Processed);
        var said = result.Warnings.Where(w => w.Contains("connection", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Single(said);
    }

    [Fact]
    public async Task A_wrong_password_fails_the_run_clearly_without_a_retry_storm_or_the_secret()
    {
        using var site = new Site(folders: 1, perFolder: 5);
        Environment.SetEnvironmentVariable("QC_TEST_WRONG_PW", "n0t-the-Passw0rd");
        var job = site.Job($"pw-{Guid.NewGuid():N}", 4)
            .Replace($"    key: {site.Server.ClientKeyPath}\n", "    password: env:QC_TEST_WRONG_PW\n");
        var result = await site.RunAsync(job, TimeSpan.FromSeconds(60));
        Assert.NotEqual(RunOutcome.Succeeded, result.Outcome);
        var everything = string.Join("\n", [result.Error ?? "", .. result.Warnings, .. result.Unsuccessful.Select(u => u.Reason ?? "")]);
        Assert.Contains("authentication failed", everything);
        Assert.DoesNotContain("n0t-the-Passw0rd", everything);
        Assert.All(result.Unsuccessful, u => Assert.True(u.Attempts <= 1, $"{u.Item} was tried {u.Attempts} times"));
    }

    [Fact]
    public async Task A_changed_host_key_is_refused()
    {
        using var site = new Site(folders: 1, perFolder: 3);
        site.Server.Kill();
        site.Server.ReplaceHostKeys();
        site.Server.Start();
        var result = await site.RunAsync(site.Job($"hostkey-{Guid.NewGuid():N}", 2), TimeSpan.FromSeconds(60));
        Assert.NotEqual(RunOutcome.Succeeded, result.Outcome);
        Assert.Contains("HOST KEY CHANGED", string.Join("\n", [result.Error ?? "", .. result.Unsuccessful.Select(u => u.Reason ?? "")]));
        Assert.Equal(0, result.Processed);
    }

    [Fact]
    public async Task Deleted_unreadable_empty_and_oddly_named_files_each_end_as_one_clear_record()
    {
        var loginUser = Environment.IsPrivilegedProcess ? "nobody" : null; // as root, file modes apply only to another user
        using var site = new Site(folders: 1, perFolder: 5, loginUser: loginUser);
        var folder = Path.Combine(site.Content, "folder 00");
        foreach (var d in Directory.GetDirectories(site.Content)) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
        foreach (var f in Directory.GetFiles(folder)) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        File.WriteAllBytes(Path.Combine(folder, "empty.jpg"), []);
        const string odd = "it's \"odd\" — näme ✓.jpg";
        File.WriteAllBytes(Path.Combine(folder, odd), JpegBytes.Random(new Random(1), 500, 1000));
        File.WriteAllBytes(Path.Combine(folder, "locked.jpg"), JpegBytes.Random(new Random(2), 500, 1000));
        File.SetUnixFileMode(Path.Combine(folder, "locked.jpg"), UnixFileMode.None);
        foreach (var f in new[] { "empty.jpg", odd }) File.SetUnixFileMode(Path.Combine(folder, f), (UnixFileMode)0b110_100_100);
        var name = $"odd-{Guid.NewGuid():N}";
        var between = $"""
              gone:
                type: test.delete
                content: {site.Content}
                name: DJI_0002.JPG
            """;
        var result = await site.RunAsync(site.Job(name, 2, between: between));
        AssertAccounted(result);
        Assert.Equal(8, result.Produced);
        var failures = result.Unsuccessful.ToDictionary(u => Path.GetFileName(u.Item));
        Assert.Equal(2, failures.Count);
        Assert.Contains("no such file", failures["DJI_0002.JPG"].Reason);
        Assert.Contains("permission denied", failures["locked.jpg"].Reason);
        var fetched = CollectSink<FileContent>.Get(name).Where(o => o.Value is not null).ToDictionary(o => o.Value!.Name);
        Assert.Equal(0, fetched["empty.jpg"].Value!.Bytes.Length);
        Assert.Equal(JpegBytes.ExpectedHeader(File.ReadAllBytes(Path.Combine(folder, odd))), fetched[odd].Value!.Bytes.ToArray());
    }

    [Fact]
    public async Task A_symlink_loop_does_not_hang_the_listing()
    {
        using var site = new Site(folders: 1, perFolder: 2);
        File.CreateSymbolicLink(Path.Combine(site.Content, "folder 00", "loop"), Path.Combine(site.Content, "folder 00"));
        File.CreateSymbolicLink(Path.Combine(site.Content, "up"), site.Content);
        var name = $"loop-{Guid.NewGuid():N}";
        var result = await site.RunAsync(site.Job(name, 1, list: "    follow_symlinks: true"), TimeSpan.FromSeconds(60));
        AssertAccounted(result);
        Assert.Equal(2, result.Processed);
    }

    [Fact]
    public async Task Links_to_files_and_links_out_of_root_are_never_followed()
    {
        using var site = new Site(folders: 2, perFolder: 2);
        var outside = Directory.CreateTempSubdirectory("qc-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "SECRET.JPG"), JpegBytes.Random(new Random(3), 100, 100));
            File.SetUnixFileMode(outside, (UnixFileMode)0b111_101_101);
            File.CreateSymbolicLink(Path.Combine(site.Content, "folder 00", "shadow.jpg"), Path.Combine(outside, "SECRET.JPG"));
            File.CreateSymbolicLink(Path.Combine(site.Content, "elsewhere"), outside);
            File.CreateSymbolicLink(Path.Combine(site.Content, "alias"), Path.Combine(site.Content, "folder 01")); // inside root: listed once
            var name = $"links-{Guid.NewGuid():N}";
            var result = await site.RunAsync(site.Job(name, 2, list: "    follow_symlinks: true"));
            AssertAccounted(result);
            Assert.Equal(4, result.Produced);
            Assert.DoesNotContain(CollectSink<FileContent>.Get(name), o => o.Value!.Path.Contains("SECRET") || o.Value.Path.Contains("shadow"));
            Assert.Contains(result.Warnings, w => w.Contains("symbolic link(s) not followed"));

            var off = $"links-off-{Guid.NewGuid():N}";
            var plain = await site.RunAsync(site.Job(off, 2));
            Assert.Equal(4, plain.Produced);
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public async Task Full_mode_never_writes_through_a_symbolic_link_below_download_dir()
    {
        using var site = new Site(folders: 2, perFolder: 3);
        var downloads = Path.Combine(site.Output, "downloads");
        var elsewhere = Directory.CreateTempSubdirectory("qc-elsewhere-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(downloads, "folder 01"));
            File.CreateSymbolicLink(Path.Combine(downloads, "folder 00"), elsewhere); // planted: would redirect the writes
            var victim = Path.Combine(elsewhere, "victim.txt");
            File.WriteAllText(victim, "keep me");
            File.CreateSymbolicLink(Path.Combine(downloads, "folder 01", "DJI_0000.JPG"), victim); // a link at a file's name
            var name = $"full-links-{Guid.NewGuid():N}";
            var result = await site.RunAsync(site.Job(name, 2, fetch: $"    mode: full\n    download_dir: {downloads}"));
            AssertAccounted(result);
            Assert.Equal(3, result.Failed); // folder 00's files: refused, with the reason
            Assert.All(result.Unsuccessful, u => Assert.Contains("symbolic link", u.Reason));
            Assert.Empty(Directory.GetFiles(elsewhere, "*.JPG"));
            Assert.Equal("keep me", File.ReadAllText(victim));
            var replaced = Path.Combine(downloads, "folder 01", "DJI_0000.JPG");
            Assert.Null(new FileInfo(replaced).LinkTarget); // the link itself was replaced by the file
            Assert.Equal(File.ReadAllBytes(Path.Combine(site.Content, "folder 01", "DJI_0000.JPG")), File.ReadAllBytes(replaced));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(replaced));
        }
        finally { Directory.Delete(elsewhere, recursive: true); }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 1)]
    [InlineData(11, 2)]
    [InlineData(150, 3)]
    [InlineData(1375, 4)]
    public void The_auto_pool_follows_the_users_policy(long files, int connections) =>
        Assert.Equal(connections, SftpFetchStage.AutoPoolSize(files));
}
