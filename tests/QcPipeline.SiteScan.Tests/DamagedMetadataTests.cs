using System.Text;
using QcPipeline.Media;
using QcPipeline.Demo.Generation;
using Xunit;

namespace QcPipeline.SiteScan.Tests;

/// <summary>What fuzzing the GPS reader found (fuzz/corpus/gps-reader): metadata its parsers cannot read costs a photo
/// only what cannot be read, and a header fetch and a whole-file read of a photo agree on its fingerprint.</summary>
public sealed class DamagedMetadataTests
{
    private static readonly JpegHeaderNeeds GpsExif = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    // An APP1 segment right after SOI.
    private static byte[] WithApp1(byte[] jpeg, byte[] payload) => JpegBytes.WithApp1(jpeg, payload);

    // XmpCore throws InvalidCastException on RDF that holds text where an element belongs.
    private static readonly byte[] BrokenXmp = Encoding.UTF8.GetBytes("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
        + "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">rdf:Description rdf:about=\"\"</rdf:RDF></x:xmpmeta>");

    private static GpsReading Fetched(byte[] file)
    {
        var header = JpegMetadataExtent.ReadHeaderAsync((o, n, _) => Task.FromResult(file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray()),
            file.Length, [new(0, 16 * 1024)], 1 << 20, GpsExif, "photo.jpg", default).GetAwaiter().GetResult();
        return GpsReader.Read(header.Bytes, file.Length);
    }

    [Fact]
    public void Xmp_its_parser_cannot_read_costs_the_xmp_fields_not_the_exif_position()
    {
        var photo = WithApp1(new JpegBuilder { Make = "DJI", Gps = GpsEntries.Position(51.3, 12.3, 150) }.Build(), BrokenXmp);
        var r = GpsReader.Read(photo);
        Assert.Equal(GpsStatus.Ok, r.Status);
        Assert.Equal(51.3, r.Latitude!.Value, 9);
        Assert.Equal("DJI", r.Make);
        Assert.Null(r.RelativeAltitudeM);
        Assert.Equal(r, Fetched(photo));

        // Without EXIF the XMP was all there was: no position, and the reason says why.
        var xmpOnly = GpsReader.Read(WithApp1(new JpegBuilder { WithExif = false }.Build(), BrokenXmp));
        Assert.Equal(GpsStatus.NoGps, xmpOnly.Status);
        Assert.StartsWith("XMP unreadable: ", xmpOnly.Reason);
        Assert.DoesNotContain('\n', xmpOnly.Reason!);
    }

    [Fact]
    public void Other_app1_segments_and_a_second_xmp_are_left_out_of_the_fingerprint_as_a_header_fetch_leaves_them()
    {
        var dji = new DjiXmp { RelativeAltitude = 95.1, GimbalPitchDegree = -90 };
        var photo = new JpegBuilder { Make = "DJI", Gps = GpsEntries.Position(51.3, 12.3, 150), Xmp = dji }.Build();
        var flir = WithApp1(photo, [.. "FLIR\0"u8, 1, 0, 0, 0, .. Enumerable.Repeat((byte)7, 200)]);
        // A second XMP packet before the photo's own: the first is what the fetch keeps and the reader reads.
        var secondXmp = WithApp1(photo, Encoding.UTF8.GetBytes("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>"));
        foreach (var file in new[] { flir, secondXmp })
        {
            var whole = GpsReader.Read(file);
            Assert.NotNull(whole.HeaderHash);
            Assert.Equal(whole.HeaderHash, Fetched(file).HeaderHash);
            Assert.Equal(whole, Fetched(file));
        }
        // The fingerprint is the photo's, whatever else the file holds beside its EXIF and XMP.
        Assert.Equal(GpsReader.Read(photo).HeaderHash, GpsReader.Read(flir).HeaderHash);
    }
}
