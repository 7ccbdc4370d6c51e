using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>The photo cache's file, edited or damaged by hand: nothing in it is trusted unchecked.</summary>
public sealed class PhotoCacheTests : IDisposable
{
    private const string Origin = "sftp://qc@site.example:22";
    private static readonly DateTimeOffset Modified = new(2025, 6, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("qc-cache-").FullName;
    private readonly List<string> _warnings = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PhotoCache Cache() => new(_dir, _warnings.Add);

    private static GpsReading Ok(int i) => new()
    {
        Status = GpsStatus.Ok, Latitude = 51.3 + i * 1e-4, Longitude = 12.3, AltitudeM = 180 + i, TakenAt = new DateTime(2025, 6, 2, 9, 30, i),
        Make = "DJI", Model = "FC6310S", GimbalPitchDeg = -90, HeaderHash = (ulong)(1000 + i),
    };

    private string Fill(int photos)
    {
        using var cache = Cache();
        for (var i = 0; i < photos; i++) cache.Put(Origin, $"/site/a/{i}.JPG", 5_000_000 + i, Modified, Ok(i));
        cache.Save();
        return cache.FileFor(Origin);
    }

    private int Hits(int photos)
    {
        using var cache = Cache();
        var hits = Enumerable.Range(0, photos).Count(i => cache.TryGet(Origin, $"/site/a/{i}.JPG", 5_000_000 + i, Modified, out var r) && r == Ok(i));
        cache.Save();
        return hits;
    }

    // Rewrites the line of one photo, as an editor would.
    private static void Edit(string file, int photo, Func<string, string> edit)
    {
        var lines = File.ReadAllLines(file);
        var at = Array.FindIndex(lines, l => l.Contains($"\"/site/a/{photo}.JPG\""));
        lines[at] = edit(lines[at]);
        File.WriteAllText(file, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
    }

    [Fact]
    public void Readings_come_back_as_they_went_in_and_a_changed_file_misses()
    {
        Fill(50);
        Assert.Equal(50, Hits(50));
        using var cache = Cache();
        Assert.False(cache.TryGet(Origin, "/site/a/3.JPG", 1, Modified, out _));                       // another size
        Assert.False(cache.TryGet(Origin, "/site/a/3.JPG", 5_000_003, Modified.AddSeconds(1), out _)); // another time
        Assert.False(cache.TryGet("sftp://qc@other.example:22", "/site/a/3.JPG", 5_000_003, Modified, out _));
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_latitude_of_999_is_rejected_with_a_warning_and_the_rest_is_kept()
    {
        var file = Fill(20);
        Edit(file, 7, l => Regex.Replace(l, "\"latitude\":[^,]*", "\"latitude\":999"));
        Assert.Equal(19, Hits(20));
        var warning = Assert.Single(_warnings);
        Assert.Contains("1 cached GPS reading was out of range or unreadable and ignored", warning);
        Assert.Contains("/site/a/7.JPG: latitude 999 is outside ±90 for an ok reading", warning);
        // The bad entry is dropped from the file: the next run reads that photo again and warns no more.
        Assert.DoesNotContain("\"latitude\":999", File.ReadAllText(file));
        _warnings.Clear();
        Assert.Equal(19, Hits(20));
        Assert.Empty(_warnings);
    }

    [Fact]
    public void A_309_digit_altitude_and_a_number_beyond_double_are_rejected()
    {
        var file = Fill(20);
        Edit(file, 4, l => Regex.Replace(l, "\"altitude_m\":[^,]*", "\"altitude_m\":1" + new string('0', 308)));
        Edit(file, 5, l => Regex.Replace(l, "\"altitude_m\":[^,]*", "\"altitude_m\":9" + new string('9', 308)));
        Assert.Equal(18, Hits(20));
        var warning = Assert.Single(_warnings);
        Assert.Contains("2 cached GPS readings were out of range or unreadable and ignored", warning);
        Assert.Contains("/site/a/4.JPG: altitude 1E+308 is out of range", warning);
    }

    [Fact]
    public void A_suspect_reading_keeps_its_recorded_latitude_and_other_problems_are_caught()
    {
        var suspect = new GpsReading { Status = GpsStatus.Suspect, PositionIssue = PositionIssue.OutOfRange, Reason = "latitude 999 is outside ±90", Latitude = 999, Longitude = 12 };
        Assert.Null(CacheEntryCheck.Problem(suspect));
        Assert.NotNull(CacheEntryCheck.Problem(suspect with { Reason = null }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { Latitude = 0, Longitude = 0 }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { Longitude = null }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { ExposureTimeS = -1 }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { UtcOffset = TimeSpan.FromHours(20) }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { Status = GpsStatus.Error, Reason = "x" }));
        Assert.NotNull(CacheEntryCheck.Problem(Ok(1) with { PositionIssue = PositionIssue.NullIsland }));
        Assert.Null(CacheEntryCheck.Problem(Ok(1)));
    }

    [Fact]
    public void An_unknown_status_or_a_line_of_junk_is_one_entry_lost_not_the_file()
    {
        var file = Fill(10);
        Edit(file, 2, l => l.Replace("\"status\":\"ok\"", "\"status\":\"great\""));
        File.AppendAllText(file, "{ not json\n" + new string('x', 70_000) + "\n");
        Assert.Equal(9, Hits(10));
        Assert.Contains("3 cached GPS readings were out of range or unreadable and ignored", Assert.Single(_warnings));
    }

    [Fact]
    public void A_file_of_another_format_is_replaced_without_a_word()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "gps-exif"));
        var file = Cache().FileFor(Origin);
        File.WriteAllText(file, "{\"format\":1,\"origin\":\"" + Origin + "\",\"entries\":{}}\n");
        Assert.Equal(0, Hits(3));
        Assert.Empty(_warnings);
        Fill(3);
        Assert.Equal(3, Hits(3));
    }
}
