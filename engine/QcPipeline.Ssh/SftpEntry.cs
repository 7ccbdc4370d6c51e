using Renci.SshNet.Sftp;

namespace QcPipeline.Ssh;

/// <summary>What a directory entry is.</summary>
public enum SftpEntryKind
{
    /// <summary>A regular file.</summary>
    File,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link (as listed; not followed).</summary>
    Symlink,
    /// <summary>Anything else (a device, a socket, a pipe).</summary>
    Other,
}

/// <summary>A directory entry or the result of a stat.</summary>
public readonly record struct SftpEntry(string Name, SftpEntryKind Kind, long Size, DateTimeOffset Modified)
{
    internal static SftpEntry From(string name, SftpFileAttributes a)
    {
        var kind = a.IsSymbolicLink ? SftpEntryKind.Symlink
            : a.IsDirectory ? SftpEntryKind.Directory
            : a.IsRegularFile ? SftpEntryKind.File
            : SftpEntryKind.Other;
        var modified = a.LastWriteTimeUtc is var t && t > DateTime.UnixEpoch ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch;
        return new SftpEntry(name, kind, Math.Max(0, a.Size), modified);
    }
}
