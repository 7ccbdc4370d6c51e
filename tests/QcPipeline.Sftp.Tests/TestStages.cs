using System.Collections.Concurrent;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Sftp.Tests;

public sealed class CollectOptions
{
    [Option("Name of the collection the outcomes go to.", Required = true)]
    public string Into { get; init; } = "";
}

/// <summary>Keeps every outcome that reaches the end of a test job, so a test can check what arrived and how.</summary>
[Stage("test.collect", "Test sink: keeps the outcomes it sees.")]
public sealed class CollectSink : SinkStage<FileContent, CollectOptions>
{
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<Outcome<FileContent>>> Collections = new();

    public static ConcurrentQueue<Outcome<FileContent>> Get(string name) => Collections.GetOrAdd(name, _ => new());

    public override ValueTask ConsumeAsync(Outcome<FileContent> item, ItemContext context)
    {
        Get(Options.Into).Enqueue(item);
        return ValueTask.CompletedTask;
    }
}

public sealed class DeleteOptions
{
    [Option("Local folder the server serves.", Required = true)]
    public string Content { get; init; } = "";

    [Option("File name to delete when its item passes (after listing, before fetching).", Required = true)]
    public string Name { get; init; } = "";
}

/// <summary>Deletes one file on the server's disk as its listed item passes: a file gone between list and fetch.</summary>
[Stage("test.delete", "Test stage: deletes a listed file before it is fetched.")]
public sealed class DeleteStage : TransformStage<FileItem, FileItem, DeleteOptions>
{
    public override ValueTask<FileItem> ProcessAsync(FileItem item, ItemContext context)
    {
        if (item.Name == Options.Name) File.Delete(Path.Combine(Options.Content, item.Folder, item.Name));
        return ValueTask.FromResult(item);
    }
}
