using System.Globalization;
using System.Text;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Vision.Evaluation;

/// <summary>The data set's submission format, so anyone can score a run with the authors' script: a folder with one
/// NNNNNNNN.txt per board, one detection a line, "x1,y1,x2,y2,confidence,type", no spaces.</summary>
public static class DeepPcbSubmission
{
    /// <summary>The file's text for one board's detections (DeepPCB's six types only), in the order given.</summary>
    public static string Format(IEnumerable<Defect> detections)
    {
        var text = new StringBuilder();
        foreach (var d in detections.Where(d => (int)d.Type is >= 1 and <= 6))
            text.Append(CultureInfo.InvariantCulture, $"{d.Box.X},{d.Box.Y},{d.Box.Right},{d.Box.Bottom},{d.Confidence:0.###},{DefectTypes.Name(d.Type)}\n");
        return text.ToString();
    }

    /// <summary>Writes <paramref name="folder"/>/<paramref name="board"/>.txt.</summary>
    public static void Write(string folder, string board, IEnumerable<Defect> detections)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, board + ".txt"), Format(detections));
    }
}
