using QcPipeline.TestKit;

namespace QcPipeline.Ssh.Tests;

/// <summary>
/// What each operation costs in round trips, counted on a real sshd through the TestKit link (a client's send
/// after its server spoke is one round trip): a header is an open and a read, a listing an opendir and its
/// readdirs at once, a download an open and its reads in flight. Without the single requests (SSH.NET's public
/// file API) a header costs a third round trip, the fstat SSH.NET adds to every open.
/// </summary>
[Collection(nameof(SingleRequestsSwitch))]
public sealed class RoundTripTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private LatencyProxy _link = null!;

    public Task InitializeAsync()
    {
        _link = new LatencyProxy(fixture.Server.Port, TimeSpan.FromMilliseconds(20), 1000);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _link.DisposeAsync();

    private Task<SftpConnection> Connect() =>
        SftpConnection.ConnectAsync(fixture.Server.Settings() with { Port = _link.Port, KnownHostsPath = null, PinnedFingerprint = fixture.Server.HostKeyFingerprint });

    // Round trips of one operation, counted between two realpaths: one answered means every earlier answer is in,
    // so nothing before shares the operation's first turn, and the closes it sends without waiting go out in the
    // same turn as the realpath after it (which is not counted).
    private async Task<int> RoundTrips(SftpConnection client, Func<Task> operation)
    {
        await client.RealPathAsync(".");
        var quiet = _link.ClientTurns;
        await client.RealPathAsync("."); // what the realpath itself costs (more without single requests)
        var realpath = _link.ClientTurns - quiet;
        var before = _link.ClientTurns;
        await operation();
        await client.RealPathAsync(".");
        return _link.ClientTurns - before - realpath;
    }

    [Fact]
    public async Task The_pinned_SSH_NET_offers_single_requests()
    {
        Assert.True(SftpRequests.Available, "SSH.NET's internal SFTP session requests could not be bound: the version in Directory.Packages.props changed?");
        using var client = await Connect();
        Assert.True(client.SendsSingleRequests);
    }

    [Fact]
    public async Task A_header_costs_an_open_and_a_read()
    {
        using var client = await Connect();
        var head = Array.Empty<byte>();
        Assert.Equal(2, await RoundTrips(client, async () =>
        {
            using var file = await client.OpenAsync("big.bin", 16384);
            head = await file.ReadAtAsync(0, 16384);
        }));
        Assert.True(head.AsSpan().SequenceEqual(fixture.Big.AsSpan(0, 16384)));
    }

    [Fact]
    public async Task A_folder_of_3000_names_is_listed_in_a_few_round_trips()
    {
        using var client = await Connect();
        IReadOnlyList<SftpEntry> entries = [];
        // opendir, then readdirs eight at a time (OpenSSH sends 100 names a readdir): a handful of round trips
        // for 31 readdirs, where one readdir at a time (and SSH.NET's realpath and close) cost 34.
        Assert.InRange(await RoundTrips(client, async () => entries = await client.ListAsync("many")), 2, 10);
        Assert.Equal(ServerFixture.ManyCount, entries.Count(e => e.Kind == SftpEntryKind.File));
        Assert.Equal(2, await RoundTrips(client, async () => entries = await client.ListAsync("odd folder"))); // opendir, readdirs
        Assert.Contains(ServerFixture.OddName, entries.Select(e => e.Name));
    }

    [Fact]
    public async Task A_download_keeps_its_reads_in_flight_and_ends_without_an_extra_round_trip()
    {
        using var client = await Connect();
        using var copy = new MemoryStream();
        // 5 MiB in 64 KiB reads, 32 in flight: the open, then the reads answered in ~3 windows (each answer lets
        // the next read go at once, so the turns are few, not 81).
        var trips = await RoundTrips(client, async () => await client.DownloadAsync("big.bin", copy, fixture.Big.Length));
        Assert.True(copy.ToArray().AsSpan().SequenceEqual(fixture.Big));
        Assert.InRange(trips, 2, 40);
        using var small = new MemoryStream();
        Assert.Equal(2, await RoundTrips(client, async () => await client.DownloadAsync($"odd folder/{ServerFixture.OddName}", small, 3)));
        Assert.Equal("odd"u8.ToArray(), small.ToArray());
    }

    [Fact]
    public async Task A_file_longer_or_shorter_than_listed_is_downloaded_whole()
    {
        using var client = await Connect();
        using var longer = new MemoryStream();
        Assert.Equal(fixture.Big.Length, await client.DownloadAsync("big.bin", longer, 100_000));
        Assert.True(longer.ToArray().AsSpan().SequenceEqual(fixture.Big));
        using var shorter = new MemoryStream();
        Assert.Equal(fixture.Big.Length, await client.DownloadAsync("big.bin", shorter, fixture.Big.Length * 2L));
        Assert.True(shorter.ToArray().AsSpan().SequenceEqual(fixture.Big));
        using var empty = new MemoryStream();
        Assert.Equal(0, await client.DownloadAsync("empty.jpg", empty, 0));
    }

    [Fact]
    public async Task SSH_NET_s_public_file_API_costs_a_third_round_trip_per_header_and_still_works()
    {
        SftpRequests.DisabledForTests = true;
        try
        {
            using var client = await Connect();
            Assert.False(client.SendsSingleRequests);
            var head = Array.Empty<byte>();
            Assert.Equal(3, await RoundTrips(client, async () =>
            {
                using var file = await client.OpenAsync("big.bin", 16384);
                head = await file.ReadAtAsync(0, 16384);
            }));
            Assert.True(head.AsSpan().SequenceEqual(fixture.Big.AsSpan(0, 16384)));
            Assert.Equal(ServerFixture.ManyCount, (await client.ListAsync("many")).Count(e => e.Kind == SftpEntryKind.File));
            using var copy = new MemoryStream();
            Assert.Equal(fixture.Big.Length, await client.DownloadAsync("big.bin", copy, fixture.Big.Length));
            Assert.True(copy.ToArray().AsSpan().SequenceEqual(fixture.Big));
        }
        finally { SftpRequests.DisabledForTests = false; }
    }
}

/// <summary>Tests that switch the single requests off run apart from those that use a connection.</summary>
[CollectionDefinition(nameof(SingleRequestsSwitch), DisableParallelization = true)]
public sealed class SingleRequestsSwitch;
