using QcPipeline.Media;
using QcPipeline.TestKit;
using Xunit;

namespace QcPipeline.Media.Tests;

/// <summary>Reading just the segments a reader needs, on a file laid out like a DJI R-JPEG thermal frame (EXIF, XMP,
/// MPF, eleven 64 KB APP3 of raw thermal data, APP4, APP5, tables, image data) and on the real frames.</summary>
public sealed class HeaderNeedsTests
{
    private static readonly JpegHeaderNeeds ExifAndXmp = JpegHeaderNeeds.Of(JpegSegmentKind.Exif, JpegSegmentKind.Xmp);

    private static byte[] Segment(byte marker, byte[] payload) => JpegBytes.Segment(marker, payload);

    private static byte[] Payload(string signature, int length, byte fill) => JpegBytes.Payload(signature, length, fill);

    private static readonly byte[] Exif = Segment(0xE1, Payload("Exif\0\0", 16799, 0x11));
    private static readonly byte[] Xmp = Segment(0xE1, Payload("http://ns.adobe.com/xap/1.0/\0", 8188, 0x22));

    /// <summary>SOI, EXIF, XMP (optional), MPF, 11 APP3, APP4, APP5, DQT, SOS, image data, EOI.</summary>
    private static byte[] Thermal(bool withXmp = true) =>
    [
        0xFF, 0xD8, .. Exif, .. withXmp ? Xmp : [], .. Segment(0xE2, Payload("MPF\0", 178, 0x33)),
        .. Enumerable.Range(0, 11).SelectMany(_ => Segment(0xE3, Payload("", 65532, 0x44))),
        .. Segment(0xE4, Payload("", 2560, 0x55)), .. Segment(0xE5, Payload("", 32768, 0x66)),
        .. Segment(0xDB, Payload("", 65, 0x77)), .. Segment(0xDA, Payload("", 10, 0x01)),
        .. Enumerable.Repeat((byte)0x02, 700_000), 0xFF, 0xD9,
    ];

    private sealed record Reads(List<(long Offset, int Count)> Ranges)
    {
        public long Bytes => Ranges.Sum(r => (long)r.Count);
        public bool Touches(long from, long to) => Ranges.Any(r => r.Offset < to && r.Offset + r.Count > from);
    }

    private static (HeaderRead Result, Reads Reads) Read(byte[] file, int first, JpegHeaderNeeds? needs)
    {
        var reads = new Reads([]);
        var result = JpegMetadataExtent.ReadHeaderAsync((o, n, _) =>
        {
            lock (reads) reads.Ranges.Add((o, n));
            return Task.FromResult(file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray());
        }, file.Length, first, 4 << 20, needs, "frame.jpg", default).GetAwaiter().GetResult();
        return (result, reads);
    }

    [Fact]
    public void Exif_and_xmp_are_read_and_the_thermal_data_after_them_never()
    {
        var file = Thermal();
        var (result, reads) = Read(file, 4096, ExifAndXmp);
        Assert.Equal([0xFF, 0xD8, .. Exif, .. Xmp, 0xFF, 0xD9], result.Bytes);
        var xmpEnd = 2 + Exif.Length + Xmp.Length;
        Assert.Equal(xmpEnd, result.Extent);
        Assert.False(reads.Touches(xmpEnd + 64, file.Length), "nothing after the XMP segment was asked for");
        Assert.InRange(reads.Bytes, xmpEnd, xmpEnd + 4096);
        Assert.InRange(result.Requests, 2, 4); // the first read, then the rest of EXIF and XMP
    }

    [Fact]
    public void A_first_read_as_long_as_the_needed_segments_is_the_only_request()
    {
        var xmpEnd = 2 + Exif.Length + Xmp.Length;
        var (result, reads) = Read(Thermal(), xmpEnd, ExifAndXmp);
        Assert.Equal(1, result.Requests);
        Assert.Equal(xmpEnd, reads.Bytes);
    }

    [Fact]
    public void A_file_without_a_needed_segment_is_walked_to_its_image_data_skipping_the_thermal_data_unread()
    {
        var file = Thermal(withXmp: false);
        var (result, reads) = Read(file, 4096, ExifAndXmp);
        Assert.Equal([0xFF, 0xD8, .. Exif, 0xFF, 0xD9], result.Bytes); // complete: the walk reached the image data
        var app3 = 2 + Exif.Length + 182 + 2;
        // Only the first bytes of each skipped segment were asked for, never its body.
        Assert.True(reads.Bytes < 16 * 1024 + 20 * 64 + 4096, $"{reads.Bytes} bytes asked for");
        for (var i = 0; i < 11; i++)
            Assert.False(reads.Touches(app3 + i * 65536 + 64 + 16, app3 + (i + 1) * 65536 - 64), $"APP3 #{i} was read");
    }

    [Fact]
    public void Without_needs_the_metadata_segments_up_to_the_image_data_are_kept_and_raw_data_skipped()
    {
        var file = Thermal();
        var (result, _) = Read(file, 4096, null);
        Assert.Equal([0xFF, 0xD8, .. Exif, .. Xmp, .. Segment(0xE2, Payload("MPF\0", 178, 0x33)), .. Segment(0xDB, Payload("", 65, 0x77)), 0xFF, 0xD9],
            result.Bytes);
    }

    [Fact]
    public void A_file_cut_inside_a_needed_segment_keeps_the_cut_and_gets_no_end_marker()
    {
        var file = Thermal()[..(2 + Exif.Length + 1000)];
        var (result, _) = Read(file, 4096, ExifAndXmp);
        Assert.Equal(file, result.Bytes);
    }

    [Fact]
    public void What_several_consumers_need_is_the_union_or_everything_if_one_does_not_say()
    {
        var gps = new Reader(ExifAndXmp);
        var icc = new Reader(JpegHeaderNeeds.Of(JpegSegmentKind.Icc));
        Assert.Equal([JpegSegmentKind.Exif, JpegSegmentKind.Xmp, JpegSegmentKind.Icc], JpegHeaderNeeds.Of([gps, icc])!.Segments);
        Assert.Null(JpegHeaderNeeds.Of([gps, new object()]));
        Assert.Null(JpegHeaderNeeds.Of(Array.Empty<object>()));
    }

    private sealed class Reader(JpegHeaderNeeds needs) : IJpegHeaderReader
    {
        public JpegHeaderNeeds HeaderNeeds { get; } = needs;
    }

    [SharedDataFact("gps/dji_zh20t")]
    public void Real_zh20t_frames_give_their_exif_and_xmp_byte_for_byte_from_about_25_KB()
    {
        foreach (var path in Directory.GetFiles(SharedData.Find("gps/dji_zh20t")!, "*.JPG"))
        {
            var file = File.ReadAllBytes(path);
            var (result, reads) = Read(file, 16 * 1024, ExifAndXmp);
            var (whole, _) = Read(file, 64 * 1024, null);
            // The EXIF + XMP header is the start of the full header (which goes on with MPF, APP4, APP5 and tables).
            Assert.True(result.Bytes.AsSpan(0, result.Bytes.Length - 2).SequenceEqual(whole.Bytes.AsSpan(0, result.Bytes.Length - 2)), path);
            Assert.InRange(result.Extent, 24_000, 27_000);
            Assert.True(reads.Bytes < 30_000, $"{Path.GetFileName(path)}: {reads.Bytes} bytes asked for");
        }
    }
}
