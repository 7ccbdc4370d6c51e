using QcPipeline.Media;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.Media.Tests;

/// <summary>A reader of Exif tags (gps.exif) leaves the Exif thumbnail out: it is found from IFD1, never read, and
/// zeros stand for it in the header-only JPEG, so every offset in the segment still holds.</summary>
public sealed class ThumbnailTests
{
    private static readonly JpegHeaderNeeds TagsAndXmp = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    private static (HeaderRead Result, List<(long Offset, int Count)> Reads) Read(byte[] file, IReadOnlyList<JpegMetadataExtent.Range> first, JpegHeaderNeeds? needs)
    {
        var reads = new List<(long, int)>();
        var result = JpegMetadataExtent.ReadHeaderAsync((o, n, _) =>
        {
            lock (reads) reads.Add((o, n));
            return Task.FromResult(file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray());
        }, file.Length, first, 4 << 20, needs, "frame.jpg", default).GetAwaiter().GetResult();
        return (result, reads);
    }

    // Where IFD1 says the thumbnail is (TIFF header right after "Exif\0\0" at offset 10; DJI writes little-endian).
    private static (int Start, int Length) Thumbnail(byte[] file)
    {
        const int tiff = 12;
        int U32(int at) => BitConverter.ToInt32(file, tiff + at);
        int U16(int at) => BitConverter.ToUInt16(file, tiff + at);
        var ifd1 = U32(U32(4) + 2 + 12 * U16(U32(4)));
        int offset = 0, length = 0;
        for (var i = 0; i < U16(ifd1); i++)
        {
            var e = ifd1 + 2 + 12 * i;
            if (U16(e) == 0x0201) offset = U32(e + 8);
            if (U16(e) == 0x0202) length = U32(e + 8);
        }
        return (tiff + offset, length);
    }

    [SharedDataFact("gps/dji_zh20t")]
    public void Real_zh20t_frames_give_their_exif_tags_and_xmp_from_about_10_KB_and_their_thumbnail_is_never_read()
    {
        foreach (var path in Directory.GetFiles(SharedData.Find("gps/dji_zh20t")!, "*.JPG"))
        {
            var file = File.ReadAllBytes(path);
            var (start, length) = Thumbnail(file);
            Assert.InRange(length, 10_000, 20_000);
            var (result, reads) = Read(file, [new(0, 2048)], TagsAndXmp);
            var (whole, _) = Read(file, [new(0, 64 * 1024)], JpegHeaderNeeds.Of(JpegSegmentKind.Exif, JpegSegmentKind.Xmp));
            // The same header-only JPEG as with the whole Exif, but for zeros where the thumbnail was.
            var expected = whole.Bytes.ToArray();
            Array.Clear(expected, start, length);
            Assert.Equal(expected, result.Bytes);
            // Only the first read's tail reaches into it; nothing is asked for inside it.
            Assert.DoesNotContain(reads, r => r.Offset > start && r.Offset < start + length);
            Assert.True(reads.Sum(r => Math.Max(0L, Math.Min(r.Offset + r.Count, start + length) - Math.Max(r.Offset, start))) < 1024);
            Assert.True(reads.Sum(r => r.Count) < 12_000, $"{Path.GetFileName(path)}: {reads.Sum(r => r.Count)} bytes asked for");

            // The ranges it used, asked for at once, are all the next read needs: one round of requests.
            var (again, againReads) = Read(file, result.Touched, TagsAndXmp);
            Assert.Equal(result.Bytes, again.Bytes);
            Assert.Equal(result.Touched.Count, again.Requests);
            Assert.Equal(result.Touched.Count, againReads.Count);
        }
    }

    [Fact]
    public async Task A_file_shorter_than_its_listing_gives_the_bytes_it_has_not_zeros_for_a_thumbnail_past_its_end()
    {
        // Found by fuzzing the segment walker: a file listed at 8,000 bytes that holds 1,000 (an upload under way, a
        // file cut since it was listed). The thumbnail "inside" its Exif lies past the real end; the header-only JPEG
        // stood for 5 KB of zeros there, as if the file had them. The empty read past the end now ends the file at
        // the last byte read.
        var tiff = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 14, 0, 0, 0, 2, 0 };
        tiff.AddRange([0x01, 0x02, 4, 0, 1, 0, 0, 0, .. BitConverter.GetBytes(100)]);
        tiff.AddRange([0x02, 0x02, 4, 0, 1, 0, 0, 0, .. BitConverter.GetBytes(5_000)]);
        tiff.AddRange([0, 0, 0, 0, .. Enumerable.Repeat((byte)0x5A, 6000)]);
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var whole = JpegBytes.App1Only(payload);
        var file = whole[..1000];
        var reads = new List<(long Offset, int Count)>();
        var result = await JpegMetadataExtent.ReadHeaderAsync((o, n, _) =>
        {
            reads.Add((o, n));
            return Task.FromResult(o >= file.Length ? [] : file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray());
        }, 8_000, [new(0, 512)], 4 << 20, TagsAndXmp, "frame.jpg", default);
        Assert.True(result.IsJpeg);
        Assert.All(reads, r => Assert.True(r.Offset + r.Count <= 8_000));
        Assert.Equal(file[..512], result.Bytes); // what was read, cut where the reading stopped; no EOI: parsers see the cut
    }

    [Fact]
    public void An_exif_whose_thumbnail_offsets_point_outside_the_segment_is_kept_whole()
    {
        // II, IFD0 at 8 with no entries, IFD1 right after it with a thumbnail "at" 60,000 of 5,000 bytes.
        var tiff = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 14, 0, 0, 0, 2, 0 };
        tiff.AddRange([0x01, 0x02, 4, 0, 1, 0, 0, 0, .. BitConverter.GetBytes(60_000)]);
        tiff.AddRange([0x02, 0x02, 4, 0, 1, 0, 0, 0, .. BitConverter.GetBytes(5_000)]);
        tiff.AddRange([0, 0, 0, 0, .. Enumerable.Repeat((byte)0x5A, 6000)]);
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        var file = JpegBytes.App1Only(payload);
        var (result, _) = Read(file, [new(0, 512)], TagsAndXmp);
        Assert.Equal([.. file[..(4 + 2 + payload.Length)], 0xFF, 0xD9], result.Bytes);
    }

    [Fact]
    public void A_reader_of_the_whole_exif_wins_over_one_of_its_tags()
    {
        Assert.Equal([JpegSegmentKind.Exif, JpegSegmentKind.Xmp],
            JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Exif, JpegSegmentKind.Xmp).Segments);
    }
}
