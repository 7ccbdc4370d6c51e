using QcPipeline.Core.Reports;
using System.Security.Cryptography;
using System.Text;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Telemetry.Tests;

// Small real stages for a real pipeline: read text files, split them into lines (fan-out), check each
// line, join the lines back per file, and collect the results. Files named bad-* fail to read.

public sealed record Doc(string Key, string[] Lines) : IItem;
public sealed record Line(string Key, string Text) : IItem;
public sealed record Summary(string Key, int Lines, int Words) : IItem;

public sealed class ReadOptions
{
    [Option("Key for the file digest (a secret: env:NAME).")]
    public Secret Password { get; init; } = Secret.None;

    [Option("Files whose name starts with this fail to read.")]
    public string FailPrefix { get; init; } = "bad-";
}

[Stage("test.read", "Test: reads a text file, signs it with a secret key; files named bad-* fail.")]
public sealed class ReadStage : TransformStage<FileItem, Doc, ReadOptions>
{
    public override async ValueTask<Doc> ProcessAsync(FileItem item, ItemContext context)
    {
        var bytes = await File.ReadAllBytesAsync(item.LocalPath!, context.CancellationToken);
        context.AddBytes(bytes.Length);
        if (!Options.Password.HasValue) throw new InvalidOperationException("test.read: no password in " + Options.Password);
        // The secret is really used, so a leak would have a value to leak.
        var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Options.Password.Reveal()), bytes);
        context.Tag("test.digest", Convert.ToHexString(digest, 0, 4));
        if (item.Name.StartsWith(Options.FailPrefix, StringComparison.Ordinal))
            throw new IOException($"cannot read {item.Name}: checksum mismatch");
        return new Doc(item.Path, Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

[Stage("test.split", "Test: one child per line.")]
public sealed class SplitStage : FanOutStage<Doc, Line, NoOptions>
{
    public override IReadOnlyList<Line> Expand(Doc item, ItemContext context) =>
        item.Lines.Select((l, i) => new Line($"{item.Key}#{i}", l)).ToList();
}

[Stage("test.check", "Test: checks a line (a little CPU work).")]
public sealed class CheckStage : TransformStage<Line, Line, NoOptions>
{
    public override ValueTask<Line> ProcessAsync(Line item, ItemContext context)
    {
        var h = 0;
        for (var i = 0; i < 2000; i++) h = HashCode.Combine(h, item.Text, i);
        context.Tag("test.hash", h);
        return ValueTask.FromResult(item);
    }
}

[Stage("test.join", "Test: joins the lines of a file.")]
public sealed class JoinLines : JoinStage<Line, Summary, NoOptions>
{
    public override Summary Combine(JoinGroup<Line> group, ItemContext context) =>
        new(group.ParentKey, group.Items.Count, group.Items.Sum(i => i.Value?.Text.Split(' ').Length ?? 0));
}

public sealed class CollectOptions
{
    [Option("Test: its report section fails to be made.")]
    public bool FailReport { get; init; }
}

[Stage("test.collect", "Test: collects summaries; its report section draws a dot per file.")]
public sealed class CollectSink : SinkStage<Summary, CollectOptions>, IReportContributor
{
    private readonly List<string> _files = [];

    public override ValueTask ConsumeAsync(Outcome<Summary> item, ItemContext context)
    {
        if (item.IsOk && item.Value is { } s) lock (_files) _files.Add(s.Key);
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<ReportSection> ReportSections() => Options.FailReport
        ? throw new InvalidOperationException("the collected files are gone")
        :
        [
            new ReportSection
            {
                Id = "collected", Title = "Collected <files>", Css = ".test-dot { fill: #1f77b4; }",
                Html = "<p class=\"note\" id=\"collected-count\">" + _files.Count + " files</p><div class=\"dots\"></div>",
                Data = new { files = _files.Order(StringComparer.Ordinal).ToList() },
                Script = """
                    var svg = report.el('svg:svg', { viewBox: '0 0 400 20', width: '400' }, host.querySelector('.dots'));
                    data.files.forEach(function (f, i) {
                      var c = report.el('svg:circle', { cx: 10 + i * 12, cy: 10, r: 4, 'class': 'test-dot' }, svg);
                      report.el('svg:title', {}, c, f);
                    });
                    """,
            },
        ];
}
