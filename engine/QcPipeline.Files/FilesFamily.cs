namespace QcPipeline.Files;

/// <summary>Stages over local folders: list files once, or watch a folder as a camera writes into it.</summary>
public static class FilesFamily;
