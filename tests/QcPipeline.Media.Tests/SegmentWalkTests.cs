using Xunit;

namespace QcPipeline.Media.Tests;

/// <summary>The in-memory segment walk: what it yields, and where it stops.</summary>
public sealed class SegmentWalkTests
{
    private static List<(byte Marker, int Offset, int Length, byte[] Payload)> Walk(byte[] jpeg)
    {
        var seen = new List<(byte, int, int, byte[])>();
        foreach (var s in JpegSegments.Of(jpeg)) seen.Add((s.Marker, s.Offset, s.Length, s.Payload.ToArray()));
        return seen;
    }

    [Fact]
    public void Steps_over_fill_bytes_and_markers_without_a_length_and_stops_at_the_image_data()
    {
        byte[] jpeg =
        [
            0xFF, 0xD8,
            0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB, // APP0, two payload bytes
            0xFF, 0xFF, 0xD0, // a fill byte, then RST0 (no length)
            0xFF, 0xE1, 0x00, 0x03, 0xCC, // APP1, one payload byte
            0xFF, 0xDA, 0x00, 0x02, // SOS: what follows is image data
            0xFF, 0xE2, 0x00, 0x02,
        ];
        var seen = Walk(jpeg);
        Assert.Equal(2, seen.Count);
        Assert.Equal(((byte)0xE0, 2, 4), (seen[0].Marker, seen[0].Offset, seen[0].Length));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, seen[0].Payload);
        Assert.Equal(((byte)0xE1, 11, 3), (seen[1].Marker, seen[1].Offset, seen[1].Length));
        Assert.Equal(new byte[] { 0xCC }, seen[1].Payload);
    }

    [Fact]
    public void A_segment_cut_short_yields_the_bytes_present()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0x01, 0x00, 0x45, 0x78];
        var seen = Walk(jpeg);
        Assert.Single(seen);
        Assert.Equal(0x100, seen[0].Length);
        Assert.Equal(new byte[] { 0x45, 0x78 }, seen[0].Payload);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xE0, 0x00, 0x02 })] // a length shorter than its own bytes
    [InlineData(new byte[] { 0xFF, 0xD8, 0x00, 0xE1, 0x00, 0x02 })] // no marker where one belongs
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0x00 })] // fewer than four bytes left
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xE1, 0x00, 0x02 })] // EOI
    public void Stops_where_it_cannot_go_on(byte[] jpeg) => Assert.Empty(Walk(jpeg));
}
