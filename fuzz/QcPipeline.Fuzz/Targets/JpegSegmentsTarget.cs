using QcPipeline.Media;
using Range = QcPipeline.Media.JpegMetadataExtent.Range;

namespace QcPipeline.Fuzz.Targets;

/// <summary>
/// A file's bytes through the JPEG segment walker and header assembly, read the way sftp.fetch and files.read read
/// a header for gps.exif (its declaration: APP1 Exif without the thumbnail, and XMP), through a read callback that
/// checks every request. It may only end in its own one-line error (the header is longer than max_header_bytes);
/// a read out of range, a request that never ends the walk, more asked than the limit allows, another exception,
/// or a header that depends on how the reads were cut is a finding.
/// </summary>
public sealed class JpegSegmentsTarget : FuzzTarget
{
    private const string File = "site/F001/DJI_0001.JPG";
    private const int MaxRequests = 10_000;
    private static readonly JpegHeaderNeeds GpsExif = JpegHeaderNeeds.Of(JpegSegmentKind.ExifTags, JpegSegmentKind.Xmp);

    /// <inheritdoc/>
    public override string Name => "jpeg-segments";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Instrumented => ["QcPipeline.Media.dll"];

    /// <inheritdoc/>
    public override void Run(byte[] input)
    {
        // sftp.fetch's first read (16 KiB), then one a byte range at a time from a tiny first read, and the first
        // round a learned size class asks for (two ranges at once): a header-only JPEG must not depend on how it was read.
        var whole = Read("16 KiB first", input, input.Length, [new(0, 16 * 1024)], 2 * 1024 * 1024, GpsExif);
        var piecemeal = Read("64 B first", input, input.Length, [new(0, 64)], 2 * 1024 * 1024, GpsExif);
        var learned = Read("two first reads", input, input.Length, [new(0, 1024), new(2048, 4096)], 2 * 1024 * 1024, GpsExif);
        Same(whole, piecemeal, "a 64-byte first read");
        Same(whole, learned, "two first reads");
        // Every metadata segment (no declaration); a tight max_header_bytes; a file listed longer than it is.
        Read("no declaration", input, input.Length, [new(0, 4096)], 2 * 1024 * 1024, null);
        Read("max_header_bytes 4096", input, input.Length, [new(0, 64)], 4096, GpsExif);
        Read("listed 1000 B longer", input, input.Length + 1000L, [new(0, 512)], 2 * 1024 * 1024, GpsExif);
    }

    private static HeaderRead? Read(string how, byte[] file, long listed, IReadOnlyList<Range> first, int maxBytes, JpegHeaderNeeds? needs)
    {
        var requests = 0;
        long asked = 0, seen = 0;
        var cut = false; // a read came back short: the file is shorter than listed
        Task<byte[]> ReadAt(long offset, int count, CancellationToken _)
        {
            if (++requests > MaxRequests) throw new FuzzFinding($"{how}: more than {MaxRequests} reads: the walk does not end");
            if (offset < 0 || count < 0 || offset + count > listed)
                throw new FuzzFinding($"{how}: read of {count} bytes at {offset} outside the {listed}-byte file");
            asked += count;
            if (asked > first.Sum(r => (long)r.Length) + maxBytes)
                throw new FuzzFinding($"{how}: {asked} bytes asked for in all, past max_header_bytes ({maxBytes}) and the first reads");
            var end = (int)Math.Min(file.Length, offset + count);
            cut |= end < offset + count;
            seen = Math.Max(seen, end);
            return Task.FromResult(offset >= end ? [] : file[(int)offset..end]);
        }
        HeaderRead header;
        try { header = JpegMetadataExtent.ReadHeaderAsync(ReadAt, listed, first, maxBytes, needs, File, default).GetAwaiter().GetResult(); }
        catch (InvalidDataException e) when (e.Message.StartsWith(File + ": ", StringComparison.Ordinal) && !e.Message.Contains('\n'))
        {
            return null;
        }
        var isJpeg = file.Length >= 2 && file[0] == 0xFF && file[1] == 0xD8;
        if (header.IsJpeg != isJpeg)
            throw new FuzzFinding($"{how}: read as {(header.IsJpeg ? "a JPEG" : "not a JPEG")}, but it starts {Convert.ToHexString(file.AsSpan(0, Math.Min(2, file.Length)))}");
        // A header-only JPEG stands for no more of the file than is known to exist: the listed size (bytes never read,
        // a thumbnail left out, are taken on the listing's word) until a read comes back short, then the bytes seen.
        var known = cut ? seen : listed;
        if (header.IsJpeg && (header.Bytes.Length < 2 || header.Bytes[0] != 0xFF || header.Bytes[1] != 0xD8 || header.Bytes.Length > known + 2))
            throw new FuzzFinding($"{how}: a header-only JPEG of {header.Bytes.Length} bytes from a file known to hold {known} (listed {listed})");
        if (!header.IsJpeg && !file.AsSpan().StartsWith(header.Bytes))
            throw new FuzzFinding($"{how}: the first bytes of a file that is not a JPEG are not the file's");
        if (header.Requests != requests) throw new FuzzFinding($"{how}: {header.Requests} reads reported, {requests} made");
        return header;
    }

    private static void Same(HeaderRead? a, HeaderRead? b, string how)
    {
        if (a is null || b is null || !a.IsJpeg) return; // a file that is not a JPEG comes back as its first read, whatever its size
        if (!a.Bytes.AsSpan().SequenceEqual(b.Bytes))
            throw new FuzzFinding($"with {how} the header differs ({b.Bytes.Length} bytes, not {a.Bytes.Length})");
    }
}
