using System.Diagnostics;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;

namespace QcPipeline.Inspection;

public sealed class ImageLoadOptions
{
    [Option("Decode as 3-channel colour or 1-channel grey (cheaper; enough for binarised boards and most checks).", Allowed = ["color", "grayscale"])]
    public string Mode { get; init; } = "color";

    public ImageReadMode ReadMode => Mode == "grayscale" ? ImageReadMode.Grayscale : ImageReadMode.Color;
}

/// <summary>Decodes an image (a local file, or a whole fetched file) once; its ROIs share the pixels.
/// An undecodable or vanished image is not a failure here: its ROIs all end as errors with the reason.</summary>
[Stage("image.load", "Decodes an image file (JPEG via libturbojpeg, PNG, BMP, ...) with OpenCV; an image with its own reference (deeppcb.pairs) gets it decoded too. An undecodable image makes every ROI an error.")]
public sealed class ImageLoadStage : TransformStage<FileItem, LoadedImage, ImageLoadOptions>
{
    public override async ValueTask<LoadedImage> ProcessAsync(FileItem item, ItemContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var mode = Options.ReadMode;
        byte[] bytes;
        try { bytes = await ReadAsync(item, context.CancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new LoadedImage(item, new SharedImage(null, $"image {item.Path} does not exist", started));
        }
        context.AddBytes(bytes.Length);
        Image image;
        try { image = Image.Decode(bytes, mode, item.Path); }
        catch (VisionException e) { return new LoadedImage(item, new SharedImage(null, e.Message, started)); }
        if (item is not PairedFile pair) return new LoadedImage(item, new SharedImage(image, null, started));
        try
        {
            var golden = Image.Load(pair.Golden, mode);
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
