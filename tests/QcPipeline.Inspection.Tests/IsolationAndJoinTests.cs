using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Vision;
using Xunit;

namespace QcPipeline.Inspection.Tests;

public class IsolationAndJoinTests
{
    [Fact]
    public async Task A_failing_roi_is_an_error_with_its_reason_and_the_others_go_on()
    {
        using var h = new Harness();
        using (var golden = Draw.Board(200, 150)) h.Save(golden, "golden.png");
        using (var ok = Draw.Board(200, 150)) h.Save(ok, "in/a-ok.png");
        using (var flawed = Draw.Board(200, 150))
        {
            flawed.DrawRectangle(new PixelBox(100, 90, 10, 10), Rgb.White, -1);
            h.Save(flawed, "in/b-defect.png");
        }
        File.WriteAllBytes(h.Path_("in/c-garbage.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        var result = await h.RunYamlAsync("""
            job: isolation
            stages:
              images: {type: files.list, root: in}
              load: {type: image.load, mode: grayscale}
              rois:
                type: roi.fanout
                golden: golden.png
                rois:
                  - {name: whole, x: 0, y: 0, w: 200, h: 150, check: diff, diff: {copper: bright}}
                  - {name: outside, x: 150, y: 100, w: 100, h: 100, check: intensity}
                  - {name: flat, x: 0, y: 0, w: 8, h: 8, check: template}
                  - {name: bad-kernel, x: 0, y: 0, w: 50, h: 50, check: edges, edges: {blur_kernel: 4}}
                  - {name: lit, x: 10, y: 10, w: 20, h: 15, check: intensity, intensity: {mean_min: 200}}
              check: {type: roi.check, workers: 2}
              join: {type: roi.join}
              verdict: {type: verdict}
            """);
        // ROI errors are results, not lost items: every image is written; an error verdict is a failed item, beyond
        // the job's error budget (0).
        Assert.Equal(RunOutcome.ItemsFailed, result.Outcome);
        Assert.Equal((3L, 0L, 3L), (result.Produced, result.Processed, result.Failed));
        var byName = h.Results().ToDictionary(r => Path.GetFileName(r.GetProperty("image").GetString()!));
        Assert.All(byName.Values, r => Assert.Equal("error", r.GetProperty("verdict").GetString()));

        string Status(string image, string roi) => Harness.Roi(byName[image], roi).GetProperty("status").GetString()!;
        string Reason(string image, string roi) => Harness.Roi(byName[image], roi).GetProperty("reason").GetString()!;
        Assert.Equal("pass", Status("a-ok.png", "whole"));
        Assert.Equal("fail", Status("b-defect.png", "whole"));
        Assert.True(Status("a-ok.png", "lit") == "pass", Reason("a-ok.png", "lit"));
        foreach (var image in new[] { "a-ok.png", "b-defect.png" })
        {
            Assert.Contains("is not inside the 200x150 image", Reason(image, "outside"));
            Assert.Contains("uniform", Reason(image, "flat"));
            Assert.Contains("must be odd", Reason(image, "bad-kernel"));
        }
        Assert.All(byName["c-garbage.png"].GetProperty("rois").EnumerateArray(), r =>
        {
            Assert.Equal("error", r.GetProperty("status").GetString());
            Assert.Contains("not a decodable image", r.GetProperty("reason").GetString());
        });
        var defect = Harness.Roi(byName["b-defect.png"], "whole").GetProperty("defects").EnumerateArray().Single();
        Assert.Equal([100, 90, 110, 100], defect.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal("copper", defect.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_image_of_another_size_is_not_half_judged_and_an_all_error_run_fails_its_budget()
    {
        using var h = new Harness();
        using (var golden = Draw.Board(200, 150)) h.Save(golden, "golden.png");
        using (var small = Draw.Board(160, 120)) h.Save(small, "in/a-small.png");
        File.WriteAllBytes(h.Path_("in/b-garbage.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        // A 30000x30000 bomb (a real PNG header) is refused before decoding.
        var bomb = File.ReadAllBytes(h.Path_("golden.png"));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 30000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 30000);
        File.WriteAllBytes(h.Path_("in/c-bomb.png"), bomb);
        var result = await h.RunYamlAsync("""
            job: sizes
            stages:
              images: {type: files.list, root: in}
              load: {type: image.load, mode: grayscale}
              rois:
                type: roi.fanout
                golden: golden.png
                rois:
                  - {name: whole, x: 0, y: 0, w: 100, h: 100, check: diff}
                  - {name: bright, x: 0, y: 0, w: 20, h: 20, check: intensity}
                  - {name: edgy, x: 0, y: 0, w: 20, h: 20, check: edges, edges: {min_density: 0}}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
            """);
        // Every image is an error verdict: the run fails its error budget (0), as a CI gate needs.
        Assert.Equal(RunOutcome.ItemsFailed, result.Outcome);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal((3L, 3L), (result.Produced, result.Failed));
        var byName = h.Results().ToDictionary(r => Path.GetFileName(r.GetProperty("image").GetString()!));
        Assert.All(byName["a-small.png"].GetProperty("rois").EnumerateArray(), r =>
        {
            Assert.Equal("error", r.GetProperty("status").GetString()); // intensity and edges too: nothing is half-judged
            Assert.Contains("the image is 160x120 but its golden is 200x150; refused before decoding", r.GetProperty("reason").GetString());
        });
        Assert.Contains("over the limit of 100 megapixels; refused before decoding", Harness.Roi(byName["c-bomb.png"], "whole").GetProperty("reason").GetString());
        Assert.Contains(result.Unsuccessful, u => u.Item.EndsWith("b-garbage.png", StringComparison.Ordinal) && u.Reason!.Contains("not a decodable image", StringComparison.Ordinal));
    }

    [Fact]
    public void A_roi_whose_golden_is_missing_is_refused_when_the_job_is_loaded()
    {
        var yaml = """
            job: no-golden
            stages:
              images: {type: files.list, root: in}
              load: {type: image.load}
              rois:
                type: roi.fanout
                rois:
                  - {name: no-golden, x: 0, y: 0, w: 50, h: 50, check: diff, golden: missing.png}
              check: {type: roi.check}
              join: {type: roi.join}
              verdict: {type: verdict}
            """;
        var e = Assert.Throws<QcPipeline.Core.Jobs.JobInvalidException>(() =>
            new QcPipeline.Core.Jobs.JobLoader(Harness.Registry()).Parse(yaml, Path.Combine(Path.GetTempPath(), "no-golden.yaml")));
        var d = Assert.Single(e.Diagnostics);
        Assert.Equal(8, d.Location.Line);
        Assert.Contains("missing.png does not exist", d.Message);
    }

    [Fact]
    public async Task An_image_never_waits_behind_a_slow_one_and_its_rois_join_by_key_whatever_order_they_finish_in()
    {
        using var h = new Harness();
        // Image a: a big board whose first ROI is a wide template search (slow); image b: tiny and quick.
        using (var big = Draw.Board(3000, 3000)) h.Save(big, "in/a-big.png");
        using (var small = Draw.Board(120, 90)) h.Save(small, "in/b-small.png");
        var result = await h.RunYamlAsync("""
            job: order
            error_budget: 1             # b is refused: its golden is another size
            stages:
              images: {type: files.list, root: in}
              load: {type: image.load, mode: grayscale}
              rois:
                type: roi.fanout
                rois:
                  - {name: slow, x: 1200, y: 1200, w: 600, h: 600, check: template, golden: in/a-big.png, template: {search_margin: 1200}}
                  - {name: quick, x: 0, y: 0, w: 60, h: 60, check: intensity}
                  - {name: quick2, x: 10, y: 10, w: 50, h: 40, check: edges, edges: {min_density: 0}}
              check: {type: roi.check, workers: 2}
              join: {type: roi.join}
              verdict: {type: verdict}
            """);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        var results = h.Results();
        // b was listed and loaded after a, but its verdict comes first: it did not wait for a's slow ROI.
        var order = results.Select(r => Path.GetFileName(r.GetProperty("image").GetString()!)).ToList();
        Assert.True(order.SequenceEqual(["b-small.png", "a-big.png"]), string.Join("; ", results.Select(r => r.ToString())) + " | " +
            string.Join("; ", result.Timeline.Select(t => t.ToString())));
        Assert.True(results[0].GetProperty("ms").GetDouble() < results[1].GetProperty("ms").GetDouble());
        // a's quick ROIs finished before its slow one; the join still holds all three, in product order.
        var a = results[1];
        Assert.Equal(["slow", "quick", "quick2"], a.GetProperty("rois").EnumerateArray().Select(r => r.GetProperty("name").GetString()!));
        Assert.Equal("pass", Harness.Roi(a, "slow").GetProperty("status").GetString());
        Assert.True(Harness.Roi(a, "slow").GetProperty("score").GetDouble() > 0.99);
        Assert.Equal("error", Harness.Roi(results[0], "slow").GetProperty("status").GetString()); // its golden has another size
        Assert.Contains("golden is 3000x3000", Harness.Roi(results[0], "slow").GetProperty("reason").GetString());
    }

    [Fact]
    public void The_join_turns_an_engine_failure_into_an_error_roi_and_releases_the_pixels_of_a_passing_image()
    {
        var file = new FileItem("local", "/x/board.png", ".", "board.png", 1, DateTimeOffset.UnixEpoch);
        var pixels = new SharedImage(Image.Create(40, 30), null, System.Diagnostics.Stopwatch.GetTimestamp());
        var image = new LoadedImage(file, pixels);
        RoiPlan Plan(string name) => new(name, new PixelBox(0, 0, 10, 10), QcPipeline.Vision.Checks.CheckKind.Intensity, new QcPipeline.Inspection.Checks.IntensityOptions(), null, 0);
        RoiResult Passed(string name) => new(image, Plan(name), RoiStatus.Pass, 1, "ok", [], 1);
        var join = new RoiJoinStage();

        var clean = join.Combine(new JoinGroup<RoiResult>(file.Key, [Ok(Passed("a")), Ok(Passed("b"))]), null!);
        Assert.Equal(RoiStatus.Pass, clean.Verdict);
        Assert.Null(clean.Pixels);
        Assert.True(pixels.Released);

        var pixels2 = new SharedImage(Image.Create(40, 30), null, System.Diagnostics.Stopwatch.GetTimestamp());
        var image2 = image with { Pixels = pixels2 };
        var failedTask = new RoiTask(image2, Plan("b"), 1);
        var failure = new Failure("check", failedTask.Key, "timed out after 5s", 1);
        var group = new JoinGroup<RoiResult>(file.Key,
            [Ok(Passed("a") with { Image = image2 }), new Outcome<RoiResult>(failedTask.Key, null, failure, null, failedTask)]);
        var broken = join.Combine(group, null!);
        Assert.Equal(RoiStatus.Error, broken.Verdict);
        Assert.Equal(["a", "b"], broken.Rois.Select(r => r.Roi.Name));
        Assert.Equal("timed out after 5s", broken.Rois[1].Reason);
        Assert.Same(pixels2, broken.Pixels); // kept for the annotation; the verdict sink releases it
        Assert.False(pixels2.Released);
        pixels2.Dispose();
    }

    private static Outcome<RoiResult> Ok(RoiResult r) => new(r.Key, r, null, null, r);
}
