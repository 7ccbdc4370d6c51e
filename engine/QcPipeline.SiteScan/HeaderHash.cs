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
        var pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            var marker = jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9) break;
            var length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (length < 2) break;
            var payload = marker == 0xE1 ? jpeg.Slice(pos + 4, Math.Min(length - 2, jpeg.Length - pos - 4)) : default;
            var kind = marker == 0xE1 && JpegSegmentKind.Exif.Matches(marker, payload) ? JpegSegmentKind.Exif
                : marker == 0xE1 && JpegSegmentKind.Xmp.Matches(marker, payload) ? JpegSegmentKind.Xmp : null;
            if (kind is not null && (kind == JpegSegmentKind.Exif ? !exifSeen : !xmpSeen))
            {
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
            pos += 2 + length;
        }
        return any ? hash.GetCurrentHashAsUInt64() : null;
    }
}
