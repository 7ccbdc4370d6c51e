using QcPipeline.Vision;

namespace QcPipeline.Inspection;

/// <summary>
/// The demo product's images, drawn with OpenCV so that every answer is known: a board with a label
/// (template check), copper pads (diff), an LED (intensity) and a connector (edges). The committed copies
/// under config/products/demo-board/ were written by <see cref="Write"/>; tests regenerate and compare them.
/// </summary>
public static class DemoProduct
{
    /// <summary>The size of every demo image, in pixels.</summary>
    public const int Width = 320, Height = 240;

    /// <summary>Every sample's file name and the verdict it must get.</summary>
    public static readonly IReadOnlyDictionary<string, string> Samples = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["pass-exact.png"] = "pass",
        ["pass-shifted.png"] = "pass",
        ["fail-scratch.png"] = "fail",
        ["fail-dark-led.png"] = "fail",
        ["fail-no-connector.png"] = "fail",
        ["error-truncated.png"] = "error",
    };

    /// <summary>Writes golden.png and samples/*.png into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        var samples = Path.Combine(folder, "samples");
        Directory.CreateDirectory(samples);
        Save(Board(), Path.Combine(folder, "golden.png"));
        Save(Board(), Path.Combine(samples, "pass-exact.png"));
        Save(Board(dx: 2, dy: 1), Path.Combine(samples, "pass-shifted.png"));
        using (var scratched = Board())
        {
            scratched.DrawRectangle(new PixelBox(196, 44, 60, 4), new Rgb(30, 30, 30), -1); // a scratch across two pads
            Save(scratched, Path.Combine(samples, "fail-scratch.png"), dispose: false);
        }
        Save(Board(led: new Rgb(70, 60, 50)), Path.Combine(samples, "fail-dark-led.png"));
        Save(Board(connector: false), Path.Combine(samples, "fail-no-connector.png"));
        // A PNG cut off after its first kilobyte: not decodable.
        using var whole = Board();
        File.WriteAllBytes(Path.Combine(samples, "error-truncated.png"), whole.EncodePng().AsSpan(0, 1024).ToArray());
    }

    /// <summary>The board, optionally displaced, with another LED colour or without its connector.</summary>
    public static Image Board(int dx = 0, int dy = 0, Rgb? led = null, bool connector = true)
    {
        var image = Image.Create(Width, Height, 3, 0);
        image.DrawRectangle(new PixelBox(0, 0, Width, Height), new Rgb(20, 90, 40), -1);
        // Label: white with dark text and a bar code-like stripe pattern (texture for correlation).
        image.DrawRectangle(new PixelBox(20 + dx, 20 + dy, 120, 40), Rgb.White, -1);
        image.DrawText("QC-42", 28 + dx, 46 + dy, new Rgb(10, 10, 10), 0.7);
        for (var i = 0; i < 6; i++) image.DrawRectangle(new PixelBox(104 + dx + i * 5, 26 + dy, 2 + i % 2, 28), new Rgb(10, 10, 10), -1);
        // Copper pads.
        for (var i = 0; i < 4; i++)
            image.DrawRectangle(new PixelBox(180 + dx + i * 30, 30 + dy, 18, 36), new Rgb(200, 170, 60), -1);
        // LED.
        image.DrawRectangle(new PixelBox(30 + dx, 120 + dy, 30, 30), led ?? new Rgb(240, 240, 210), -1);
        // Connector: a black housing with a row of pins.
        if (connector)
        {
            image.DrawRectangle(new PixelBox(130 + dx, 140 + dy, 140, 60), new Rgb(25, 25, 25), -1);
            for (var i = 0; i < 8; i++) image.DrawRectangle(new PixelBox(138 + dx + i * 16, 155 + dy, 8, 30), new Rgb(220, 220, 220), -1);
        }
        return image;
    }

    private static void Save(Image image, string path, bool dispose = true)
    {
        File.WriteAllBytes(path, image.EncodePng());
        if (dispose) image.Dispose();
    }
}
