using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

public sealed class DeepPcbPairsOptions
{
    [Option("The DeepPCB folder that holds pairs.txt (e.g. PCBData).", Required = true, IsPath = true)]
    public string Root { get; init; } = "";

    [Option("The pairs list, relative to root: lines 'groupG/G/NNN.jpg groupG/G_not/NNN.txt'.")]
    public string Pairs { get; init; } = "pairs.txt";

    [Option("Take only the first this many pairs (0: all).", Min = 0)]
    public int Limit { get; init; }
}

/// <summary>The test images of DeepPCB's pairs, each with its template as its own golden and its ground truth.</summary>
[Stage("deeppcb.pairs", "Lists DeepPCB template/test pairs from pairs.txt: each test image comes with its template (its golden) and its ground-truth file.")]
public sealed class DeepPcbPairsSource : SourceStage<PairedFile, DeepPcbPairsOptions>
{
    public override async IAsyncEnumerable<PairedFile> ReadAsync(SourceContext context)
    {
        var list = Path.Combine(Options.Root, Options.Pairs);
        if (!File.Exists(list)) throw new InspectionException($"deeppcb.pairs: {list} does not exist (set DEEPPCB_DIR to the folder holding pairs.txt)");
        var pairs = DeepPcbPairs.Read(list);
        if (Options.Limit > 0) pairs = pairs.Take(Options.Limit).ToList();
        context.AnnounceTotal(pairs.Count);
        foreach (var p in pairs)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(p.TestImage);
            var folder = Path.GetRelativePath(Options.Root, Path.GetDirectoryName(p.TestImage)!).Replace('\\', '/');
            yield return new PairedFile("deeppcb", p.TestImage, folder, info.Name, info.Exists ? info.Length : 0,
                info.Exists ? info.LastWriteTimeUtc : default, p.TemplateImage, p.GroundTruth) { LocalPath = p.TestImage };
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}

public sealed class DeepPcbScoreOptions
{
    [Option("The scores file, in the output folder.")]
    public string Output { get; init; } = "deeppcb-score.json";

    [Option("A reported defect matches a ground-truth box when their IoU exceeds this (the data set paper's criterion: 0.33).", Min = 0, Max = 1)]
    public double Iou { get; init; } = DetectionMetrics.DefaultIoU;
}

/// <summary>The figures of one scored DeepPCB run (what deeppcb-score.json holds).</summary>
public sealed record DeepPcbScore(int Boards, int BoardsWithoutVerdict, double RoiRecall, double RoiPrecision, double BoxRecall,
    double BoxPrecision, double OwnRoiRecall, double OwnRoiPrecision, int ErrorRois, double Seconds, double BoardsPerSecond)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Boards} boards: ROI recall {RoiRecall:F3} precision {RoiPrecision:F3}, box recall {BoxRecall:F3} precision {BoxPrecision:F3} (IoU > 0.33); own-pixel ROI recall {OwnRoiRecall:F3} precision {OwnRoiPrecision:F3}; {BoardsPerSecond:F1} boards/s");
}

/// <summary>
/// Scores verdicts against DeepPCB's ground truth. A ROI is defective when a ground-truth box overlaps
/// it, and flagged when an image-level defect box (roi.join's merged boxes with their margin) overlaps it
/// — the same rule on both sides; the "own-pixel" figures flag a ROI only by its own check's result.
/// Box recall: ground-truth boxes matched one-to-one by a reported box at IoU above the criterion.
/// </summary>
[Stage("deeppcb.score", "Scores verdicts of DeepPCB boards against their ground truth: ROI recall/precision, box recall/precision at IoU > 0.33, boards/s; writes deeppcb-score.json.")]
public sealed class DeepPcbScoreSink : SinkStage<ImageVerdict, DeepPcbScoreOptions>
{
    private DetectionMetrics _metrics = new(), _own = new();
    private int _boards, _missing, _errors;
    private long _started;

    /// <summary>The figures, once the run has flushed.</summary>
    public DeepPcbScore? Score { get; private set; }

    public override ValueTask StartAsync(CancellationToken ct)
    {
        _metrics = new DetectionMetrics(Options.Iou);
        _own = new DetectionMetrics(Options.Iou);
        _started = Stopwatch.GetTimestamp();
        return ValueTask.CompletedTask;
    }

    public override ValueTask ConsumeAsync(Outcome<ImageVerdict> item, ItemContext context)
    {
        var file = item.Value?.File ?? item.Input as FileItem;
        if (file is not PairedFile { Truth: { } truthPath })
            throw new InspectionException($"{item.Key} has no ground truth: deeppcb.score reads images from deeppcb.pairs");
        var truth = GroundTruth.Read(truthPath).Select(d => d.Box).ToList();
        _boards++;
        if (item.Value is not { } v)
        {
            _missing++;
            _metrics.AddBoard([], [], truth, []);
            _own.AddBoard([], [], truth, []);
            return ValueTask.CompletedTask;
        }
        var rois = v.Rois.Select(r => r.Roi.Box).ToList();
        _errors += v.Rois.Count(r => r.Status == RoiStatus.Error);
        _metrics.AddBoard(rois, rois.Select(b => v.Defects.Any(d => d.Overlaps(b))).ToList(), truth, v.Defects);
        _own.AddBoard(rois, v.Rois.Select(r => r.Status == RoiStatus.Fail).ToList(), truth, v.Defects);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask FlushAsync(CancellationToken ct)
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        Score = new DeepPcbScore(_boards, _missing, _metrics.RoiRecall, _metrics.RoiPrecision, _metrics.BoxRecall, _metrics.BoxPrecision,
            _own.RoiRecall, _own.RoiPrecision, _errors, seconds, _boards / Math.Max(seconds, 1e-9));
        var path = Path.Combine(Context.OutputDirectory, Options.Output);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(Score, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }) + "\n", ct).ConfigureAwait(false);
    }
}
