using Xunit;

namespace QcPipeline.Media.Tests;

/// <summary>Headers built to cost: a walk over them ends in bounded reads and time with one clear line.</summary>
public sealed class HostileHeaderTests
{
    private static readonly JpegHeaderNeeds TagsAndXmp = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    // SOI, then n empty APP3 segments (FF E3 00 02), then the image data.
    private static byte[] TinySegments(int n)
    {
        var file = new byte[2 + 4 * n + 4];
        file[0] = 0xFF; file[1] = 0xD8;
        for (var i = 0; i < n; i++) (file[2 + 4 * i], file[3 + 4 * i], file[4 + 4 * i], file[5 + 4 * i]) = (0xFF, 0xE3, 0, 2);
        (file[^4], file[^3], file[^2], file[^1]) = (0xFF, 0xDA, 0, 2);
        return file;
    }

    [Fact]
    public async Task A_header_of_half_a_million_tiny_segments_is_refused_after_a_bounded_number_of_reads()
    {
        // 2 MB of 4-byte segments: each read of a segment's head sees only a few, and every read walked the header
        // again over pieces kept apart (10,000 segments took about 6 s, and it grew with the square). Pieces are joined as they
        // arrive, and a header gets a bounded number of reads.
        var file = TinySegments(500_000);
        var reads = 0;
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => JpegMetadataExtent.ReadHeaderAsync((o, n, _) =>
        {
            reads++;
            return Task.FromResult(file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray());
        }, file.Length, [new(0, 16 * 1024)], 2 << 20, TagsAndXmp, "hostile.jpg", default));
        Assert.Equal("hostile.jpg: the JPEG header takes more than 256 reads (a camera's takes a few): too many segments before its metadata ends", error.Message);
        Assert.Equal(256, reads);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "guard against a hang only; the real cost is milliseconds");
    }

    [Fact]
    public async Task A_few_thousand_tiny_segments_within_the_reads_are_walked_to_the_image_data()
    {
        var file = TinySegments(4_000); // 16 KB: one first read holds them all
        var result = await JpegMetadataExtent.ReadHeaderAsync((o, n, _) =>
            Task.FromResult(file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray()), file.Length, [new(0, 16 * 1024)], 2 << 20, TagsAndXmp, "many.jpg", default);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xD9], result.Bytes); // complete, nothing needed kept
        Assert.Equal(1, result.Requests);
    }

    [Fact]
    public void Pieces_that_touch_or_overlap_are_joined_and_the_first_bytes_read_stay()
    {
        var read = new SparseBytes();
        read.Add(20, [.. Enumerable.Repeat((byte)2, 10)]);
        read.Add(0, [.. Enumerable.Repeat((byte)1, 10)]);
        Assert.Equal(10, read.CoveredEnd(0));
        Assert.False(read.Covers(5, 10));
        read.Add(10, [.. Enumerable.Repeat((byte)3, 10)]);              // fills the gap: [0, 30) is one piece
        read.Add(25, [.. Enumerable.Repeat((byte)9, 10)]);              // overlaps its end: the read bytes there stay
        Assert.Equal(35, read.CoveredEnd(0));
        Assert.Equal(35, read.End);
        Assert.Equal(35, read.Total);
        Assert.True(read.TryGet(8, 20, out var bytes));
        Assert.Equal([1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2], bytes);
        Assert.True(read.TryGet(28, 7, out var tail));
        Assert.Equal([2, 2, 9, 9, 9, 9, 9], tail);
        Assert.False(read.TryGet(30, 6, out _));
        Assert.Equal(40, read.CoveredEnd(40));
    }
}
