using System.Text.Json;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Runtime;
using QcPipeline.TestKit;
using QcPipeline.Vision;
using QcPipeline.Vision.Evaluation;
using Xunit;
using Xunit.Abstractions;

namespace QcPipeline.Inspection.Tests;

public class ProductAndDeepPcbTests(ITestOutputHelper output)
{
    [Fact]
    public void Product_mistakes_are_all_reported_with_their_place()
    {
        using var h = new Harness();
        var file = h.Path_("bad.yaml");
        File.WriteAllText(file, """
            product: bad
            rois:
              - {name: a, x: 0, y: 0, w: 10, h: 10, check: template, diff: {threshold: 3}}
              - {name: a, x: -1, y: 0, w: 10, h: 10, check: diff}
              - {name: c, x: 0, y: 0, w: 10, h: 10, check: blur}
            """);
        var error = Assert.Throws<JobInvalidException>(() => ProductLoader.Load(file));
        var messages = error.Diagnostics.Select(d => d.ToString()).ToList();
        output.WriteLine(string.Join("\n", messages));
        Assert.Contains(messages, m => m.Contains("bad.yaml:3:", StringComparison.Ordinal) && m.Contains("'diff:' holds parameters of the diff check, but the check is template", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("bad.yaml:4:", StringComparison.Ordinal) && m.Contains("ROI name 'a' is used twice", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("bad.yaml:4:", StringComparison.Ordinal) && m.Contains("out of range", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("bad.yaml:5:", StringComparison.Ordinal) && m.Contains("'blur' is not one of", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("product: p\nrois: [\n", "p.yaml:", "YAML:")]
    [InlineData("product: p\ngolden: nowhere.png\nrois:\n  - {name: a, w: 4, h: 4, check: intensity}\n", "p.yaml:2:9", "nowhere.png does not exist")]
    [InlineData("product: p\nrois:\n  - {name: a, w: 4, h: 4, check: intensity}\n  - {name: a, w: 4, h: 4, check: edges}\n", "p.yaml:4:12", "ROI name 'a' is used twice")]
    [InlineData("product: p\nrois:\n  - {name: a, w: 4, h: 4, check: dif}\n", "p.yaml:3:34", "'dif' is not one of template, diff, intensity, edges (did you mean 'diff'?)")]
    [InlineData("product: p\ngolden: g.png\nrois:\n  - {name: a, x: 30, w: 40, h: 4, check: intensity}\n", "p.yaml:", "ROI 'a' (x=30 y=0 w=40 h=4) is not inside the 64x48 golden image")]
    [InlineData("product: p\ngolden: g.png\nrois:\n  - {name: a, w: 4, h: 4, check: diff, golden: junk.png}\n", "p.yaml:4:48", "golden image: read")]
    public void Validation_reports_product_mistakes_at_their_place_before_anything_runs(string product, string place, string message)
    {
        using var h = new Harness();
        Directory.CreateDirectory(h.Path_("in"));
        using (var golden = Image.Create(64, 48)) h.Save(golden, "g.png");
        File.WriteAllText(h.Path_("junk.png"), "not an image");
        File.WriteAllText(h.Path_("p.yaml"), product);
        var job = h.Path_("job.yaml");
        File.WriteAllText(job, """
            job: bad-product
            stages:
              images: {type: files.list, root: in}
              load: {type: image.load}
              rois: {type: roi.fanout, product: p.yaml}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
            """);
        // What `validate` does: load and compile; every problem is a located diagnostic (the CLI prints them, exit 2).
        var error = Assert.Throws<JobInvalidException>(() => Core.Graph.GraphCompiler.Compile(new JobLoader(Harness.Registry()).Load(job)));
        var lines = error.Diagnostics.Select(d => d.ToString()).ToList();
        output.WriteLine(string.Join("\n", lines));
        var line = Assert.Single(lines);
        Assert.Contains("job.yaml:5:", line);                              // the product key in the job...
        Assert.Contains(place, line);                                      // ...and the place in the product file
        Assert.Contains(message, line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Inline_rois_are_validated_too()
    {
        var yaml = """
            job: inline
            stages:
              images: {type: files.list, root: .}
              load: {type: image.load}
              rois:
                type: roi.fanout
                rois:
                  - {name: a, w: 4, h: 4, check: intensity, edges: {min_density: 0}}
                  - {name: a, w: 4, h: 4, check: edges}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
            """;
        var error = Assert.Throws<JobInvalidException>(() => new JobLoader(Harness.Registry()).Parse(yaml, Path.Combine(Path.GetTempPath(), "inline.yaml")));
        var lines = error.Diagnostics.Select(d => d.ToString()).ToList();
        Assert.Contains(lines, l => l.Contains(":8:", StringComparison.Ordinal) && l.Contains("'edges:' holds parameters of the edges check, but the check is intensity", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("ROI name 'a' is used twice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tiles_cover_the_image_and_find_a_defect_against_the_images_own_golden()
    {
        using var h = new Harness();
        using (var golden = Draw.Board(300, 200)) h.Save(golden, "g/1_temp.png");
        using (var test = Draw.Board(300, 200, dx: 3, dy: -2))
        {
            test.DrawRectangle(new PixelBox(150, 140, 12, 12), Rgb.White, -1); // spurious copper on black
            h.Save(test, "g/1_test.png");
        }
        // DeepPCB's layout: pairs.txt names NNN.jpg; the images are NNN_test / NNN_temp beside it.
        File.Copy(h.Path_("g/1_test.png"), h.Path_("g/1_test.jpg"));
        File.Copy(h.Path_("g/1_temp.png"), h.Path_("g/1_temp.jpg"));
        File.WriteAllText(h.Path_("pairs.txt"), "g/1.jpg g/1.txt\n");
        File.WriteAllText(h.Path_("g/1.txt"), "150 140 162 152 5\n");
        var result = await h.RunYamlAsync("""
            job: tiles
            stages:
              pairs: {type: deeppcb.pairs, root: .}
              load: {type: image.load, mode: grayscale}
              tiles: {type: roi.fanout, tile: 64, check: diff, register: 8, diff: {copper: bright}}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
              score: {type: deeppcb.score, from: join}
            """);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        var board = Assert.Single(h.Results());
        var rois = board.GetProperty("rois").EnumerateArray().ToList();
        Assert.Equal(5 * 4, rois.Count);                                  // 300x200 in 64 px tiles: 5 columns, 4 rows
        Assert.Equal(300 * 200, rois.Sum(r => r.GetProperty("w").GetInt32() * r.GetProperty("h").GetInt32()));
        var failed = rois.Where(r => r.GetProperty("status").GetString() != "pass").Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal(["tile_r02c02"], failed);                           // (150,140) lies in column 2, row 2
        var score = JsonDocument.Parse(File.ReadAllText(Path.Combine(h.Out, "deeppcb-score.json"))).RootElement;
        Assert.Equal(1.0, score.GetProperty("agnostic").GetProperty("recall").GetDouble());
        Assert.Equal("copper", board.GetProperty("defects")[0].GetProperty("type").GetString());
        Assert.StartsWith("150,140,", File.ReadAllText(Path.Combine(h.Out, "submission", "1.txt")));
        // The report's section: the protocol's table and the confusion matrix, contributed by deeppcb.score.
        var section = Assert.Single(h.Sections);
        Assert.Equal("DeepPCB scores", section.Title);
        Assert.Contains("<td>class-agnostic</td><td>1.000</td><td>1.000</td>", section.Html);
        var html = QcPipeline.Telemetry.RunReportWriter.Render(result, h.Sections);
        Assert.Contains("<h2>DeepPCB scores</h2>", html);
    }

    [SharedDataFact("pcb/deeppcb/PCBData/pairs.txt")]
    public async Task The_deeppcb_job_scores_as_the_vision_evaluation_does()
    {
        using var h = new Harness();
        var root = SharedData.Find("pcb/deeppcb/PCBData")!;
        var result = await h.RunFileAsync(Path.Combine(Checkout.Root, "pipelines", "deeppcb.yaml"), n => n == "DEEPPCB_DIR" ? root : null);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.True(result.CountsAddUp);
        var score = JsonSerializer.Deserialize<DeepPcbScore>(File.ReadAllText(Path.Combine(h.Out, "deeppcb-score.json")), DeepPcbScoreSink.Json)!;
        output.WriteLine(score.ToString());
        var pairs = DeepPcbPairs.Read(Path.Combine(root, "pairs.txt"));
        Assert.Equal(pairs.Count, score.Boards);
        Assert.Equal(0, score.ErrorRois);
        Assert.Equal(pairs.Count, h.Results().Count);
        Assert.Equal(pairs.Count, Directory.GetFiles(Path.Combine(h.Out, "submission"), "*.txt").Length);
        // The stages run the same algorithm as the library's evaluation: the same figures, to the count.
        var reference = DeepPcbEvaluation.Run(Path.Combine(root, "pairs.txt"), DeepPcbEvaluation.TunedInspector(), workers: 2);
        output.WriteLine(reference.ToString());
        Assert.Equal(reference.Scores.Agnostic, score.Agnostic);
        Assert.Equal(reference.Scores.Typed, score.Typed);
        Assert.Equal(reference.Rois.Recall, score.RoiRecall, 9);
        // ROI statuses agree with the image's defects: a ROI failed exactly when one of them overlaps it.
        foreach (var board in h.Results())
        {
            var boxes = board.GetProperty("defects").EnumerateArray().Select(d => d.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()).ToArray())
                .Select(b => new QcPipeline.Vision.PixelBox(b[0], b[1], b[2] - b[0], b[3] - b[1])).ToList();
            foreach (var roi in board.GetProperty("rois").EnumerateArray())
            {
                var box = new QcPipeline.Vision.PixelBox(roi.GetProperty("x").GetInt32(), roi.GetProperty("y").GetInt32(), roi.GetProperty("w").GetInt32(), roi.GetProperty("h").GetInt32());
                Assert.Equal(boxes.Any(b => b.Overlaps(box)), roi.GetProperty("status").GetString() == "fail");
            }
        }
    }
}
