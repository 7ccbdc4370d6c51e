namespace QcPipeline.Ssh;

public enum SftpEntryKind { File, Directory, Symlink, Other }

/// <summary>A directory entry or the result of a stat.</summary>
public readonly record struct SftpEntry(string Name, SftpEntryKind Kind, long Size, DateTimeOffset Modified)
{
    internal static SftpEntry From(string name, in Interop.LibSsh2.SftpAttributes a)
    {
        const ulong typeMask = 0xF000, directory = 0x4000, regular = 0x8000, link = 0xA000;
        var kind = ((ulong)a.Permissions & typeMask) switch
        {
            directory => SftpEntryKind.Directory,
            regular => SftpEntryKind.File,
            link => SftpEntryKind.Symlink,
            _ => SftpEntryKind.Other,
        };
        if (((ulong)a.Flags & 4) == 0) kind = SftpEntryKind.Other; // no permissions sent: type unknown
        var size = ((ulong)a.Flags & 1) != 0 ? (long)a.FileSize : 0;
        var modified = ((ulong)a.Flags & 8) != 0 ? DateTimeOffset.FromUnixTimeSeconds((long)a.MTime) : DateTimeOffset.UnixEpoch;
        return new SftpEntry(name, kind, size, modified);
    }
}
