using QcPipeline.Core.Stages;

namespace QcPipeline.Files;

/// <summary>
/// A file found by a listing stage (local folder or SFTP server), without its content.
/// Shared by every family so that, say, the GPS stage reads files from either.
/// </summary>
public record FileItem(string Origin, string Path, string Folder, string Name, long Size, DateTimeOffset Modified) : IItem
{
    /// <summary>The file's path: remote for SFTP, absolute for local files.</summary>
    public string Key => Path;

    /// <summary>Where the file can be read on this machine, if it can (local files; SFTP downloads).</summary>
    public string? LocalPath { get; init; }
}

/// <summary>A file with (part of) its content: the header bytes, or the whole file.</summary>
public sealed record FileContent(string Origin, string Path, string Folder, string Name, long Size, DateTimeOffset Modified,
    ReadOnlyMemory<byte> Bytes, bool IsWhole) : FileItem(Origin, Path, Folder, Name, Size, Modified)
{
    /// <summary>A listed file with (part of) its content.</summary>
    public static FileContent From(FileItem f, ReadOnlyMemory<byte> bytes, bool whole, string? localPath = null) =>
        new(f.Origin, f.Path, f.Folder, f.Name, f.Size, f.Modified, bytes, whole) { LocalPath = localPath ?? f.LocalPath };
}
