using System.Buffers.Binary;

namespace QcPipeline.Vision;

/// <summary>
/// Walks a PNG's chunks before libpng sees them. libpng prints its warnings ("iCCP: too short", "tEXt: CRC
/// error") straight to stderr, outside any error channel we can read, and all of them come from ancillary chunks
/// (colour profiles, text, times) that inspection never uses: those are dropped. A file without IEND was cut short
/// (a half-written upload) and is refused with that reason.
/// </summary>
internal static class PngChunks
{
    /// <summary>Null when the PNG can be decoded as it is; otherwise its critical chunks alone (plus tRNS,
    /// which changes pixels), or null with <paramref name="problem"/> set when its chunks do not add up.</summary>
    public static byte[]? WithoutAncillary(ReadOnlySpan<byte> png, out string? problem)
    {
        problem = null;
        var keep = new List<(int Start, int Length)>();
        var drop = false;
        var pos = 8;
        while (true)
        {
            if (pos + 12 > png.Length) { problem = "truncated PNG: it ends before its IEND chunk"; return null; }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            if (length > int.MaxValue - 12 || pos + 12 + (long)length > png.Length)
            {
                problem = $"truncated PNG: its {System.Text.Encoding.ASCII.GetString(type)} chunk runs past the end of the file";
                return null;
            }
            var total = 12 + (int)length;
            var ancillary = (type[0] & 0x20) != 0 && !type.SequenceEqual("tRNS"u8);
            if (ancillary) drop = true;
            else keep.Add((pos, total));
            pos += total;
            if (type.SequenceEqual("IEND"u8)) break;
        }
        if (!drop) return null;
        var clean = new byte[8 + keep.Sum(k => k.Length)];
        png[..8].CopyTo(clean);
        var at = 8;
        foreach (var (start, len) in keep) { png.Slice(start, len).CopyTo(clean.AsSpan(at)); at += len; }
        return clean;
    }
}
