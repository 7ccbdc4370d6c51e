using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using QcPipeline.Files;
using QcPipeline.Inspection.Checks;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>
/// An image's verdict as JSON, for a verdict made on another machine (roi.join on a cluster worker): the file,
/// the verdict, every ROI's result and the defects. Pixels do not travel: for an image that did not pass they are
/// read again from the file here, where the verdict sink draws its annotation (the image is where the listing
/// found it); without the file the verdict is still written, only not annotated.
/// </summary>
public sealed class VerdictWire : JsonConverter<ImageVerdict>
{
    private sealed record FileWire(string Origin, string Path, string Folder, string Name, long Size, DateTimeOffset Modified,
        string? LocalPath, string? Golden, string? Truth);
    private sealed record DefectWire(int X, int Y, int W, int H, DefectType Type, double Confidence, int Area);
    private sealed record RoiWire(string Name, int X, int Y, int W, int H, CheckKind Check, string? Golden, int Register,
        RoiStatus Status, double? Score, string Reason, double Ms, List<DefectWire> Defects);
    private sealed record VerdictBody(FileWire File, RoiStatus Verdict, double Ms, int Width, int Height, List<RoiWire> Rois, List<DefectWire> Defects);

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() }, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ImageVerdict v, JsonSerializerOptions options)
    {
        var f = v.File;
        var file = new FileWire(f.Origin, f.Path, f.Folder, f.Name, f.Size, f.Modified, f.LocalPath, (f as PairedFile)?.Golden, (f as PairedFile)?.Truth);
        var rois = v.Rois.Select(r => new RoiWire(r.Roi.Name, r.Roi.Box.X, r.Roi.Box.Y, r.Roi.Box.Width, r.Roi.Box.Height, r.Roi.Check,
            r.Roi.Golden, r.Roi.Register, r.Status, r.Score, r.Reason, r.Ms, Defects(r.Defects))).ToList();
        JsonSerializer.Serialize(writer, new VerdictBody(file, v.Verdict, v.Ms, v.Width, v.Height, rois, Defects(v.Defects)), Json);
    }

    /// <inheritdoc />
    public override ImageVerdict Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var b = JsonSerializer.Deserialize<VerdictBody>(ref reader, Json) ?? throw new JsonException("empty verdict");
        var f = b.File;
        FileItem file = f.Golden is { } golden
            ? new PairedFile(f.Origin, f.Path, f.Folder, f.Name, f.Size, f.Modified, golden, f.Truth) { LocalPath = f.LocalPath }
            : new FileItem(f.Origin, f.Path, f.Folder, f.Name, f.Size, f.Modified) { LocalPath = f.LocalPath };
        var pixels = b.Verdict == RoiStatus.Pass ? null : Reload(file);
        var image = new LoadedImage(file, pixels ?? new SharedImage(null, null, Stopwatch.GetTimestamp()));
        var rois = b.Rois.Select(r => new RoiResult(image,
            new RoiPlan(r.Name, new PixelBox(r.X, r.Y, r.W, r.H), r.Check, Activator.CreateInstance(CheckKinds.Get(r.Check).ParametersType)!, r.Golden, r.Register),
            r.Status, r.Score, r.Reason, Defects(r.Defects), r.Ms)).ToList();
        return new ImageVerdict(file, b.Verdict, b.Ms, rois, Defects(b.Defects), b.Width, b.Height) { Pixels = pixels };
    }

    // The image again, for its annotation (null when it cannot be read here).
    private static SharedImage? Reload(FileItem file)
    {
        var path = file.LocalPath ?? file.Path;
        if (!File.Exists(path)) return null;
        try { return new SharedImage(Image.Load(path), null, Stopwatch.GetTimestamp()); }
        catch (VisionException) { return null; }
    }

    private static List<DefectWire> Defects(IEnumerable<Defect> defects) =>
        defects.Select(d => new DefectWire(d.Box.X, d.Box.Y, d.Box.Width, d.Box.Height, d.Type, d.Confidence, d.Area)).ToList();

    private static List<Defect> Defects(IEnumerable<DefectWire> defects) =>
        defects.Select(d => new Defect(new PixelBox(d.X, d.Y, d.W, d.H), d.Type, d.Confidence, d.Area)).ToList();
}
