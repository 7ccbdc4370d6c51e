namespace QcPipeline.Media;

/// <summary>What reading a header cost and found.</summary>
/// <param name="Bytes">A header-only JPEG (SOI, the kept segments, EOI when complete); for anything else, its first bytes.</param>
/// <param name="IsJpeg">The file starts as a JPEG (so <paramref name="Bytes"/> is its header-only JPEG).</param>
/// <param name="IsWhole"><paramref name="Bytes"/> is the entire file (never for a JPEG, whose image data is left out).</param>
/// <param name="Extent">How far into the file the walk needed bytes (to size the next file's first read).</param>
/// <param name="Requests">Reads made (the first one included).</param>
/// <param name="BytesRead">Bytes asked for in all.</param>
/// <param name="Touched">The byte ranges the walk used (to ask for just those, at once, in the next file of the same camera).</param>
public sealed record HeaderRead(byte[] Bytes, bool IsJpeg, bool IsWhole, long Extent, int Requests, long BytesRead,
    IReadOnlyList<JpegMetadataExtent.Range> Touched);

/// <summary>
/// Walks a JPEG's segments from its start to find the bytes metadata parsing needs, and builds a header-only JPEG
/// (SOI + the kept segments + EOI) that metadata readers accept. With a reader's <see cref="JpegHeaderNeeds"/>
/// it keeps just those segments and stops as soon as they are complete (for EXIF + XMP that is after ~25 KB of a
/// DJI thermal frame whose 640 KiB of raw data comes next); every other segment is skipped by offset, unread.
/// Without, it keeps every metadata segment up to the image data (SOS) and skips only large segments that hold
/// none (a thermal APP3, an MPF preview). Shared by every reader of file headers (sftp.fetch, files.read).
/// </summary>
public static class JpegMetadataExtent
{
    /// <summary>Bytes asked for to see a segment's marker, length and signature.</summary>
    private const int HeadProbe = 64;

    /// <summary>Reads one header may take. A camera's header takes a few, at most a few dozen walked to its image data
    /// (a DJI thermal frame, past its raw data in eleven APP3 segments: 27; a FLIR frame's photo in 64 KB APP1 pieces
    /// would be some 80); a file of thousands of tiny segments would take one every few segments, each a round trip
    /// over SFTP, until max_header_bytes (32,000 of them).</summary>
    private const int MaxReads = 256;

    /// <summary>Segments worth keeping when nobody said what they need: APP0 (JFIF), APP1 (EXIF, XMP), APP2 (ICC,
    /// MPF index), APP13 (IPTC), APP14, COM, and the frame/table segments that are small anyway.</summary>
    private static bool Keep(byte marker, int length) =>
        marker is 0xE0 or 0xE1 or 0xED or 0xEE or 0xFE || (marker == 0xE2 && length <= 64 * 1024) || (marker < 0xE0 && length <= 64 * 1024);

    /// <summary>One piece of the file to fetch: where it is and how long (at least).</summary>
    public readonly record struct Range(long Offset, int Length);

    private readonly record struct Step(Range? Need, bool IsJpeg, bool Complete, long Extent);

    // A segment kept in the header-only JPEG; the hole (a thumbnail nobody needs) is written as zeros.
    private readonly record struct Kept(long Offset, int Length, long HoleStart = 0, int HoleLength = 0);

    /// <summary>What else is needed, given what was read: null when the header is complete (or the file is not a JPEG).</summary>
    public static Range? NextNeeded(SparseBytes read, long fileSize, JpegHeaderNeeds? needs, out bool isJpeg)
    {
        var step = Walk(read, fileSize, needs, null, null);
        isJpeg = step.IsJpeg;
        return step.Need;
    }

    /// <summary>Builds the header-only JPEG from what was read: SOI, the kept segments in order, EOI. A file that ends
    /// or breaks before its image data (and before what was needed) gets no EOI, and one cut inside a kept segment
    /// keeps the cut, so that parsers see it is truncated.</summary>
    public static byte[] Assemble(SparseBytes read, long fileSize, JpegHeaderNeeds? needs)
    {
        var kept = new List<Kept>();
        var step = Walk(read, fileSize, needs, kept, null);
        using var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        foreach (var k in kept)
        {
            var before = (int)(k.HoleLength > 0 ? k.HoleStart - k.Offset : k.Length);
            var holeEnd = k.HoleStart + k.HoleLength;
            if (!read.TryGet(k.Offset, before, out var head)) continue;
            output.Write(head);
            if (k.HoleLength == 0) continue;
            output.Write(new byte[k.HoleLength]);
            if (read.TryGet(holeEnd, (int)(k.Offset + k.Length - holeEnd), out var tail)) output.Write(tail);
        }
        if (step.Complete) output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>
    /// Reads a file's metadata header through <paramref name="readAt"/> (offset, count → the bytes there, fewer at
    /// the end of the file; more are welcome): <paramref name="firstBytes"/> in one read, then only the ranges still
    /// needed. A JPEG comes back as its header-only JPEG; anything else as its first bytes (<paramref name="whole"/>
    /// when they are the entire file), for the parser to judge.
    /// </summary>
    public static byte[] ReadHeader(Func<long, int, byte[]> readAt, long fileSize, int firstBytes, int maxBytes,
        string name, out bool isJpeg, out bool whole)
    {
        var result = ReadHeaderAsync((o, n, _) => Task.FromResult(readAt(o, n)), fileSize, [new Range(0, firstBytes)], maxBytes, null, name, default)
            .GetAwaiter().GetResult();
        (isJpeg, whole) = (result.IsJpeg, result.IsWhole);
        return result.Bytes;
    }

    /// <summary>As <see cref="ReadHeader"/>, for a reader that needs only <paramref name="needs"/> (null: the whole header).</summary>
    public static Task<HeaderRead> ReadHeaderAsync(Func<long, int, CancellationToken, Task<byte[]>> readAt, long fileSize,
        int firstBytes, int maxBytes, JpegHeaderNeeds? needs, string name, CancellationToken ct) =>
        ReadHeaderAsync(readAt, fileSize, [new Range(0, firstBytes)], maxBytes, needs, name, ct);

    /// <summary>As above, with several first reads asked for at once (the ranges a file like it needed; the first
    /// at offset 0); then only the ranges still needed, one after another.</summary>
    public static async Task<HeaderRead> ReadHeaderAsync(Func<long, int, CancellationToken, Task<byte[]>> readAt, long fileSize,
        IReadOnlyList<Range> firstReads, int maxBytes, JpegHeaderNeeds? needs, string name, CancellationToken ct)
    {
        var read = new SparseBytes();
        var size = Math.Max(0, fileSize);
        var ranges = firstReads.Where(r => r.Offset < size || r.Offset == 0)
            .Select(r => new Range(r.Offset, (int)Math.Min(r.Length, size - r.Offset))).ToList();
        var got = await Task.WhenAll(ranges.Select(r => readAt(r.Offset, r.Length, ct))).ConfigureAwait(false);
        for (var i = 0; i < ranges.Count; i++) read.Add(ranges[i].Offset, got[i]);
        for (var i = 0; i < ranges.Count; i++)
            if (got[i].Length < ranges[i].Length) fileSize = EndAfterShortRead(read, fileSize, ranges[i].Offset, got[i].Length);
        var first = got.Length > 0 && ranges[0].Offset == 0 ? got[0] : [];
        long asked = ranges.Sum(r => (long)r.Length);
        var requests = ranges.Count;
        Step step;
        while ((step = Walk(read, fileSize, needs, null, null)).Need is { } need)
        {
            asked += need.Length;
            if (asked > maxBytes)
                throw new InvalidDataException($"{name}: the JPEG header is longer than max_header_bytes ({maxBytes})");
            if (requests >= MaxReads)
                throw new InvalidDataException($"{name}: the JPEG header takes more than {MaxReads} reads (a camera's takes a few): too many segments before its metadata ends");
            var more = await readAt(need.Offset, need.Length, ct).ConfigureAwait(false);
            requests++;
            read.Add(need.Offset, more);
            if (more.Length < need.Length) fileSize = EndAfterShortRead(read, fileSize, need.Offset, more.Length); // shorter than listed
        }
        if (!step.IsJpeg) return new HeaderRead(first, false, first.Length >= fileSize, first.Length, requests, asked, [new Range(0, first.Length)]);
        var touched = new List<Range>();
        Walk(read, fileSize, needs, null, touched);
        return new HeaderRead(Assemble(read, fileSize, needs), true, false, step.Extent, requests, asked, touched);
    }

    /// <summary>Where a file ends, given a read at <paramref name="offset"/> that brought fewer bytes than asked: where its
    /// bytes end; when it brought none, where the bytes read so far end (the file may end anywhere before the offset, and
    /// a header must not stand for bytes it never saw: a thumbnail left out of one ending past the file's real end).</summary>
    private static long EndAfterShortRead(SparseBytes read, long fileSize, long offset, int got) =>
        Math.Min(fileSize, got > 0 ? offset + got : Math.Min(offset, read.End));

    // One walk over the segments: the next range to read, or the verdict; with kept != null, the segments to keep.
    // With touched != null, the ranges it used.
    private static Step Walk(SparseBytes read, long fileSize, JpegHeaderNeeds? needs, List<Kept>? kept, List<Range>? touched)
    {
        if (!read.TryGet(0, (int)Math.Min(2, fileSize), out var soi) || soi.Length < 2 || soi[0] != 0xFF || soi[1] != 0xD8)
            return new Step(null, false, false, 2);
        touched?.Add(new Range(0, 2));
        var missing = needs?.Segments.ToHashSet();
        long pos = 2, extent = 2;
        Step Need(long from, long to) => new(new Range(read.CoveredEnd(from), (int)(Math.Min(to, fileSize) - read.CoveredEnd(from))), true, false, extent);
        Step Done(bool complete) => new(null, true, complete, extent);
        while (true)
        {
            if (missing is { Count: 0 }) return Done(true); // everything the reader needs is here
            if (pos + 2 > fileSize) return Done(false); // truncated: what we have is all there is
            var headLength = (int)Math.Min(4, fileSize - pos);
            if (!read.TryGet(pos, headLength, out var head)) return Need(pos, pos + HeadProbe);
            touched?.Add(new Range(pos, headLength));
            extent = Math.Max(extent, pos + headLength);
            // Not a marker where one belongs: keep what is there, so the parser reports a corrupt file, not a cut one.
            if (head[0] != 0xFF) { kept?.Add(new Kept(pos, headLength)); return Done(false); }
            var marker = head[1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            if (marker is 0xD8 or >= 0xD0 and <= 0xD7 or 0x01) { pos += 2; continue; } // no length
            if (marker is 0xDA or 0xD9) return Done(true); // image data (or end): the header is complete
            if (headLength < 4) return Done(false); // truncated inside a segment's length
            var length = (head[2] << 8) | head[3];
            if (length < 2) return Done(false);
            // A segment cut short by the end of the file is needed only as far as the file goes.
            var available = (int)Math.Min(length + 2, fileSize - pos);
            JpegSegmentKind? kind = null;
            bool keep;
            if (needs is null) keep = Keep(marker, length);
            else if (!needs.MayWant(marker)) keep = false;
            else
            {
                var signature = Math.Min(needs.SignatureBytes(marker), available - 4);
                if (!read.TryGet(pos + 4, signature, out var payload)) return Need(pos, pos + 4 + Math.Max(signature, HeadProbe));
                touched?.Add(new Range(pos + 4, signature));
                extent = Math.Max(extent, pos + 4 + signature);
                kind = needs.Match(marker, payload);
                keep = kind is not null && missing!.Contains(kind);
            }
            if (keep)
            {
                // Exif for its tags: its thumbnail is found from the IFDs and left out (zeros in the header-only JPEG).
                (long Start, int Length)? hole = null;
                if (kind == JpegSegmentKind.ExifTags && available > 10)
                {
                    hole = ExifThumbnail.Find(read, pos + 10, available - 10, touched, out var ifds);
                    if (ifds is { } r) return Need(r.Offset, Math.Min(pos + available, r.Offset + Math.Max(r.Length, 2 * HeadProbe)));
                }
                var (holeStart, holeEnd) = hole is { } h ? (h.Start, h.Start + h.Length) : (pos + available, pos + available);
                if (!read.Covers(pos, (int)(holeStart - pos))) return Need(pos, holeStart);
                if (!read.Covers(holeEnd, (int)(pos + available - holeEnd))) return Need(holeEnd, pos + available);
                touched?.Add(new Range(pos, (int)(holeStart - pos)));
                if (holeEnd < pos + available) touched?.Add(new Range(holeEnd, (int)(pos + available - holeEnd)));
                extent = Math.Max(extent, pos + available);
                kept?.Add(new Kept(pos, available, holeStart, (int)(holeEnd - holeStart)));
                if (available < length + 2) return Done(false); // cut inside a kept segment: keep the file's own cut
                if (kind is not null) missing!.Remove(kind);
            }
            pos += 2 + length;
        }
    }
}
