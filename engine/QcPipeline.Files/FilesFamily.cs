using QcPipeline.Core.Stages;

namespace QcPipeline.Files;

/// <summary>Stages over local folders: list files once, or watch a folder as a camera writes into it.</summary>
public static class FilesFamily
{
    /// <summary>Registers files.list and files.read.</summary>
    public static StageRegistry AddFiles(this StageRegistry registry) => registry
        .Source<LocalListStage, FileItem, LocalListOptions>()
        .Transform<LocalReadStage, FileItem, FileContent, LocalReadOptions>()
        .WireItem<FileItem>("file");
}
