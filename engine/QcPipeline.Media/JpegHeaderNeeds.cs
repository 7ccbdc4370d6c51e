using System.Text;

namespace QcPipeline.Media;

/// <summary>A kind of JPEG segment a reader may need: its marker and the signature its payload starts with.</summary>
public sealed record JpegSegmentKind(string Name, byte Marker, string Signature)
{
    /// <summary>APP1 Exif, whole (the embedded thumbnail included).</summary>
    public static readonly JpegSegmentKind Exif = new("APP1 Exif", 0xE1, "Exif\0\0");

    /// <summary>APP1 Exif for its tags: the embedded thumbnail (most of the segment) is left out, its bytes zero.</summary>
    public static readonly JpegSegmentKind ExifTags = new("APP1 Exif without its thumbnail", 0xE1, "Exif\0\0");
    /// <summary>APP1 XMP packet.</summary>
    public static readonly JpegSegmentKind Xmp = new("APP1 XMP", 0xE1, "http://ns.adobe.com/xap/1.0/\0");
    /// <summary>APP0 JFIF header.</summary>
    public static readonly JpegSegmentKind Jfif = new("APP0 JFIF", 0xE0, "JFIF\0");
    /// <summary>APP2 ICC colour profile.</summary>
    public static readonly JpegSegmentKind Icc = new("APP2 ICC", 0xE2, "ICC_PROFILE\0");
    /// <summary>APP13 Photoshop block holding IPTC.</summary>
    public static readonly JpegSegmentKind Iptc = new("APP13 IPTC", 0xED, "Photoshop 3.0\0");

    private readonly byte[] _signature = Encoding.ASCII.GetBytes(Signature);

    /// <summary>Payload bytes needed to tell this kind apart.</summary>
    public int SignatureLength => _signature.Length;

    /// <summary>A segment with this marker whose payload starts with this kind's signature.</summary>
    public bool Matches(byte marker, ReadOnlySpan<byte> payload) => marker == Marker && payload.StartsWith(_signature);

    /// <summary>The kind's name, for messages.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// What a reader needs of a JPEG's header: the segments it parses. A fetch that knows this reads those segments
/// and stops as soon as they are complete, skipping every other segment (thermal APP3..APP5, ICC, MPF) by offset
/// without reading it.
/// </summary>
public sealed class JpegHeaderNeeds
{
    private JpegHeaderNeeds(IReadOnlyList<JpegSegmentKind> segments) => Segments = segments;

    /// <summary>The segment kinds needed, each once.</summary>
    public IReadOnlyList<JpegSegmentKind> Segments { get; }

    /// <summary>What readers need together (whole Exif, if one needs it, covers Exif for its tags).</summary>
    public static JpegHeaderNeeds Of(params JpegSegmentKind[] segments) =>
        new([.. segments.Distinct().Where(s => s != JpegSegmentKind.ExifTags || !segments.Contains(JpegSegmentKind.Exif))]);

    /// <summary>What a set of consumers needs together: null (the whole header, up to the image data) unless every
    /// one of them declares its needs.</summary>
    public static JpegHeaderNeeds? Of(IEnumerable<object> consumers)
    {
        var readers = consumers.ToList();
        if (readers.Count == 0 || readers.Any(r => r is not IJpegHeaderReader)) return null;
        return Of([.. readers.Cast<IJpegHeaderReader>().SelectMany(r => r.HeaderNeeds.Segments)]);
    }

    /// <summary>Whether some needed kind uses this marker (only then is the segment's signature worth reading).</summary>
    public bool MayWant(byte marker) => Segments.Any(s => s.Marker == marker);

    /// <summary>The longest signature among the kinds with this marker.</summary>
    public int SignatureBytes(byte marker) => Segments.Where(s => s.Marker == marker).Select(s => s.SignatureLength).DefaultIfEmpty(0).Max();

    /// <summary>The needed kind a segment is (by marker and payload start), or null for one to skip.</summary>
    public JpegSegmentKind? Match(byte marker, ReadOnlySpan<byte> payload)
    {
        foreach (var s in Segments) if (s.Matches(marker, payload)) return s;
        return null;
    }

    /// <summary>The kinds, as "APP1 Exif + APP1 XMP", for messages.</summary>
    public override string ToString() => string.Join(" + ", Segments);
}

/// <summary>Implemented by a stage that reads JPEG headers: what it needs of them (the stages that fetch files
/// for it read just that).</summary>
public interface IJpegHeaderReader
{
    /// <summary>The segments the stage parses; a fetch for it reads just those.</summary>
    JpegHeaderNeeds HeaderNeeds { get; }
}
