using System.IO.Hashing;
using QcPipeline.Media;

namespace QcPipeline.SiteScan;

/// <summary>
/// A fingerprint of one capture: XxHash3 over a JPEG's first APP1 EXIF segment (with its capture time and settings)
/// and first APP1 XMP segment, the EXIF thumbnail's bytes counted as zeros. Only those are hashed, the segments a
/// header fetch keeps (other APP1 segments, FLIR's or a second XMP, it skips), and the thumbnail never, so a header
/// fetch (which leaves the thumbnail out, zeros in its place) and a whole-file read of the same photo agree, whatever
/// other segments each happened to read.
/// </summary>
public static class HeaderHash
{
    private static readonly byte[] Zeros = new byte[1024];

    /// <summary>The hash, or null when the bytes hold no APP1 segment. <paramref name="thumbnail"/>: where the EXIF
    /// thumbnail is, as an offset from the start of the TIFF data and a length.</summary>
    public static ulong? Of(ReadOnlySpan<byte> jpeg, (int Offset, int Length)? thumbnail = null)
    {
        var hash = new XxHash3();
        ReadOnlySpan<byte> zeros = Zeros;
        var (any, exifSeen, xmpSeen) = (false, false, false);
        foreach (var segment in JpegSegments.Of(jpeg))
        {
            var payload = segment.Payload;
            var kind = JpegSegmentKind.Exif.Matches(segment.Marker, payload) ? JpegSegmentKind.Exif
                : JpegSegmentKind.Xmp.Matches(segment.Marker, payload) ? JpegSegmentKind.Xmp : null;
            if (kind is null || (kind == JpegSegmentKind.Exif ? exifSeen : xmpSeen)) continue;
            if (kind == JpegSegmentKind.Exif) exifSeen = true;
            else xmpSeen = true;
            // "Exif\0\0" then the TIFF data, in which the thumbnail lies.
            if (thumbnail is { } t && payload.StartsWith("Exif\0\0"u8) && t.Offset >= 0 && t.Length > 0 && 6L + t.Offset + t.Length <= payload.Length)
            {
                hash.Append(payload[..(6 + t.Offset)]);
                for (var left = t.Length; left > 0; left -= zeros.Length) hash.Append(zeros[..Math.Min(left, zeros.Length)]);
                hash.Append(payload[(6 + t.Offset + t.Length)..]);
            }
            else hash.Append(payload);
            any = true;
        }
        return any ? hash.GetCurrentHashAsUInt64() : null;
    }
}
