using System.Net;
using System.Net.Sockets;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>The binding against a real OpenSSH sshd: listing, reading, errors on the file level.</summary>
public sealed class SftpClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SftpClient Connect() => SftpClient.Connect(fixture.Server.Settings());

    [Fact]
    public void Lists_a_folder_with_kinds_sizes_and_times()
    {
        using var client = Connect();
        var entries = client.ListDirectory(".").Where(e => e.Name is not ("." or "..")).ToDictionary(e => e.Name);
        Assert.Equal(["big.bin", "empty.jpg", "many", "odd folder"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SftpEntryKind.File, entries["big.bin"].Kind);
        Assert.Equal(fixture.Big.Length, entries["big.bin"].Size);
        Assert.Equal(SftpEntryKind.Directory, entries["many"].Kind);
        Assert.Equal(0, entries["empty.jpg"].Size);
        var mtime = new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(fixture.Content, "big.bin")));
        Assert.InRange((entries["big.bin"].Modified - mtime).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Lists_thousands_of_files_and_odd_and_long_names()
    {
        using var client = Connect();
        var many = client.ListDirectory("many").Where(e => e.Kind == SftpEntryKind.File).ToList();
        Assert.Equal(ServerFixture.ManyCount, many.Count);
        var odd = client.ListDirectory("odd folder").Select(e => e.Name).ToList();
        Assert.Contains(ServerFixture.OddName, odd);
        Assert.Contains(ServerFixture.LongName, odd); // libssh2 1.10 drops names longer than its buffer
    }

    [Fact]
    public void Downloads_byte_for_byte()
    {
        using var client = Connect();
        using var copy = new MemoryStream();
        Assert.Equal(fixture.Big.Length, client.Download("big.bin", copy));
        Assert.True(copy.ToArray().AsSpan().SequenceEqual(fixture.Big));
        Assert.True(client.BytesRead >= fixture.Big.Length, "the wire carried at least the file");

        using var odd = client.OpenRead($"odd folder/{ServerFixture.OddName}");
        Assert.Equal("odd", new StreamReader(odd).ReadToEnd());
        using var empty = client.OpenRead("empty.jpg");
        Assert.Equal(0, empty.Read(new byte[10]));
    }

    [Fact]
    public void Seeks_and_reads_a_part_of_a_file_cheaply()
    {
        using var client = Connect();
        var before = client.BytesRead;
        using (var stream = client.OpenRead("big.bin", 4096))
        {
            var head = new byte[16384];
            stream.ReadExactly(head);
            Assert.True(head.AsSpan().SequenceEqual(fixture.Big.AsSpan(0, head.Length)));
            stream.Position = 3_000_000;
            var middle = new byte[1000];
            stream.ReadExactly(middle);
            Assert.True(middle.AsSpan().SequenceEqual(fixture.Big.AsSpan(3_000_000, 1000)));
            Assert.Equal(fixture.Big.Length, stream.Length);
        }
        var moved = client.BytesRead - before;
        Assert.True(moved < 100 * 1024, $"reading 17 KB of a 5 MB file moved {moved} bytes");
    }

    [Fact]
    public void A_missing_file_names_host_and_path()
    {
        using var client = Connect();
        var e = Assert.Throws<SshException>(() => client.OpenRead("no/such.jpg"));
        Assert.Equal(SshErrorKind.NoSuchFile, e.Kind);
        Assert.False(e.IsTransient);
        Assert.Contains("127.0.0.1", e.Message);
        Assert.Contains("no/such.jpg", e.Message);
        Assert.True(client.IsConnected, "a missing file does not break the connection");
        Assert.Equal(SftpEntryKind.File, client.Stat("big.bin").Kind);
    }

    [Fact]
    public void Stat_realpath_and_keepalive_work_on_an_idle_connection()
    {
        using var client = Connect();
        Assert.Equal(SftpEntryKind.Directory, client.Stat("many").Kind);
        Assert.Equal(Path.Combine(fixture.Content, "many"), client.RealPath("many"));
        client.SendKeepAlive();
        Assert.True(client.IsConnected);
        Assert.Equal(fixture.Big.Length, client.Stat("big.bin").Size);
    }

    [Fact]
    public void The_host_key_checked_is_the_one_in_known_hosts_though_libssh2_prefers_ecdsa()
    {
        using var client = Connect();
        Assert.Equal(fixture.Server.HostKeyFingerprint, client.HostKeyFingerprint);
    }

    [Fact]
    public void One_connection_serves_several_threads_one_call_at_a_time()
    {
        using var client = Connect();
        var sizes = new long[8];
        Parallel.For(0, sizes.Length, i => sizes[i] = client.Stat("big.bin").Size);
        Assert.All(sizes, s => Assert.Equal(fixture.Big.Length, s));
    }
}
