using QcPipeline.Core.Jobs;
using QcPipeline.Demo;
using QcPipeline.Inspection;
using QcPipeline.Vision;

namespace QcPipeline.Fuzz.Targets;

/// <summary>
/// A product file's bytes through the product loader and its validation (keys, check kinds, parameter sections,
/// duplicate ROI names, goldens that exist and are images, ROIs inside their golden). A bad file must end as
/// problems, each one line at a FILE:LINE:COL of the product file; any other exception, a hang or a stack
/// overflow is a finding. A file it accepts must also run: every ROI's check, built from its parameters, runs on
/// its own golden without an error (what validate accepts, a run can do).
/// </summary>
public sealed class ProductLoaderTarget : FuzzTarget
{
    // Goldens the seeds name, beside the product file: the demo board, a small grey image, a file that is no image.
    private static readonly Lazy<string> Folder = new(WriteGoldens);
    private static readonly Dictionary<string, Image> Decoded = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string Name => "product-loader";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Instrumented => ["QcPipeline.Inspection.dll", "QcPipeline.Core.dll", "YamlDotNet.dll"];

    /// <inheritdoc/>
    public override void Run(byte[] input)
    {
        var file = Path.Combine(Folder.Value, "product.yaml");
        var (product, problems) = ProductLoader.Parse(input, file);
        foreach (var d in problems)
        {
            if (d.Location.Line < 1 || d.Location.Column < 1 || !file.EndsWith(d.Location.File, StringComparison.Ordinal))
                throw new FuzzFinding($"a problem not placed in the product file: {d}");
            if (d.Message.Length == 0 || d.ToString().AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new FuzzFinding($"a problem that is not one line: {d}");
        }
        if (problems.Count > 0) return;
        if (product is null) throw new FuzzFinding("no product and no problem");
        var plans = ProductLoader.Plan(product);
        if (ProductLoader.Problem(plans) is { } problem) throw new FuzzFinding($"accepted, but planning says: {problem}");
        foreach (var plan in plans)
        {
            var golden = plan.Golden is { } path ? Load(path) : null;
            if (golden is null) continue; // no golden: the image's own reference is used at run time
            var check = plan.Create();
            try { check.Run(golden, golden, plan.Box); }
            catch (VisionException e) { throw new FuzzFinding($"accepted, but ROI '{plan.Name}' cannot run on its golden: {e.Message}"); }
        }
    }

    private static Image Load(string path)
    {
        lock (Decoded)
        {
            if (!Decoded.TryGetValue(path, out var image))
                Decoded[path] = image = Image.Load(path);
            return image;
        }
    }

    private static string WriteGoldens()
    {
        var folder = Path.Combine(Path.GetTempPath(), "qcpipeline-fuzz", "products");
        Directory.CreateDirectory(folder);
        using var board = DemoProduct.Board();
        using var small = Image.Create(40, 30, 1, 128);
        Write(folder, "golden.png", board.EncodePng());
        Write(folder, "small.png", small.EncodePng());
        Write(folder, "broken.png", "not an image"u8.ToArray());
        return folder;
    }

    // Atomically, so that fuzzers running at once never see half a file.
    private static void Write(string folder, string name, byte[] bytes)
    {
        var temp = Path.Combine(folder, $"{name}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, Path.Combine(folder, name), overwrite: true);
    }
}
