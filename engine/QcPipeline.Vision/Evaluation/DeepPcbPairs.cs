namespace QcPipeline.Vision.Evaluation;

/// <summary>One DeepPCB pair: the inspected image, its defect-free template and the ground truth.</summary>
/// <param name="Id">The pair's stem, e.g. "00041200".</param>
/// <param name="TestImage">Path of NNN_test.jpg.</param>
/// <param name="TemplateImage">Path of NNN_temp.jpg.</param>
/// <param name="GroundTruth">Path of the annotation file.</param>
public sealed record DeepPcbPair(string Id, string TestImage, string TemplateImage, string GroundTruth);

/// <summary>Reads DeepPCB's pairs.txt: lines "groupG/G/NNN.jpg groupG/G_not/NNN.txt" relative to
/// the file's folder. The .jpg named there does not exist: the images are NNN_test.jpg and
/// NNN_temp.jpg beside it.</summary>
public static class DeepPcbPairs
{
    /// <summary>Reads the list; blank lines are skipped. Files are not opened here.</summary>
    /// <exception cref="FormatException">A line does not hold two paths (message names file and line).</exception>
    public static IReadOnlyList<DeepPcbPair> Read(string pairsFile)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(pairsFile)) ?? ".";
        var pairs = new List<DeepPcbPair>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(pairsFile))
        {
            lineNumber++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length != 2 || !fields[0].EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                throw new FormatException($"{pairsFile}:{lineNumber}: expected '<image>.jpg <annotation>.txt', got '{line.Trim()}'");
            var image = Path.Combine(root, fields[0]);
            var folder = Path.GetDirectoryName(image) ?? root;
            var stem = Path.GetFileNameWithoutExtension(image);
            pairs.Add(new DeepPcbPair(stem, Path.Combine(folder, stem + "_test.jpg"), Path.Combine(folder, stem + "_temp.jpg"),
                Path.Combine(root, fields[1])));
        }
        return pairs;
    }
}
