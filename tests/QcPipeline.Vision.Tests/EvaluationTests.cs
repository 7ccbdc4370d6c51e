using QcPipeline.TestKit;
using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;
using QcPipeline.Vision.Evaluation;
using Xunit;
using Xunit.Abstractions;

namespace QcPipeline.Vision.Tests;

public class EvaluationTests(ITestOutputHelper output)
{
    [Fact]
    public void IoU_of_hand_made_boxes()
    {
        var a = new PixelBox(0, 0, 10, 10);
        Assert.Equal(1, a.IoU(a));
        Assert.Equal(0, a.IoU(new PixelBox(10, 0, 10, 10)));             // touching, no shared pixel
        Assert.Equal(25.0 / 175, a.IoU(new PixelBox(5, 5, 10, 10)), 9);
        Assert.Equal(0.5, a.IoU(new PixelBox(0, 0, 10, 5)), 9);
        Assert.Equal(new PixelBox(1, 2, 3, 4), PixelBox.FromCorners(4, 6, 1, 2));
    }

    [Fact]
    public void Tiles_cover_the_image_with_clipped_last_row_and_column()
    {
        var tiles = TileGrid.Tiles(150, 100, 64);
        Assert.Equal(6, tiles.Count);
        Assert.Equal(new PixelBox(128, 64, 22, 36), tiles[^1]);
        Assert.Equal(150 * 100, tiles.Sum(t => t.Area));
    }

    [Fact]
    public void Merge_joins_near_pieces_of_one_type_only()
    {
        Defect D(PixelBox b, DefectType t = DefectType.Spur, int area = 10) => new(b, t, 0.5, area);
        var merged = DefectBoxes.Merge(
            [D(new PixelBox(60, 10, 4, 6)), D(new PixelBox(64, 11, 5, 4), area: 20), D(new PixelBox(200, 200, 3, 3)), D(new PixelBox(66, 20, 2, 2)),
             D(new PixelBox(70, 10, 3, 3), DefectType.Open)], gap: 4);
        Assert.Equal(3, merged.Count);
        Assert.Contains(merged, d => d.Box == new PixelBox(60, 10, 9, 12) && d.Area == 40);
        Assert.Contains(merged, d => d.Box == new PixelBox(200, 200, 3, 3));
        Assert.Contains(merged, d => d.Type == DefectType.Open); // close, but of another type: kept apart
    }

    [Fact]
    public void Box_rules_grow_small_boxes_to_the_minimum_and_clip_them()
    {
        var found = DefectBoxes.Finish([new Defect(new PixelBox(2, 50, 6, 4), DefectType.Copper, 0.4, 20), new Defect(new PixelBox(50, 50, 10, 10), DefectType.Short, 0.9, 90)],
            new BoxRules(-1, Margin: 2, MinSize: 20), new PixelBox(0, 0, 100, 100));
        Assert.Equal(DefectType.Short, found[0].Type);                    // most confident first
        Assert.Equal(new PixelBox(45, 45, 20, 20), found[0].Box);        // 14 px with its margin, grown about its centre to 20
        Assert.Equal(new PixelBox(0, 42, 15, 20), found[1].Box);         // grown, then clipped at the left edge
    }

    [Fact]
    public void The_authors_matching_takes_ground_truth_in_file_order_and_the_first_unmatched_detection()
    {
        GroundTruthDefect T(int x, DefectType t) => new(new PixelBox(x, 0, 20, 20), (int)t);
        Defect D(int x, DefectType t, double c) => new(new PixelBox(x, 0, 20, 20), t, c, 100);
        var scorer = new DeepPcbScorer();
        // Two ground-truth defects that one detection overlaps well enough (IoU 0.6 and 0.43): the first in file order takes it.
        var truth = new[] { T(0, DefectType.Open), T(5, DefectType.Short) };
        var matches = scorer.Match(truth, [D(3, DefectType.Short, 0.9)], typed: false);
        Assert.Equal([0, -1], matches);
        // Typed: the open may not take a short, so the short gets it.
        Assert.Equal([-1, 0], scorer.Match(truth, [D(3, DefectType.Short, 0.9)], typed: true));

        scorer.AddBoard(truth, [D(3, DefectType.Short, 0.9), D(200, DefectType.Spur, 0.2)]);
        scorer.AddBoard([T(0, DefectType.PinHole)], [D(1, DefectType.PinHole, 0.8)]);
        var s = scorer.Scores();
        Assert.Equal((2, 3, 3), (s.Agnostic.Matches, s.Agnostic.Detections, s.Agnostic.Truths));
        Assert.Equal(2.0 / 3, s.Agnostic.Precision, 9);
        Assert.Equal(2.0 / 3, s.Agnostic.Recall, 9);
        // Ranked by confidence: hit (0.9), hit (0.8), miss (0.2): (1/1 + 2/2) / 3 ground-truth defects.
        Assert.Equal(2.0 / 3, s.Agnostic.AP, 9);
        Assert.Equal(2, s.Typed.Matches);                                 // the short (typed) and the pin-hole
        Assert.Equal(1, s.Confusion["open"]["short"]);                    // agnostic match of another type
        Assert.Equal(1, s.Confusion["short"]["missed"]);
        Assert.Equal(1, s.Confusion["false"]["spur"]);
        Assert.Equal(1.0, s.PerType["pin-hole"].AP, 9);
    }

    [Fact]
    public void Submission_lines_have_the_data_sets_shape()
    {
        var text = DeepPcbSubmission.Format([new Defect(new PixelBox(10, 20, 30, 40), DefectType.PinHole, 0.8765, 5), Defect.Region(new PixelBox(0, 0, 5, 5))]);
        Assert.Equal("10,20,40,60,0.877,pin-hole\n", text);               // region failures are no DeepPCB class
    }

    [Fact]
    public void Readers_parse_the_data_set_format_and_name_bad_lines()
    {
        var dir = Directory.CreateTempSubdirectory("qcv-pairs").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "pairs.txt"), "g/1/001.jpg g/1_not/001.txt\n\n");
            var pair = Assert.Single(DeepPcbPairs.Read(Path.Combine(dir, "pairs.txt")));
            Assert.Equal(Path.Combine(dir, "g/1/001_test.jpg"), pair.TestImage);
            Assert.Equal(Path.Combine(dir, "g/1/001_temp.jpg"), pair.TemplateImage);
            var gt = Path.Combine(dir, "gt.txt");
            File.WriteAllText(gt, "80 284 114 317 1\n1,2,3,4,6\n");
            Assert.Equal([new GroundTruthDefect(new PixelBox(80, 284, 34, 33), 1), new GroundTruthDefect(new PixelBox(1, 2, 2, 2), 6)], GroundTruth.Read(gt));
            File.WriteAllText(gt, "80 284 114\n");
            Assert.Contains("gt.txt:1", Assert.Throws<FormatException>(() => GroundTruth.Read(gt)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Tiled_inspection_finds_generated_defects_across_tile_borders()
    {
        using var golden = Fixtures.Board(256, 256, new PixelBox(20, 20, 200, 30), new PixelBox(40, 100, 30, 140));
        using var test = golden.Clone();
        test.DrawRectangle(new PixelBox(58, 110, 12, 10), new Rgb(0, 0, 0), -1); // missing copper across x=64
        test.DrawRectangle(new PixelBox(150, 150, 8, 8), Rgb.White, -1);          // added copper
        var inspector = new BoardInspector(new DiffParameters { Copper = CopperPolarity.Bright }, tileSize: 64, new BoxRules(MergeGap: 4));
        var inspection = inspector.Inspect(test, golden);
        Assert.Equal(2, inspection.Defects.Count);
        Assert.Contains(inspection.Defects, d => d.Box == new PixelBox(58, 110, 12, 10) && d.Type == DefectType.Mousebite);
        Assert.Contains(inspection.Defects, d => d.Box == new PixelBox(150, 150, 8, 8) && d.Type == DefectType.Copper);
        Assert.Equal(3, inspection.Flagged.Count(f => f));                 // the two tiles the first one crosses, and one
    }

    // The goals on the 25 held-out test-split pairs (the parameters were chosen on the training split).
    [SharedDataFact("pcb/deeppcb/PCBData/pairs.txt")]
    public void DeepPcb_diff_meets_the_goal()
    {
        VisionRuntime.SetThreads(VisionRuntime.RecommendedThreads);
        var report = DeepPcbEvaluation.Run(SharedData.Find("pcb/deeppcb/PCBData/pairs.txt")!, DeepPcbEvaluation.TunedInspector(), workers: 2);
        output.WriteLine(report.ToString());
        Assert.True(report.Scores.Agnostic.F >= 0.95, report.ToString());
        Assert.True(report.Scores.Typed.F >= 0.90, report.ToString());
    }
}
