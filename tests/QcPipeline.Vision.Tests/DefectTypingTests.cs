using QcPipeline.Vision;
using QcPipeline.Vision.Checks;
using QcPipeline.Vision.Defects;
using QcPipeline.Vision.Evaluation;
using Xunit;

namespace QcPipeline.Vision.Tests;

/// <summary>A generated board in DeepPCB's style (dark copper on a bright substrate, saved as JPEG like its scans)
/// with one defect of every type at a known place, scored by the data set's protocol.</summary>
public class DefectTypingTests
{
    private static readonly Rgb Copper = new(0, 0, 0), Substrate = new(255, 255, 255);

    /// <summary>Tracks, a thick bus and a pad, all dark.</summary>
    public static Image Golden()
    {
        var board = Image.Create(384, 384, 1, 255);
        board.DrawRectangle(new PixelBox(20, 40, 340, 8), Copper, -1);   // track A
        board.DrawRectangle(new PixelBox(20, 100, 180, 8), Copper, -1);  // tracks B and C, 22 px apart
        board.DrawRectangle(new PixelBox(20, 130, 180, 8), Copper, -1);
        board.DrawRectangle(new PixelBox(20, 190, 200, 18), Copper, -1); // a thick bus
        board.DrawRectangle(new PixelBox(250, 90, 100, 100), Copper, -1); // a pad
        return board;
    }

    /// <summary>The defects drawn into the test board, each with its (annotator-style) ground-truth box.</summary>
    public static readonly (DefectType Type, PixelBox Drawn, bool AddsCopper)[] Defects =
    [
        (DefectType.Open, new PixelBox(80, 36, 7, 16), false),       // track A cut through
        (DefectType.Short, new PixelBox(150, 106, 7, 26), true),     // tracks B and C joined
        (DefectType.Mousebite, new PixelBox(60, 190, 10, 7), false), // bitten from the bus's top edge
        (DefectType.Spur, new PixelBox(150, 207, 7, 10), true),      // grown from the bus's bottom edge
        (DefectType.Copper, new PixelBox(100, 300, 10, 10), true),   // an island on bare substrate
        (DefectType.PinHole, new PixelBox(296, 136, 8, 8), false),   // a hole inside the pad
    ];

    private static (Image Test, Image Golden) Pair()
    {
        using var golden = Golden();
        using var test = golden.Clone();
        foreach (var (_, box, adds) in Defects) test.DrawRectangle(box, adds ? Copper : Substrate, -1);
        // The data set's templates are JPEGs at quality ~95, its test images at ~75: their noise differs.
        return (Image.Decode(test.EncodeJpeg(75), ImageReadMode.Grayscale), Image.Decode(golden.EncodeJpeg(95), ImageReadMode.Grayscale));
    }

    [Fact]
    public void Every_defect_type_is_found_and_typed_by_the_tuned_inspector()
    {
        var (test, golden) = Pair();
        using (test) using (golden)
        {
            var inspection = DeepPcbEvaluation.TunedInspector().Inspect(test, golden);
            var truth = Defects.Select(d => new GroundTruthDefect(d.Drawn.Inflate(8), (int)d.Type)).ToList();
            var scorer = new DeepPcbScorer();
            scorer.AddBoard(truth, inspection.Defects);
            var s = scorer.Scores();
            var found = string.Join("; ", inspection.Defects.Select(d => $"{DefectTypes.Name(d.Type)} {d.Box} {d.Confidence}"));
            Assert.True(s.Typed.F == 1, found);                               // six found, each with its own type, nothing else
            foreach (var (type, _, _) in Defects) Assert.Equal(1, s.Confusion[DefectTypes.Name(type)][DefectTypes.Name(type)]);
            Assert.All(inspection.Defects, d => Assert.InRange(d.Confidence, 0.3, 1));
            Assert.Equal(1.0, s.Agnostic.AP, 9);
        }
    }

    [Fact]
    public void Types_follow_the_polarity_and_untyped_blobs_are_differences()
    {
        var (test, golden) = Pair();
        using (test) using (golden)
        {
            var board = new PixelBox(0, 0, 384, 384);
            var untyped = new DiffCheck(DeepPcbEvaluation.TunedParameters with { Classify = false }).Detect(test, golden, board);
            Assert.Equal(6, untyped.Defects.Count);
            Assert.All(untyped.Defects, d => Assert.Equal(DefectType.Difference, d.Type));
            // Read with the wrong polarity, the substrate is taken for copper: the island becomes a hole in it, the hole an island.
            var reversed = new DiffCheck(DeepPcbEvaluation.TunedParameters with { Copper = CopperPolarity.Bright }).Detect(test, golden, board);
            DefectType At(PixelBox drawn) => reversed.Defects.Single(d => d.Box.Overlaps(drawn)).Type;
            Assert.Equal(DefectType.PinHole, At(Defects.Single(d => d.Type == DefectType.Copper).Drawn));
            Assert.Equal(DefectType.Copper, At(Defects.Single(d => d.Type == DefectType.PinHole).Drawn));
        }
    }
}
