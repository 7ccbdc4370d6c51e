using QcPipeline.Vision;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>The annotated PNG of an image that did not pass: ROI boxes green (pass), red (fail) or grey (error) with
/// their names; each defect in its type's colour, labelled with its type and confidence.</summary>
internal static class Annotation
{
    /// <summary>Colours of the defect types (chosen apart from the ROI colours and from each other).</summary>
    public static Rgb Colour(DefectType type) => type switch
    {
        DefectType.Open => new Rgb(255, 0, 255),      // magenta
        DefectType.Short => new Rgb(255, 140, 0),     // orange
        DefectType.Mousebite => new Rgb(0, 200, 255), // sky blue
        DefectType.Spur => new Rgb(255, 220, 0),      // yellow
        DefectType.Copper => new Rgb(0, 90, 255),     // blue
        DefectType.PinHole => new Rgb(160, 0, 255),   // violet
        _ => new Rgb(255, 0, 128),                    // pink: untyped difference or failed region
    };

    public static void Write(ImageVerdict v, Image image, string folder, HashSet<string> names)
    {
        using var canvas = image.Channels == 1 ? image.ToColor() : image.Clone();
        var scale = Math.Clamp(Math.Min(image.Width, image.Height) / 1200.0, 0.3, 1.5);
        foreach (var r in v.Rois)
        {
            var colour = r.Status switch { RoiStatus.Pass => Rgb.Green, RoiStatus.Fail => Rgb.Red, _ => new Rgb(128, 128, 128) };
            canvas.DrawRectangle(r.Roi.Box, colour, r.Status == RoiStatus.Pass ? 1 : 2);
            var y = r.Roi.Box.Y > 14 ? r.Roi.Box.Y - 4 : r.Roi.Box.Y + 14;
            canvas.DrawText(r.Roi.Name, r.Roi.Box.X + 2, y, colour, scale);
        }
        foreach (var d in v.Defects.Where(d => d.Type != DefectType.Region))
        {
            var colour = Colour(d.Type);
            canvas.DrawRectangle(d.Box, colour, 2);
            var y = d.Box.Bottom + 12 < image.Height ? d.Box.Bottom + 12 : Math.Max(10, d.Box.Y - 3);
            canvas.DrawText(FormattableString.Invariant($"{DefectTypes.Name(d.Type)} {d.Confidence:0.00}"), d.Box.X, y, colour, scale * 0.8);
        }
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, UniqueName(v.File.Name, names)), canvas.EncodePng());
    }

    // Images with the same name in different folders get -2, -3, ...
    private static string UniqueName(string fileName, HashSet<string> names)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var name = stem + ".png";
        for (var n = 2; !names.Add(name); n++) name = $"{stem}-{n}.png";
        return name;
    }
}
