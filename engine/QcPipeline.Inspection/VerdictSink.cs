using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Vision;
using QcPipeline.Vision.Defects;

namespace QcPipeline.Inspection;

/// <summary>Options of verdict: the files it writes and whether it annotates.</summary>
public sealed class VerdictOptions
{
    /// <summary>One JSON object per image, written as each image completes (so a watching run can be followed).</summary>
    [Option("One JSON object per image, written as each image completes (so a watching run can be followed).")]
    public string Results { get; init; } = "results.jsonl";

    /// <summary>One CSV row per image: verdict, time, ROI counts, defects, first reason.</summary>
    [Option("One CSV row per image: verdict, time, ROI counts, defects, first reason.")]
    public string Summary { get; init; } = "summary.csv";

    /// <summary>Write an annotated PNG for every image that did not pass: ROI boxes green (pass), red (fail) or grey (error) with their names, each defect box in its type's colour with its type and confidence.</summary>
    [Option("Write an annotated PNG for every image that did not pass: ROI boxes green (pass), red (fail) or grey (error) with their names, each defect box in its type's colour with its type and confidence.")]
    public bool Annotate { get; init; } = true;

    /// <summary>Folder (in the output folder) for the annotated PNGs.</summary>
    [Option("Folder (in the output folder) for the annotated PNGs.")]
    public string AnnotatedDir { get; init; } = "annotated";
}

/// <summary>Writes each image's verdict: results.jsonl, summary.csv, and annotated PNGs of the images that did not pass.
/// An image that failed before its ROIs could be checked is still written, as an error with the reason. An image
/// whose verdict is error (undecodable, refused, a ROI that could not be checked) is written, then counted as a
/// failed item, so it counts against the job's error_budget and a CI gate fails when every image is unreadable.</summary>
[Stage("verdict", "Writes results.jsonl (one object per image with its ROIs), summary.csv, and an annotated PNG for every image that did not pass.")]
public sealed class VerdictSink : SinkStage<ImageVerdict, VerdictOptions>
{
    private StreamWriter? _results, _summary;
    private readonly HashSet<string> _annotationNames = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override ValueTask StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Context.OutputDirectory);
        _results = Open(Options.Results);
        _summary = Open(Options.Summary);
        _summary.WriteLine("image,verdict,ms,rois,pass,fail,error,defects,reason");
        _summary.Flush();
        return ValueTask.CompletedTask;
    }

    private StreamWriter Open(string name) =>
        new(Path.Combine(Context.OutputDirectory, name), append: false, new UTF8Encoding(false)) { NewLine = "\n" };

    /// <inheritdoc />
    public override ValueTask ConsumeAsync(Outcome<ImageVerdict> item, ItemContext context)
    {
        if (item.IsOk && item.Value is { } v)
        {
            try
            {
                context.Record(Write(v));
                if (Options.Annotate && v.Pixels?.Image is { } image)
                    Annotation.Write(v, image, Path.Combine(Context.OutputDirectory, Options.AnnotatedDir), _annotationNames);
            }
            finally { v.Pixels?.Dispose(); }
            if (v.Verdict == RoiStatus.Error)
            {
                var first = v.Rois.First(r => r.Status == RoiStatus.Error);
                throw new InspectionException($"verdict error: {first.Roi.Name}: {first.Reason}");
            }
        }
        else
        {
            // Failed (or skipped) before its verdict: still one line, so every image is accounted for.
            if (item.Input is ImageVerdict { Pixels: { } held }) held.Dispose();
            var reason = item.Failure is { } f ? $"{f.Stage}: {f.Reason}" : $"skipped: {item.SkipReason}";
            context.Record(WriteError(item.Key, reason));
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes the image's results line and summary row; returns the line (a fed item's caller gets it).</summary>
    private string Write(ImageVerdict v)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("image", v.Key);
            json.WriteString("verdict", Name(v.Verdict));
            json.WriteNumber("ms", Math.Round(v.Ms, 2));
            json.WriteNumber("width", v.Width);
            json.WriteNumber("height", v.Height);
            WriteDefects(json, "defects", v.Defects);
            json.WriteStartArray("rois");
            foreach (var r in v.Rois)
            {
                json.WriteStartObject();
                json.WriteString("name", r.Roi.Name);
                json.WriteNumber("x", r.Roi.Box.X);
                json.WriteNumber("y", r.Roi.Box.Y);
                json.WriteNumber("w", r.Roi.Box.Width);
                json.WriteNumber("h", r.Roi.Box.Height);
                json.WriteString("check", r.Roi.Component.Section);
                json.WriteString("status", Name(r.Status));
                if (r.Score is { } s && double.IsFinite(s)) json.WriteNumber("score", Math.Round(s, 4));
                else json.WriteNull("score");
                json.WriteString("reason", r.Reason);
                WriteDefects(json, "defects", r.Defects);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        _results!.WriteLine(line);
        _results.Flush();
        var first = v.Rois.FirstOrDefault(r => r.Status != RoiStatus.Pass);
        Row(v.Key, Name(v.Verdict), v.Ms, v.Rois.Count, v.Rois.Count(r => r.Status == RoiStatus.Pass),
            v.Rois.Count(r => r.Status == RoiStatus.Fail), v.Rois.Count(r => r.Status == RoiStatus.Error),
            v.Defects.Count, first is null ? "" : $"{first.Roi.Name}: {first.Reason}");
        return line;
    }

    /// <summary>Defects as {"box": [x1, y1, x2, y2], "type": ..., "confidence": ...}: corners in test-image pixels,
    /// right and bottom exclusive (as DeepPCB's annotations).</summary>
    private static void WriteDefects(Utf8JsonWriter json, string name, IReadOnlyList<Defect> defects)
    {
        json.WriteStartArray(name);
        foreach (var d in defects)
        {
            json.WriteStartObject();
            json.WriteStartArray("box");
            json.WriteNumberValue(d.Box.X); json.WriteNumberValue(d.Box.Y); json.WriteNumberValue(d.Box.Right); json.WriteNumberValue(d.Box.Bottom);
            json.WriteEndArray();
            json.WriteString("type", DefectTypes.Name(d.Type));
            json.WriteNumber("confidence", Math.Round(d.Confidence, 3));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private string WriteError(string image, string reason)
    {
        var line = JsonSerializer.Serialize(new { image, verdict = Name(RoiStatus.Error), ms = 0, defects = Array.Empty<object>(), rois = Array.Empty<object>(), reason });
        _results!.WriteLine(line);
        _results.Flush();
        Row(image, Name(RoiStatus.Error), 0, 0, 0, 0, 0, 0, reason);
        return line;
    }

    private void Row(string image, string verdict, double ms, int rois, int pass, int fail, int error, int defects, string reason)
    {
        var ci = CultureInfo.InvariantCulture;
        _summary!.WriteLine(string.Join(',', Csv(image), verdict, Math.Round(ms, 2).ToString(ci), rois.ToString(ci), pass.ToString(ci),
            fail.ToString(ci), error.ToString(ci), defects.ToString(ci), Csv(reason)));
        _summary.Flush();
    }

    private static string Csv(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    /// <summary>The status as written in results.jsonl and summary.csv (the one place these names are made).</summary>
    public static string Name(RoiStatus s) => s switch { RoiStatus.Pass => "pass", RoiStatus.Fail => "fail", _ => "error" };

    /// <summary>The status a results line names, or null for a name that is none.</summary>
    public static RoiStatus? Parse(string? name) => name switch
    {
        "pass" => RoiStatus.Pass, "fail" => RoiStatus.Fail, "error" => RoiStatus.Error, _ => null,
    };

    /// <inheritdoc />
    public override ValueTask FlushAsync(CancellationToken ct)
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask StopAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        _results?.Dispose(); _results = null;
        _summary?.Dispose(); _summary = null;
    }
}
