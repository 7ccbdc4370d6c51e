using System.Globalization;

namespace QcPipeline.Vision.Evaluation;

/// <summary>One annotated defect: its box in test-image pixels and DeepPCB's type
/// (1 open, 2 short, 3 mousebite, 4 spur, 5 spurious copper, 6 pin-hole).</summary>
public sealed record GroundTruthDefect(PixelBox Box, int Type);

/// <summary>Reads DeepPCB annotations: one defect a line, "x1 y1 x2 y2 type" (commas are
/// accepted as separators too, as in other copies of the data set).</summary>
public static class GroundTruth
{
    /// <summary>Reads all defects of one board.</summary>
    /// <exception cref="FormatException">A line is not five integers (message names file and line).</exception>
    public static IReadOnlyList<GroundTruthDefect> Read(string path)
    {
        var defects = new List<GroundTruthDefect>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var fields = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            var values = new int[5];
            if (fields.Length != 5 || !fields.Select((f, i) => int.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
                throw new FormatException($"{path}:{lineNumber}: expected 'x1 y1 x2 y2 type' integers, got '{line.Trim()}'");
            defects.Add(new GroundTruthDefect(PixelBox.FromCorners(values[0], values[1], values[2], values[3]), values[4]));
        }
        return defects;
    }
}
