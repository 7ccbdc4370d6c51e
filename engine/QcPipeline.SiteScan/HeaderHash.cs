using System.IO.Hashing;

namespace QcPipeline.SiteScan;

/// <summary>
/// A fingerprint of one capture: XxHash3 over a JPEG's APP1 segments (EXIF, with its capture time and usually a
/// thumbnail, and XMP). Only those are hashed, so a header fetch and a whole-file read of the same photo agree,
/// whatever other segments each happened to read.
/// </summary>
public static class HeaderHash
{
    /// <summary>The hash, or null when the bytes hold no APP1 segment.</summary>
    public static ulong? Of(ReadOnlySpan<byte> jpeg)
    {
        var hash = new XxHash3();
        var any = false;
        var pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            var marker = jpeg[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9) break;
            var length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (length < 2) break;
            if (marker == 0xE1)
            {
                hash.Append(jpeg.Slice(pos + 4, Math.Min(length - 2, jpeg.Length - pos - 4)));
                any = true;
            }
            pos += 2 + length;
        }
        return any ? hash.GetCurrentHashAsUInt64() : null;
    }
}
