using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>The transport against a real OpenSSH sshd: listing, reading, many requests at once, errors on the file level.</summary>
public sealed class SftpConnectionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private Task<SftpConnection> Connect() => SftpConnection.ConnectAsync(fixture.Server.Settings());

    [Fact]
    public async Task Lists_a_folder_with_kinds_sizes_and_times()
    {
        using var client = await Connect();
        var entries = (await client.ListAsync(".")).Where(e => e.Name is not ("." or "..")).ToDictionary(e => e.Name);
        Assert.Equal(["big.bin", "empty.jpg", "many", "odd folder"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SftpEntryKind.File, entries["big.bin"].Kind);
        Assert.Equal(fixture.Big.Length, entries["big.bin"].Size);
        Assert.Equal(SftpEntryKind.Directory, entries["many"].Kind);
        Assert.Equal(0, entries["empty.jpg"].Size);
        var mtime = new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(fixture.Content, "big.bin")));
        Assert.InRange((entries["big.bin"].Modified - mtime).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Lists_thousands_of_files_and_odd_and_long_names()
    {
        using var client = await Connect();
        var many = (await client.ListAsync("many")).Where(e => e.Kind == SftpEntryKind.File).ToList();
        Assert.Equal(ServerFixture.ManyCount, many.Count);
        var odd = (await client.ListAsync("odd folder")).Select(e => e.Name).ToList();
        Assert.Contains(ServerFixture.OddName, odd);
        Assert.Contains(ServerFixture.LongName, odd);
    }

    [Fact]
    public async Task Downloads_byte_for_byte()
    {
        using var client = await Connect();
        using var copy = new MemoryStream();
        Assert.Equal(fixture.Big.Length, await client.DownloadAsync("big.bin", copy));
        Assert.True(copy.ToArray().AsSpan().SequenceEqual(fixture.Big));
        Assert.Equal(fixture.Big.Length, client.BytesRead);

        using var odd = await client.OpenAsync($"odd folder/{ServerFixture.OddName}", 4096);
        Assert.Equal("odd"u8.ToArray(), await odd.ReadAtAsync(0, 100));
        using var empty = await client.OpenAsync("empty.jpg", 4096);
        Assert.Empty(await empty.ReadAtAsync(0, 10));
    }

    [Fact]
    public async Task Reads_parts_of_a_file_at_offsets_and_only_those()
    {
        using var client = await Connect();
        using (var file = await client.OpenAsync("big.bin", 16384))
        {
            var head = await file.ReadAtAsync(0, 16384);
            Assert.True(head.AsSpan().SequenceEqual(fixture.Big.AsSpan(0, head.Length)));
            var middle = await file.ReadAtAsync(3_000_000, 1000);
            Assert.True(middle.AsSpan().SequenceEqual(fixture.Big.AsSpan(3_000_000, 1000)));
            var tail = await file.ReadAtAsync(fixture.Big.Length - 10, 100);
            Assert.Equal(10, tail.Length);
        }
        Assert.True(client.BytesRead < 100 * 1024, $"reading 17 KB of a 5 MB file moved {client.BytesRead} bytes");
    }

    [Fact]
    public async Task A_missing_file_names_host_and_path_and_leaves_the_connection_usable()
    {
        using var client = await Connect();
        var e = await Assert.ThrowsAsync<SshException>(() => client.OpenAsync("no/such.jpg", 4096));
        Assert.Equal(SshErrorKind.NoSuchFile, e.Kind);
        Assert.False(e.IsTransient);
        Assert.Contains("127.0.0.1", e.Message);
        Assert.Contains("no/such.jpg", e.Message);
        Assert.True(client.IsConnected, "a missing file does not break the connection");
        Assert.Equal(SftpEntryKind.File, (await client.StatAsync("big.bin")).Entry.Kind);
    }

    [Fact]
    public async Task Stat_and_realpath_follow_links()
    {
        using var client = await Connect();
        Assert.Equal(SftpEntryKind.Directory, (await client.StatAsync("many")).Entry.Kind);
        Assert.Equal(Path.Combine(fixture.Content, "many"), await client.RealPathAsync("many"));
        Assert.Equal(fixture.Big.Length, (await client.StatAsync("big.bin")).Entry.Size);
    }

    [Fact]
    public async Task The_host_key_checked_is_the_one_in_known_hosts_though_the_server_has_two()
    {
        using var client = await Connect();
        Assert.Equal(fixture.Server.HostKeyFingerprint, client.HostKeyFingerprint);
    }

    [Fact]
    public async Task One_connection_serves_64_requests_in_flight_each_answered_exactly_once()
    {
        using var client = await Connect();
        var files = (await client.ListAsync("many")).Where(e => e.Kind == SftpEntryKind.File).Take(64).ToList();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = files.Select(async f =>
        {
            await gate.Task;
            using var file = await client.OpenAsync("many/" + f.Name, 4096);
            return (f.Name, Text: System.Text.Encoding.ASCII.GetString(await file.ReadAtAsync(0, 4096)));
        }).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(reads);
        var peak = client.PeakInFlight; // counted by the connection itself: a sampler on a loaded machine can miss the peak
        Assert.Equal(64, results.Length);
        Assert.Equal(64, results.Select(r => r.Name).Distinct().Count());
        Assert.All(results, r => Assert.Equal(int.Parse(r.Name[1..6]).ToString(), r.Text));
        Assert.True(peak >= 32, $"at most {peak} requests were in flight at once");
        Assert.Equal(0, client.InFlight);
    }
}
