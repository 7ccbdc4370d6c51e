using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;
using Xunit;

namespace QcPipeline.Files.Tests;

/// <summary>files.list through real jobs over real folders: listing, filters, errors, and watch mode.</summary>
public class LocalListTests
{
    private static readonly StageRegistry Registry = new StageRegistry().AddFiles().AddCollect<FileItem>();

    private static string TempDir() => TestRun.TempDir("qcpipeline-files-");

    private static (PipelineRunner Runner, string Tag) Prepare(string dir, string listOptions, string extra = "")
    {
        var tag = Guid.NewGuid().ToString("N");
        var yaml = $$"""
            job: files
            {{extra}}
            stages:
              list: { type: files.list, root: ., {{listOptions}} }
              out: { type: test.collect, into: {{tag}} }
            """;
        return (new PipelineRunner(TestRun.Compile(Registry, yaml, Path.Combine(dir, "job.yaml")), Path.Combine(dir, ".out")), tag);
    }

    /// <summary>Every file that reached the end of the run, as listed (failed ones too).</summary>
    private static List<FileItem> Seen(string tag) => CollectSink<FileItem>.Get(tag).Select(o => o.Value ?? (FileItem)o.Input!).ToList();

    private static void Write(string dir, string relative, int bytes)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }

    [Fact]
    public async Task Lists_files_sorted_with_folder_size_and_filters()
    {
        var dir = TempDir();
        Write(dir, "b.jpg", 10);
        Write(dir, "a.JPG", 20);
        Write(dir, "sub/c.jpg", 30);
        Write(dir, "sub/thumbs/d.jpg", 40);
        Write(dir, "notes.txt", 5);
        Write(dir, ".hidden.jpg", 5);
        var (runner, tag) = Prepare(dir, "include: ['**/*.jpg'], exclude: ['**/thumbs/**']");
        var r = await runner.RunGuardedAsync();
        Assert.Equal(RunOutcome.Succeeded, r.Outcome);
        var seen = Seen(tag);
        Assert.Equal(["a.JPG", "b.jpg", "sub/c.jpg"], seen.Select(f => Path.GetRelativePath(dir, f.Path)));
        Assert.Equal([20L, 10L, 30L], seen.Select(f => f.Size));
        Assert.Equal([".", ".", "sub"], seen.Select(f => f.Folder));
        Assert.All(seen, f => Assert.Equal(f.Path, f.LocalPath));
        Assert.Equal(3, runner.Expected); // announced up front for progress bars
        Assert.Equal(3, r.Processed);

        var (flat, flatTag) = Prepare(dir, "recursive: false");
        await flat.RunGuardedAsync();
        Assert.Equal(["a.JPG", "b.jpg", "notes.txt"], Seen(flatTag).Select(f => f.Name));
    }

    [Fact]
    public async Task A_missing_folder_fails_the_run_with_one_clear_reason()
    {
        var dir = TempDir();
        var tag = Guid.NewGuid().ToString("N");
        var graph = TestRun.Compile(Registry, $"job: j\nstages:\n  list: {{ type: files.list, root: nowhere }}\n  out: {{ type: test.collect, into: {tag} }}\n",
            Path.Combine(dir, "job.yaml"));
        var r = await new PipelineRunner(graph, Path.Combine(dir, ".out")).RunGuardedAsync();
        Assert.Equal(RunOutcome.Failed, r.Outcome);
        Assert.Equal($"stage 'list' (files.list) failed: files.list: folder {Path.Combine(dir, "nowhere")} does not exist", r.Error);
        Assert.Equal(0, r.Produced);
    }

    [Fact]
    public async Task Watch_mode_takes_each_file_once_and_only_when_it_is_completely_written()
    {
        var dir = TempDir();
        Write(dir, "before.bin", 100);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "before.bin"), DateTime.UtcNow.AddMinutes(-1));
        // settle is far above the 100 ms between writes, so a busy machine (CI runs test projects side by side)
        // cannot stretch a pause between two writes into a settled file.
        var (runner, tag) = Prepare(dir, "watch: true, poll_interval: 50ms, settle: 1500ms, exclude: ['.out/**']");
        using var cts = new CancellationTokenSource();
        var run = runner.RunAsync(cts.Token);

        // A file written slowly (a camera streaming it in): it grows every 100 ms, which is less than settle.
        var growing = Path.Combine(dir, "growing.bin");
        await using (var stream = new FileStream(growing, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var i = 0; i < 12; i++)
            {
                await stream.WriteAsync(new byte[1000]);
                await stream.FlushAsync();
                Assert.DoesNotContain(Seen(tag), f => f.Name == "growing.bin");
                await Task.Delay(100);
            }
        }
        Write(dir, "quick.bin", 7);

        // Wait (bounded) until both are taken, then let the watcher run a few more polls.
        for (var waited = 0; waited < 300 && Seen(tag).Count < 3; waited++) await Task.Delay(50);
        await Task.Delay(300);
        cts.Cancel();
        var r = await TestRun.Guard(run, TimeSpan.FromSeconds(20));

        var seen = Seen(tag);
        Assert.Equal(["before.bin", "growing.bin", "quick.bin"], seen.Select(f => f.Name).Order());
        Assert.Equal(12_000, seen.Single(f => f.Name == "growing.bin").Size); // taken whole, not half-written
        Assert.Equal(RunOutcome.Cancelled, r.Outcome);
        Assert.Equal(3, r.Processed);
        Assert.True(r.CountsAddUp);
    }

    [Fact]
    public async Task Watch_mode_waits_for_a_file_that_was_still_being_written_when_the_run_started()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "inprogress.bin");
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        await stream.WriteAsync(new byte[500]);
        await stream.FlushAsync();
        var (runner, tag) = Prepare(dir, "watch: true, poll_interval: 50ms, settle: 400ms, exclude: ['.out/**']");
        using var cts = new CancellationTokenSource();
        var run = runner.RunAsync(cts.Token);
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(100);
            Assert.Empty(Seen(tag));
            await stream.WriteAsync(new byte[500]);
            await stream.FlushAsync();
        }
        await stream.DisposeAsync();
        for (var waited = 0; waited < 100 && Seen(tag).Count < 1; waited++) await Task.Delay(50);
        cts.Cancel();
        await TestRun.Guard(run, TimeSpan.FromSeconds(20));
        var f = Assert.Single(Seen(tag));
        Assert.Equal(3000, f.Size);
    }
}
