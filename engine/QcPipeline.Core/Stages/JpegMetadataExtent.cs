namespace QcPipeline.Core.Stages;

/// <summary>
/// Walks a JPEG's segments from its start to find the bytes metadata parsing needs: everything before the
/// image data (SOS), except large segments that hold no metadata (a DJI thermal frame's 640 KiB APP3, a
/// FLIR or MPF preview), which are skipped rather than downloaded. The result is a header-only JPEG
/// (SOI + the kept segments + EOI) that metadata readers accept. Shared by every reader of file headers
/// (sftp.fetch over SFTP, files.read on local files).
/// </summary>
public static class JpegMetadataExtent
{
    /// <summary>Segments worth keeping: APP0 (JFIF), APP1 (EXIF, XMP), APP2 (ICC, MPF index), APP13 (IPTC),
    /// APP14, COM, and the frame/table segments that are small anyway.</summary>
    private static bool Keep(byte marker, int length) =>
        marker is 0xE0 or 0xE1 or 0xED or 0xEE or 0xFE || (marker == 0xE2 && length <= 64 * 1024) || (marker < 0xE0 && length <= 64 * 1024);

    /// <summary>One piece of the file to fetch: where it is and how long.</summary>
    public readonly record struct Range(long Offset, int Length);

    /// <summary>
    /// Given the bytes read so far from the start of the file, says what else is needed: null when the header
    /// is complete (or the file is not a JPEG), else the next range to read.
    /// </summary>
    public static Range? NextNeeded(ReadOnlySpan<byte> prefix, IReadOnlyDictionary<long, byte[]> extra, long fileSize, out bool isJpeg)
    {
        isJpeg = prefix.Length >= 2 && prefix[0] == 0xFF && prefix[1] == 0xD8;
        if (!isJpeg) return null;
        long pos = 2;
        while (true)
        {
            if (pos + 2 > fileSize) return null; // truncated file: what we have is all there is
            var headLength = (int)Math.Min(4, fileSize - pos);
            if (!TryRead(prefix, extra, pos, headLength, out var head)) return new Range(pos, headLength);
            if (head[0] != 0xFF) return null; // not a marker: corrupt, let the parser say so
            var marker = head[1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; } // no length
            if (marker is 0xDA or 0xD9) return null; // image data (or end): the header is complete
            if (headLength < 4) return null; // truncated inside a segment's length
            var length = (head[2] << 8) | head[3];
            if (length < 2) return null;
            if (Keep(marker, length))
            {
                // A segment cut short by the end of the file is needed only as far as the file goes.
                var available = (int)Math.Min(length + 2, fileSize - pos);
                if (!TryRead(prefix, extra, pos, available, out _)) return new Range(pos, available);
                if (available < length + 2) return null;
            }
            pos += 2 + length;
        }
    }

    /// <summary>Builds the header-only JPEG from what was read: SOI, the kept segments in order, EOI. A file that ends
    /// or breaks before its image data gets no EOI (and one cut inside a kept segment keeps the cut), so that
    /// parsers see it is truncated.</summary>
    public static byte[] Assemble(ReadOnlySpan<byte> prefix, IReadOnlyDictionary<long, byte[]> extra, long fileSize)
    {
        using var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        long pos = 2;
        var complete = false;
        while (pos + 2 <= fileSize && TryRead(prefix, extra, pos, (int)Math.Min(4, fileSize - pos), out var head))
        {
            // Not a marker where one belongs: keep what is there, so the parser reports a corrupt file, not a cut one.
            if (head[0] != 0xFF) { output.Write(head); break; }
            var marker = head[1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; }
            if (marker is 0xDA or 0xD9) { complete = true; break; }
            if (head.Length < 4) break;
            var length = (head[2] << 8) | head[3];
            if (length < 2) break;
            if (Keep(marker, length))
            {
                var available = (int)Math.Min(length + 2, fileSize - pos);
                if (!TryRead(prefix, extra, pos, available, out var segment)) break;
                output.Write(segment);
                // Truncated inside a segment: keep the file's own cut (no EOI), so the parser sees it is truncated.
                if (available < length + 2) return output.ToArray();
            }
            pos += 2 + length;
        }
        // The header ended at the image data: close it. Otherwise the file ended or broke before its image
        // data; leave it open, as the file is, so the parser reports it rather than seeing a tidy header.
        if (complete) output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>
    /// Reads a file's metadata header through <paramref name="readAt"/> (offset, count → the bytes there, fewer
    /// at the end of the file): <paramref name="firstBytes"/> in one read, then only the ranges still needed.
    /// A JPEG comes back as its header-only JPEG; anything else as its first bytes (<paramref name="whole"/> when
    /// they are the entire file), for the parser to judge.
    /// </summary>
    public static byte[] ReadHeader(Func<long, int, byte[]> readAt, long fileSize, int firstBytes, int maxBytes,
        string name, out bool isJpeg, out bool whole)
    {
        var first = readAt(0, (int)Math.Min(firstBytes, Math.Max(0, fileSize)));
        var extra = new Dictionary<long, byte[]>();
        long total = first.Length;
        while (NextNeeded(first, extra, fileSize, out isJpeg) is { } need)
        {
            total += need.Length;
            if (total > maxBytes)
                throw new InvalidDataException($"{name}: the JPEG header is longer than max_header_bytes ({maxBytes})");
            var got = readAt(need.Offset, need.Length);
            extra[need.Offset] = got;
            if (got.Length < need.Length) break; // the file is shorter than listed: what was read is all there is
        }
        whole = !isJpeg && first.Length >= fileSize;
        return isJpeg ? Assemble(first, extra, fileSize) : first;
    }

    // Bytes at [offset, offset+count) from the prefix or from one of the extra ranges read later.
    private static bool TryRead(ReadOnlySpan<byte> prefix, IReadOnlyDictionary<long, byte[]> extra, long offset, int count, out byte[] bytes)
    {
        if (offset + count <= prefix.Length)
        {
            bytes = prefix.Slice((int)offset, count).ToArray();
            return true;
        }
        foreach (var (start, data) in extra)
        {
            if (offset >= start && offset + count <= start + data.Length)
            {
                bytes = data.AsSpan((int)(offset - start), count).ToArray();
                return true;
            }
        }
        bytes = [];
        return false;
    }
}
