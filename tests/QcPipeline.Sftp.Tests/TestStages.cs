using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Sftp.Tests;

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
