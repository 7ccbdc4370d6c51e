using System.Diagnostics;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;

namespace QcPipeline.Inspection;

/// <summary>Options of image.load: how to decode and the largest image accepted.</summary>
public sealed class ImageLoadOptions
{
    /// <summary>Decode as 3-channel colour or 1-channel grey (cheaper; enough for binarised boards and most checks).</summary>
    [Option("Decode as 3-channel colour or 1-channel grey (cheaper; enough for binarised boards and most checks).", Allowed = ["color", "grayscale"])]
    public string Mode { get; init; } = "color";

    /// <summary>Refuse images larger than this many megapixels, read from the header before decoding (a decompression bomb of 30000x30000 px is 900).</summary>
    [Option("Refuse images larger than this many megapixels, read from the header before decoding (a decompression bomb of 30000x30000 px is 900).", Min = 0.000001, Max = 10000)]
    public double MaxMegapixels { get; init; } = DecodeLimits.DefaultMaxPixels / 1e6;

    /// <summary><see cref="Mode"/> as the decoder's read mode.</summary>
    public ImageReadMode ReadMode => Mode == "grayscale" ? ImageReadMode.Grayscale : ImageReadMode.Color;
}

/// <summary>Decodes an image (a local file, or a whole fetched file) once; its ROIs share the pixels. The header is
/// read first: an image over the pixel limit, or of another size than its golden, is refused before decoding. An
/// undecodable, refused or vanished image is not a failure here: its ROIs all end as errors with the reason, and
/// its error verdict counts against the job's error_budget.</summary>
[Stage("image.load", "Decodes an image file (JPEG, PNG, BMP, GIF, WebP, TIFF, PNM) with OpenCV after reading its size from the header (refused over max_megapixels or when another size than its golden); an image with its own reference (deeppcb.pairs) gets it decoded too. An undecodable image makes every ROI an error.")]
public sealed class ImageLoadStage : TransformStage<FileItem, LoadedImage, ImageLoadOptions>
{
    private GoldenSize _expected = new();

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken ct) =>
        _expected = await Context.Services.GetOrCreateAsync(nameof(GoldenSize), _ => Task.FromResult(new GoldenSize()), ct).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask<LoadedImage> ProcessAsync(FileItem item, ItemContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var mode = Options.ReadMode;
        var limit = (long)Math.Max(1, Options.MaxMegapixels * 1e6);
        byte[] bytes;
        try { bytes = await ReadAsync(item, context.CancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new LoadedImage(item, new SharedImage(null, $"image {item.Path} does not exist", started));
        }
        context.AddBytes(bytes.Length);
        var pair = item as PairedFile;
        var limits = new DecodeLimits(limit);
        if (pair is not null)
        {
            // The pair's own golden sets the size; read from its header, so neither image is decoded when they differ.
            try { var h = Image.ReadHeader(pair.Golden); limits = limits with { ExpectedWidth = h.Width, ExpectedHeight = h.Height }; }
            catch (VisionException e) { return Decoded(item, bytes, mode, new DecodeLimits(limit), started, goldenError: "golden image: " + e.Message); }
        }
        else if (_expected.Size is { } size) limits = limits with { ExpectedWidth = size.Width, ExpectedHeight = size.Height };
        return Decoded(item, bytes, mode, limits, started, goldenError: null);
    }

    private static LoadedImage Decoded(FileItem item, byte[] bytes, ImageReadMode mode, DecodeLimits limits, long started, string? goldenError)
    {
        Image image;
        try { image = Image.Decode(bytes, mode, item.Path, limits); }
        catch (VisionException e) { return new LoadedImage(item, new SharedImage(null, e.Message, started)); }
        if (item is not PairedFile pair || goldenError is not null)
            return new LoadedImage(item, new SharedImage(image, null, started, null, goldenError));
        try
        {
            var golden = Image.Load(pair.Golden, mode, new DecodeLimits(limits.MaxPixels));
            return new LoadedImage(item, new SharedImage(image, null, started, golden));
        }
        catch (VisionException e)
        {
            return new LoadedImage(item, new SharedImage(image, null, started, null, "golden image: " + e.Message));
        }
    }

    private static async Task<byte[]> ReadAsync(FileItem item, CancellationToken ct)
    {
        // A full download (sftp.fetch mode: full) is whole but lives on disk: its bytes are not in memory.
        if (item is FileContent { IsWhole: true } content && (content.Bytes.Length > 0 || item.LocalPath is null)) return content.Bytes.ToArray();
        if (item.LocalPath is { } local) return await File.ReadAllBytesAsync(local, ct).ConfigureAwait(false);
        throw new InspectionException($"{item.Path} has no local copy and no content: fetch it whole (sftp.fetch mode: full) before image.load");
    }
}
