using System.Diagnostics;
using System.Globalization;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;
using QcPipeline.Vision.Evaluation;

namespace QcPipeline.Bench;

/// <summary>
/// `deeppcb-cv`: how the DeepPCB parameters were chosen, and how well that choice carries to boards it never saw.
/// Only DeepPCB's training split is used (../shared/data/pcb/deeppcb-trainval, 1,000 pairs in 7 PCB groups;
/// DEEPPCB_TRAIN_DIR overrides it). Every board is decoded once and kept in memory; each detection setting runs once
/// over all boards, and the cheap box rules are tried on its cached blobs. Leave-one-group-out: for each group, the
/// setting with the best typed F on the other six is scored on it; the held-out counts are pooled. The setting best
/// on all seven groups is the one shipped (DeepPcbEvaluation.TunedParameters, pipelines/deeppcb.yaml), and it is
/// finally scored once on the 25 test-split pairs, which took no part in the choice.
/// </summary>
public static class DeepPcbTuning
{
    private sealed record Setting(DiffParameters Diff, double MaxElongation, BoxRules Boxes)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"max_shift {Diff.MaxShift}, min_area {Diff.MinArea}, tolerance {Diff.Tolerance}, max_elongation {MaxElongation}, merge_gap {Boxes.MergeGap}, box_margin {Boxes.Margin}, min_box {Boxes.MinSize}");
    }

    public static Task RunAsync(string[] args)
    {
        var root = Checkout.Root;
        var train = Environment.GetEnvironmentVariable("DEEPPCB_TRAIN_DIR") is { Length: > 0 } d ? d
            : Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "pcb", "deeppcb-trainval", "PCBData"));
        if (!File.Exists(Path.Combine(train, "pairs.txt")))
        {
            Console.WriteLine($"deeppcb-cv: no pairs.txt under {train} (set DEEPPCB_TRAIN_DIR); skipped");
            return Task.CompletedTask;
        }
        var pairs = DeepPcbPairs.Read(Path.Combine(train, "pairs.txt"));
        var truth = pairs.Select(p => GroundTruth.Read(p.GroundTruth)).ToList();
        var groups = pairs.Select(p => p.Id[..5]).ToArray(); // a board's id starts with its group's number
        var clock = Stopwatch.StartNew();
        var images = new (Image Test, Image Golden)[pairs.Count];
        Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            images[i] = (Image.Load(pairs[i].TestImage, ImageReadMode.Grayscale), Image.Load(pairs[i].TemplateImage, ImageReadMode.Grayscale)));
        Console.WriteLine($"{pairs.Count} training pairs in {groups.Distinct().Count()} groups decoded in {clock.Elapsed.TotalSeconds:F1} s");

        // Detection settings (each a full pass), then box rules and the elongation filter on their cached blobs.
        var detections = new List<DiffParameters>();
        foreach (var shift in new[] { 4, 8, 16, 24 })
            foreach (var minArea in new[] { 8, 16 })
                detections.Add(DeepPcbEvaluation.TunedParameters with { MaxShift = shift, MinArea = minArea, MaxElongation = 0 });
        var candidates = new List<(Setting Setting, BoardInspection[] Boards)>();
        foreach (var diff in detections)
        {
            var inspector = new BoardInspector(diff, DeepPcbEvaluation.DefaultTile, new BoxRules());
            var raw = new BoardInspection[pairs.Count];
            var t0 = Stopwatch.GetTimestamp();
            Parallel.For(0, pairs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => raw[i] = inspector.Inspect(images[i].Test, images[i].Golden));
            Console.WriteLine(FormattableString.Invariant($"  pass max_shift {diff.MaxShift}, min_area {diff.MinArea}: {pairs.Count / Stopwatch.GetElapsedTime(t0).TotalSeconds:F0} boards/s"));
            foreach (var elongation in new[] { 0.0, 6, 8, 12 })
                foreach (var gap in new[] { -1, 2 })
                    foreach (var margin in new[] { 8, 12 })
                        foreach (var minBox in new[] { 0, 28, 34 })
                        {
                            var boxes = new BoxRules(gap, margin, minBox);
                            var finished = raw.Select(r => BoardInspector.Finish(r.Tiles, r.Raw.Where(b => Keep(b, elongation)).ToList(), boxes, new PixelBox(0, 0, 640, 640))).ToArray();
                            candidates.Add((new Setting(diff, elongation, boxes), finished));
                        }
        }

        DeepPcbScores Score(BoardInspection[] boards, Func<int, bool> which)
        {
            var scorer = new DeepPcbScorer();
            for (var i = 0; i < boards.Length; i++) if (which(i)) scorer.AddBoard(truth[i], boards[i].Defects);
            return scorer.Scores();
        }
        (Setting Setting, BoardInspection[] Boards) Best(Func<int, bool> which) =>
            candidates.MaxBy(c => { var s = Score(c.Boards, which); return s.Typed.F + 1e-3 * s.Agnostic.F; });

        Console.WriteLine($"{candidates.Count} settings; leave-one-group-out:");
        var pooled = new DeepPcbScorer();
        foreach (var g in groups.Distinct().Order(StringComparer.Ordinal))
        {
            var (setting, boards) = Best(i => groups[i] != g);
            var held = Score(boards, i => groups[i] == g);
            for (var i = 0; i < boards.Length; i++) if (groups[i] == g) pooled.AddBoard(truth[i], boards[i].Defects);
            Console.WriteLine(FormattableString.Invariant(
                $"  group {g} ({groups.Count(x => x == g)} boards) held out: agnostic P {held.Agnostic.Precision:F3} R {held.Agnostic.Recall:F3} F {held.Agnostic.F:F3} AP {held.Agnostic.AP:F3}; typed F {held.Typed.F:F3} mAP {held.Typed.AP:F3}; chosen on the others: {setting}"));
        }
        var p = pooled.Scores();
        Console.WriteLine(FormattableString.Invariant(
            $"pooled over the 7 held-out groups: agnostic P {p.Agnostic.Precision:F3} R {p.Agnostic.Recall:F3} F {p.Agnostic.F:F3} AP {p.Agnostic.AP:F3}; typed P {p.Typed.Precision:F3} R {p.Typed.Recall:F3} F {p.Typed.F:F3} mAP {p.Typed.AP:F3}"));
        var (chosen, all) = Best(_ => true);
        var s = Score(all, _ => true);
        Console.WriteLine(FormattableString.Invariant($"chosen on all 1,000 (shipped): {chosen}; on the training split itself: agnostic F {s.Agnostic.F:F3}, typed F {s.Typed.F:F3}"));
        foreach (var (row, columns) in s.Confusion.OrderBy(r => r.Key, StringComparer.Ordinal))
            Console.WriteLine($"  confusion {row}: {string.Join(" ", columns.Select(c => $"{c.Key}={c.Value}"))}");
        foreach (var image in images) { image.Test.Dispose(); image.Golden.Dispose(); }
        return Task.CompletedTask;
    }

    private static bool Keep(Defect blob, double maxElongation) =>
        maxElongation <= 0 || Math.Max(blob.Box.Width, blob.Box.Height) <= maxElongation * Math.Min(blob.Box.Width, blob.Box.Height);
}
