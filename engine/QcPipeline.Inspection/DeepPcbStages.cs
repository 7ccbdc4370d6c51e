using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using QcPipeline.Core.Options;
using QcPipeline.Core.Reports;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Inspection;

/// <summary>Options of deeppcb.pairs: where the data set is and how many pairs to take.</summary>
public sealed class DeepPcbPairsOptions
{
    /// <summary>The DeepPCB folder that holds pairs.txt (e.g. PCBData).</summary>
    [Option("The DeepPCB folder that holds pairs.txt (e.g. PCBData).", Required = true, IsPath = true)]
    public string Root { get; init; } = "";

    /// <summary>The pairs list, relative to root: lines 'groupG/G/NNN.jpg groupG/G_not/NNN.txt'.</summary>
    [Option("The pairs list, relative to root: lines 'groupG/G/NNN.jpg groupG/G_not/NNN.txt'.")]
    public string Pairs { get; init; } = "pairs.txt";

    /// <summary>Take only the first this many pairs (0: all).</summary>
    [Option("Take only the first this many pairs (0: all).", Min = 0)]
    public int Limit { get; init; }
}

/// <summary>The test images of DeepPCB's pairs, each with its template as its own golden and its ground truth.</summary>
[Stage("deeppcb.pairs", "Lists DeepPCB template/test pairs from pairs.txt: each test image comes with its template (its golden) and its ground-truth file.")]
public sealed class DeepPcbPairsSource : SourceStage<PairedFile, DeepPcbPairsOptions>
{
    /// <inheritdoc />
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

/// <summary>Options of deeppcb.score: where the scores and the submission folder go, and the IoU a match needs.</summary>
public sealed class DeepPcbScoreOptions
{
    /// <summary>The scores file, in the output folder.</summary>
    [Option("The scores file, in the output folder.")]
    public string Output { get; init; } = "deeppcb-score.json";

    /// <summary>Folder (in the output folder) for the data set's submission format: one NNNNNNNN.txt per board, lines 'x1,y1,x2,y2,confidence,type', for the authors' evaluation script; empty: none.</summary>
    [Option("Folder (in the output folder) for the data set's submission format: one NNNNNNNN.txt per board, lines 'x1,y1,x2,y2,confidence,type', for the authors' evaluation script; empty: none.")]
    public string Submission { get; init; } = "submission";

    /// <summary>A reported defect matches a ground-truth box when their IoU exceeds this (the data set paper's criterion: 0.33).</summary>
    [Option("A reported defect matches a ground-truth box when their IoU exceeds this (the data set paper's criterion: 0.33).", Min = 0, Max = 1)]
    public double Iou { get; init; } = DeepPcbScorer.DefaultIoU;
}

/// <summary>The figures of one scored DeepPCB run (what deeppcb-score.json holds).</summary>
public sealed record DeepPcbScore(int Boards, int BoardsWithoutVerdict, ProtocolScores Agnostic, ProtocolScores Typed,
    IReadOnlyDictionary<string, ProtocolScores> PerType, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Confusion,
    double RoiRecall, double RoiPrecision, int ErrorRois, double Seconds, double BoardsPerSecond)
{
    /// <summary>One line of the headline figures, as the CLI prints it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Boards} boards: class-agnostic P {Agnostic.Precision:F3} R {Agnostic.Recall:F3} F {Agnostic.F:F3} AP {Agnostic.AP:F3}; typed P {Typed.Precision:F3} R {Typed.Recall:F3} F {Typed.F:F3} mAP {Typed.AP:F3} (IoU > 0.33); ROI recall {RoiRecall:F3} precision {RoiPrecision:F3}; {BoardsPerSecond:F1} boards/s");
}

/// <summary>
/// Scores verdicts against DeepPCB's ground truth by the data set's own protocol (<see cref="DeepPcbScorer"/>):
/// class-agnostic and typed precision, recall, F-score and AP, a confusion matrix of types, and ROI-level figures (a
/// ROI is defective when a ground-truth box overlaps it, flagged when roi.join failed it). Also writes the submission
/// folder the authors' script reads.
/// </summary>
[Stage("deeppcb.score", "Scores verdicts of DeepPCB boards by the data set's protocol (IoU > 0.33, ground truth in file order, typed and class-agnostic precision, recall, F, AP, confusion matrix; ROI recall/precision; boards/s); writes deeppcb-score.json and the submission folder.")]
public sealed class DeepPcbScoreSink : SinkStage<ImageVerdict, DeepPcbScoreOptions>, IReportContributor
{
    private DeepPcbScorer _scorer = new();
    private RoiMetrics _rois = new();
    private int _boards, _missing, _errors;
    private long _started;

    /// <summary>The figures, once the run has flushed.</summary>
    public DeepPcbScore? Score { get; private set; }

    /// <summary>How deeppcb-score.json is written and read.</summary>
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken ct)
    {
        _scorer = new DeepPcbScorer(Options.Iou);
        _rois = new RoiMetrics();
        _started = Stopwatch.GetTimestamp();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask ConsumeAsync(Outcome<ImageVerdict> item, ItemContext context)
    {
        var file = item.Value?.File ?? item.Input as FileItem;
        if (file is not PairedFile { Truth: { } truthPath })
            throw new InspectionException($"{item.Key} has no ground truth: deeppcb.score reads images from deeppcb.pairs");
        var truth = GroundTruth.Read(truthPath);
        _boards++;
        var board = Path.GetFileNameWithoutExtension(truthPath);
        if (item.Value is not { } v)
        {
            _missing++;
            _scorer.AddBoard(truth, []);
            if (Options.Submission.Length > 0) DeepPcbSubmission.Write(Path.Combine(Context.OutputDirectory, Options.Submission), board, []);
            return ValueTask.CompletedTask;
        }
        _errors += v.Rois.Count(r => r.Status == RoiStatus.Error);
        _scorer.AddBoard(truth, v.Defects);
        var rois = v.Rois.Select(r => r.Roi.Box).ToList();
        _rois.AddBoard(rois, v.Rois.Select(r => r.Status == RoiStatus.Fail).ToList(), truth.Select(t => t.Box));
        if (Options.Submission.Length > 0) DeepPcbSubmission.Write(Path.Combine(Context.OutputDirectory, Options.Submission), board, v.Defects);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask FlushAsync(CancellationToken ct)
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var s = _scorer.Scores();
        Score = new DeepPcbScore(_boards, _missing, s.Agnostic, s.Typed, s.PerType, s.Confusion, _rois.Recall, _rois.Precision,
            _errors, seconds, _boards / Math.Max(seconds, 1e-9));
        var path = Path.Combine(Context.OutputDirectory, Options.Output);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(Score, Json) + "\n", ct).ConfigureAwait(false);
    }

    /// <summary>Its section of report.html: the scores and the confusion of types, once scored.</summary>
    public IReadOnlyList<ReportSection> ReportSections() => Score is null ? [] : [DeepPcbReport.Section(Score)];
}
