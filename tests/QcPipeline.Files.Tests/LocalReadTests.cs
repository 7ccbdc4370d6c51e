using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Media;
using Xunit;

namespace QcPipeline.Files.Tests;

/// <summary>files.read, and the shared JPEG header walk it uses (JpegMetadataExtent), on JPEG-shaped files built here.</summary>
public sealed class LocalReadTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"qc-files-read-{Guid.NewGuid():N}");

    public LocalReadTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Segment(byte marker, int payload, byte fill) => JpegBytes.Segment(marker, payload, fill);

    // SOI, APP1 (metadata), a 200 KB APP3 (thermal data: not metadata), DQT, SOS, 1 MB of "image data", EOI.
    private static byte[] Jpeg() =>
    [
        0xFF, 0xD8, .. Segment(0xE1, 3000, 0x11), .. Segment(0xE3, 60000, 0x33), .. Segment(0xE3, 60000, 0x33),
        .. Segment(0xDB, 67, 0x44), .. Segment(0xDA, 10, 0x55), .. Enumerable.Repeat((byte)0x66, 1 << 20), 0xFF, 0xD9,
    ];

    private static byte[] Read(byte[] file, int first) =>
        JpegMetadataExtent.ReadHeader((o, n) => file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray(),
            file.Length, first, 1 << 20, "test", out _, out _);

    [Fact]
    public void Header_keeps_metadata_segments_and_skips_large_data_and_the_image()
    {
        var header = Read(Jpeg(), 512);
        byte[] expected = [0xFF, 0xD8, .. Segment(0xE1, 3000, 0x11), .. Segment(0xDB, 67, 0x44), 0xFF, 0xD9];
        Assert.Equal(expected, header);
    }

    [Fact]
    public void A_file_cut_inside_a_kept_segment_keeps_its_cut_and_gets_no_end_marker()
    {
        var file = Jpeg()[..1500];
        var header = Read(file, 512);
        Assert.Equal(file, header); // SOI + the first 1,498 bytes of APP1, as the file has them
        var cutAfterSegments = Jpeg()[..(2 + 3004)];
        Assert.Equal(cutAfterSegments, Read(cutAfterSegments, 512)); // ends before the image data: no EOI added
    }

    [Fact]
    public void Not_a_jpeg_comes_back_as_its_first_bytes()
    {
        var text = "just some notes\n"u8.ToArray();
        var bytes = JpegMetadataExtent.ReadHeader((o, n) => text.AsSpan((int)o, (int)Math.Min(n, text.Length - o)).ToArray(),
            text.Length, 4096, 1 << 20, "notes.jpg", out var isJpeg, out var whole);
        Assert.False(isJpeg);
        Assert.True(whole);
        Assert.Equal(text, bytes);
    }

    [Fact]
    public void A_corrupt_length_cannot_make_it_read_past_the_limit()
    {
        // APP1 segments of 65 KB each, one after another: more header than max_header_bytes allows.
        byte[] file = [0xFF, 0xD8, .. Enumerable.Range(0, 40).SelectMany(_ => Segment(0xE1, 65000, 0x11))];
        var e = Assert.Throws<InvalidDataException>(() =>
            JpegMetadataExtent.ReadHeader((o, n) => file.AsSpan((int)o, (int)Math.Min(n, file.Length - o)).ToArray(),
                file.Length, 4096, 1 << 20, "big.jpg", out _, out _));
        Assert.Contains("max_header_bytes", e.Message);
    }

    private async Task<(RunResult Result, List<FileContent> Items)> RunAsync(string mode)
    {
        var into = Guid.NewGuid().ToString("N");
        var job = Path.Combine(_dir, "job.yaml");
        File.WriteAllText(job, $"""
            job: read-test
            stages:
              list:
                type: files.list
                root: files
              read:
                type: files.read
                mode: {mode}
                header_bytes: 1024
              keep:
                type: test.collect
                into: {into}
            """);
        var registry = new StageRegistry().AddFiles().AddCollect<FileContent>();
        var graph = TestRun.CompileFile(registry, job, _ => null);
        var result = await new PipelineRunner(graph, Path.Combine(_dir, "out-" + mode), cacheDisabled: true).RunGuardedAsync();
        return (result, CollectSink<FileContent>.Values(into).OrderBy(i => i.Name, StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task Header_mode_reads_only_what_the_next_stage_declares_it_needs()
    {
        var files = Path.Combine(_dir, "files");
        Directory.CreateDirectory(files);
        byte[] exif = [.. "Exif\0\0"u8, .. Enumerable.Repeat((byte)0x11, 5000)];
        byte[] xmp = [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Enumerable.Repeat((byte)0x22, 3000)];
        static byte[] Seg(byte marker, byte[] payload) => JpegBytes.Segment(marker, payload);
        byte[] jpeg = [0xFF, 0xD8, .. Seg(0xE1, exif), .. Seg(0xE1, xmp), .. Seg(0xE2, [.. "ICC_PROFILE\0"u8, .. new byte[3000]]),
            .. Seg(0xE3, new byte[60000]), .. Seg(0xDB, new byte[65]), .. Seg(0xDA, new byte[10]), .. new byte[100_000], 0xFF, 0xD9];
        File.WriteAllBytes(Path.Combine(files, "t.jpg"), jpeg);
        File.WriteAllText(Path.Combine(_dir, "job.yaml"), """
            job: read-needs
            stages:
              list: { type: files.list, root: files }
              read: { type: files.read, header_bytes: 4096 }
              gps: { type: test.exif-reader }
            """);
        var registry = new StageRegistry().AddFiles().Sink<ExifReaderStage, FileContent, NoOptions>();
        var graph = TestRun.CompileFile(registry, Path.Combine(_dir, "job.yaml"), _ => null);
        ExifReaderStage.Items.Clear();
        var result = await new PipelineRunner(graph, Path.Combine(_dir, "out-needs"), cacheDisabled: true).RunGuardedAsync();
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal([0xFF, 0xD8, .. Seg(0xE1, exif), .. Seg(0xE1, xmp), 0xFF, 0xD9], Assert.Single(ExifReaderStage.Items).Bytes.ToArray());
        Assert.InRange(result.Stages.Single(s => s.Name == "read").Bytes, 8000, 8100 + 4096); // EXIF + XMP and no more than the first read
    }

    [Fact]
    public async Task Header_mode_gives_header_bytes_and_full_mode_the_path()
    {
        var files = Path.Combine(_dir, "files", "DJI_001");
        Directory.CreateDirectory(files);
        var jpeg = Jpeg();
        File.WriteAllBytes(Path.Combine(files, "a.jpg"), jpeg);
        File.WriteAllBytes(Path.Combine(files, "notes.txt"), "hello"u8.ToArray());

        var (header, items) = await RunAsync("header");
        Assert.Equal(RunOutcome.Succeeded, header.Outcome);
        Assert.Equal(2, items.Count);
        Assert.Equal(Read(jpeg, 1024), items[0].Bytes.ToArray());
        Assert.False(items[0].IsWhole);
        Assert.Equal(("DJI_001", "a.jpg", jpeg.LongLength), (items[0].Folder, items[0].Name, items[0].Size));
        Assert.Equal("hello"u8.ToArray(), items[1].Bytes.ToArray());
        Assert.True(items[1].IsWhole);
        // Only the header was read: far less than the file.
        Assert.InRange(header.Stages.Single(s => s.Name == "read").Bytes, 3000, 20_000);

        var (full, fullItems) = await RunAsync("full");
        Assert.Equal(RunOutcome.Succeeded, full.Outcome);
        Assert.All(fullItems, i => Assert.True(i.IsWhole && i.Bytes.IsEmpty && File.Exists(i.LocalPath)));
    }
}

/// <summary>A sink that keeps what reaches it and reads only EXIF and XMP of a JPEG, as gps.exif does.</summary>
[Stage("test.exif-reader", "keeps items for a test; declares it needs EXIF + XMP")]
public sealed class ExifReaderStage : SinkStage<FileContent, NoOptions>, IJpegHeaderReader
{
    public static readonly List<FileContent> Items = [];

    public JpegHeaderNeeds HeaderNeeds { get; } = JpegHeaderNeeds.Of(JpegSegmentKind.Exif, JpegSegmentKind.Xmp);

    public override ValueTask ConsumeAsync(Outcome<FileContent> item, ItemContext context)
    {
        if (item.Value is { } v) lock (Items) Items.Add(v);
        return ValueTask.CompletedTask;
    }
}
