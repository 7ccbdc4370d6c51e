using QcPipeline.Core.Outputs;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Sftp;

/// <summary>
/// The download folder of sftp.fetch's full mode: remote folder/name pairs mapped below it, never outside it, and
/// never through a symbolic link below it (one planted there, say "folder 00" -> /etc, would otherwise redirect
/// the writes). The download folder itself may be a link: the user chose it.
/// </summary>
internal sealed class LocalFiles(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string PathFor(FileItem item)
    {
        var parts = Parts(item);
        var full = Path.GetFullPath(Path.Combine([Root, .. parts]));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"{item.Path}: refusing a remote name that would write outside {Root}");
        return full;
    }

    /// <summary>The target path, with its folders made (each checked not to be a symbolic link).</summary>
    public string PrepareTarget(FileItem item)
    {
        var target = PathFor(item);
        Directory.CreateDirectory(Root);
        var folder = Root;
        foreach (var part in Parts(item).SkipLast(1))
        {
            folder = Path.Combine(folder, part);
            if (new FileInfo(folder).LinkTarget is not null) // lstat: a link, dangling or not
                throw new InvalidDataException($"{item.Path}: refusing to write through the symbolic link {folder} in the download folder");
            if (!Directory.Exists(folder)) Directory.CreateDirectory(folder);
        }
        return target;
    }

    /// <summary>How a download is written: private to its owner (what is downloaded from a server is the user's,
    /// not everyone's on this machine), not synced to disk (a copy lost to a power cut is fetched again; a sync per
    /// photo would cost throughput).</summary>
    public static readonly AtomicFileOptions Download = new()
    {
        Asynchronous = true, FlushToDisk = false, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    };

    private static List<string> Parts(FileItem item)
    {
        var parts = (item.Folder == "." ? "" : item.Folder).Split('/', StringSplitOptions.RemoveEmptyEntries).Append(item.Name).ToList();
        if (parts.Any(p => p is "." or ".." || p.Contains('\\') || p.Contains('\0')))
            throw new InvalidDataException($"{item.Path}: refusing a remote name that would write outside the download folder");
        return parts;
    }
}
