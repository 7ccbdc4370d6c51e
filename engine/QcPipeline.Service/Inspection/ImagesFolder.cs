using System.Text.RegularExpressions;

namespace QcPipeline.Service.Inspection;

/// <summary>
/// The folder the old call names its images in (`{"image_filename": "image.jpg"}`). A name is a relative path of
/// plain parts; it is refused when it is absolute, climbs out (..), or passes through a symbolic link, and the file
/// that is opened is checked to be the one inside the folder, so nothing outside it is ever read.
/// </summary>
public sealed partial class ImagesFolder
{
    /// <summary>Names longer than this are refused.</summary>
    public const int MaxName = 1024;

    private readonly string _root;

    /// <summary>The folder, resolved once here (the links on the way to it are the operator's choice).</summary>
    public ImagesFolder(string path) => _root = Http.RealPath.Of(path);

    /// <summary>The folder's path.</summary>
    public string Root => _root;

    /// <summary>Reads the named image, or says in one line why not (<see cref="ImageNameException"/>, or a missing file).</summary>
    public async Task<(string Path, byte[] Bytes)> ReadAsync(string name, long maxBytes, CancellationToken ct)
    {
        var path = Resolve(name);
        await using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous });
        // The file opened is the one checked: a link swapped in meanwhile is caught by where the descriptor points.
        if (Http.RealPath.Of($"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}") != path)
            throw new ImageNameException($"'{name}' is not inside the images folder");
        if (stream.Length > maxBytes) throw new ImageNameException($"'{name}' is {stream.Length} bytes, over the limit of {maxBytes}");
        var bytes = new byte[stream.Length];
        await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
        return (path, bytes);
    }

    /// <summary>The file's full path inside the folder; throws <see cref="ImageNameException"/> for a name that would leave it.</summary>
    public string Resolve(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ImageNameException("image_filename is empty");
        if (name.Length > MaxName) throw new ImageNameException($"image_filename is longer than {MaxName} characters");
        if (name.Contains('\0') || name.Contains('\\') || Path.IsPathRooted(name) || name.StartsWith('~'))
            throw new ImageNameException($"'{Shown(name)}' is not a name inside the images folder (give a relative name such as image.jpg)");
        var parts = name.Split('/');
        if (parts.Any(p => p is "" or "." or ".."))
            throw new ImageNameException($"'{Shown(name)}' is not a plain relative name (no '..', '.' or empty parts)");
        var path = _root;
        foreach (var part in parts)
        {
            path = Path.Combine(path, part);
            var info = new FileInfo(path);
            if (info.Exists || Directory.Exists(path))
            {
                if (info.LinkTarget is not null || new DirectoryInfo(path).LinkTarget is not null)
                    throw new ImageNameException($"'{Shown(name)}' passes through a symbolic link, which the server does not follow");
            }
            else throw new FileNotFoundException($"no image '{Shown(name)}' in the images folder");
        }
        if (!File.Exists(path)) throw new ImageNameException($"'{Shown(name)}' is a folder, not an image");
        return path;
    }

    // A name goes back to the caller as sent, but printable and short.
    private static string Shown(string name) => Unprintable().Replace(name.Length > 200 ? name[..200] + "…" : name, "?");

    [GeneratedRegex(@"\p{C}")]
    private static partial Regex Unprintable();
}

/// <summary>An image name the old call may not use, said in one line.</summary>
public sealed class ImageNameException(string message) : Exception(message);
