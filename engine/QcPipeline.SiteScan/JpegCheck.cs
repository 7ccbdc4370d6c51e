using System.Text;

namespace QcPipeline.SiteScan;

/// <summary>
/// Walks a JPEG's segments up to its image data to say, in one line, why bytes are not a readable JPEG (not a
/// JPEG at all, a corrupt marker, truncated) before a metadata parser is asked; MetadataExtractor would
/// otherwise often give up silently or with a message that names no place in the file.
/// </summary>
internal static class JpegCheck
{
    /// <summary>Null when the bytes are a JPEG whose segments are intact up to the image data (or a header-only
    /// JPEG, which ends with EOI there); else why not. With <paramref name="fileSize"/> larger than the bytes, they
    /// are a header extract (segments skipped, offsets not the file's): the reason then speaks of the file.</summary>
    public static string? Problem(ReadOnlySpan<byte> data, long? fileSize = null)
    {
        if (fileSize is { } size && size > data.Length && data.Length >= 2 && InExtract(data, size) is { } why) return why;
        if (data.Length == 0) return "empty file (0 bytes)";
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8) return "not a JPEG: " + WhatItIs(data);
        var pos = 2;
        while (true)
        {
            if (pos >= data.Length) return $"truncated: the file ends after {pos} bytes, before its image data";
            if (data[pos] != 0xFF) return $"corrupt JPEG: no segment marker at byte {pos} (found 0x{data[pos]:X2})";
            if (pos + 1 >= data.Length) return $"truncated: the file ends after {data.Length} bytes, inside a segment marker";
            var marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; } // markers without a length
            if (marker is 0xDA or 0xD9) return null; // image data (or end of a header-only JPEG)
            if (marker == 0x00) return $"corrupt JPEG: a stuffed byte (FF 00) where a segment marker belongs, at byte {pos}";
            if (pos + 4 > data.Length) return $"truncated: the file ends inside the length of its {SegmentName(marker)} segment at byte {pos}";
            var length = (data[pos + 2] << 8) | data[pos + 3];
            if (length < 2) return $"corrupt JPEG: the {SegmentName(marker)} segment at byte {pos} has length {length}";
            if (pos + 2 + length > data.Length)
                return $"truncated: the file ends inside its {SegmentName(marker)} segment at byte {pos} ({data.Length - pos - 4} of {length - 2} bytes present)";
            pos += 2 + length;
        }
    }

    // A header extract that stops before the image data: at bytes that are no marker (damaged, or a sparse file's
    // zeros), or where the file ends.
    private static string? InExtract(ReadOnlySpan<byte> data, long size)
    {
        var pos = 2;
        var last = "SOI";
        while (pos + 1 < data.Length && data[pos] == 0xFF)
        {
            var marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9 || pos + 4 > data.Length) return null;
            var length = (data[pos + 2] << 8) | data[pos + 3];
            if (length < 2 || pos + 2 + length > data.Length) return null; // cut inside a segment: the general check says so
            last = SegmentName(marker);
            pos += 2 + length;
        }
        var bytes = size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        if (pos >= data.Length) return $"truncated: the file ({bytes} bytes) ends after its {last} segment, before its image data";
        if (data[pos] != 0xFF)
            return $"corrupt JPEG: after its {last} segment comes 0x{data[pos]:X2}, not a segment marker; the file is {bytes} bytes, "
                   + "so it is damaged (or a sparse file's zeros), not cut short";
        return null;
    }

    /// <summary>The usual name of a segment marker (APP1, DQT, SOF0, …).</summary>
    public static string SegmentName(byte marker) => marker switch
    {
        >= 0xE0 and <= 0xEF => $"APP{marker - 0xE0}",
        0xFE => "COM",
        0xDB => "DQT",
        0xC4 => "DHT",
        0xDD => "DRI",
        0xCC => "DAC",
        >= 0xC0 and <= 0xCF => $"SOF{marker - 0xC0}",
        _ => $"0xFF{marker:X2}",
    };

    // A hint at what the file is instead, for the error line.
    private static string WhatItIs(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("\x89PNG"u8)) return "a PNG image";
        if (data.StartsWith("GIF8"u8)) return "a GIF image";
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8)) return "a TIFF (or raw) image";
        if (data.Length >= 12 && data[4..8].SequenceEqual("ftyp"u8)) return "an ISO media file (HEIC, MP4, …)";
        if (data.StartsWith("RIFF"u8)) return "a RIFF file (WebP, AVI, …)";
        if (data.StartsWith("%PDF"u8)) return "a PDF document";
        var sample = data[..Math.Min(data.Length, 256)];
        var text = true;
        foreach (var b in sample)
            if (b < 0x09 || (b is > 0x0D and < 0x20) || b == 0x7F) { text = false; break; }
        if (text && Encoding.UTF8.GetCharCount(sample) > 0) return "the file holds text";
        return $"it starts with {Convert.ToHexString(data[..Math.Min(data.Length, 4)])}";
    }
}
