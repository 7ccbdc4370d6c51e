using System.Security.Cryptography;
using System.Text;

namespace QcPipeline.Ssh;

/// <summary>
/// What we need from an OpenSSH known_hosts file besides libssh2's own check: which key types it holds for a
/// host (libssh2 must be told to ask for that type, or it negotiates ecdsa and reports "not found" when only an
/// ed25519 key is known), and learning a new host's key for accept-new. Hashed entries (|1|salt|hash) count too.
/// </summary>
public static class KnownHosts
{
    /// <summary>libssh2's host-key method names in the order we prefer them.</summary>
    public static readonly string[] Algorithms =
        ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

    /// <summary>The name OpenSSH writes for a host: plain on port 22, "[host]:port" otherwise.</summary>
    public static string HostPattern(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>Key types known for the host, in <see cref="Algorithms"/> order (empty if none or no file).</summary>
    public static IReadOnlyList<string> KeyTypesFor(string path, string host, int port)
    {
        if (!File.Exists(path)) return [];
        var name = HostPattern(host, port);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3) continue;
            if (fields[0].StartsWith('@')) { if (fields[0] == "@revoked" || fields.Length < 4) continue; fields = fields[1..]; }
            if (Matches(fields[0], name)) found.Add(fields[1]);
        }
        return Algorithms.Where(found.Contains).ToList();
    }

    private static bool Matches(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            var parts = hosts.Split('|');
            if (parts.Length != 4) return false;
            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var hash = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name));
                return Convert.ToBase64String(hash) == parts[3];
            }
            catch (FormatException) { return false; }
        }
        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            if (Glob(negated ? pattern[1..] : pattern, name))
            {
                if (negated) return false;
                matched = true;
            }
        }
        return matched;
    }

    // known_hosts patterns allow * and ?.
    private static bool Glob(string pattern, string text)
    {
        if (!pattern.Contains('*') && !pattern.Contains('?')) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(text, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }

    /// <summary>SHA256:base64 (no padding) of a key blob, as ssh-keygen -l prints it.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The algorithm name at the start of an SSH key blob (string type, ...).</summary>
    public static string AlgorithmOf(ReadOnlySpan<byte> keyBlob)
    {
        if (keyBlob.Length < 4) return "";
        var length = (keyBlob[0] << 24) | (keyBlob[1] << 16) | (keyBlob[2] << 8) | keyBlob[3];
        return length > 0 && length <= keyBlob.Length - 4 ? Encoding.ASCII.GetString(keyBlob.Slice(4, length)) : "";
    }

    /// <summary>Appends a host's key (accept-new), creating the file and its folder if needed.</summary>
    public static void Add(string path, string host, int port, ReadOnlySpan<byte> keyBlob)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        var line = $"{HostPattern(host, port)} {AlgorithmOf(keyBlob)} {Convert.ToBase64String(keyBlob)}\n";
        var needsNewline = File.Exists(path) && new FileInfo(path).Length > 0 && !File.ReadAllText(path).EndsWith('\n');
        File.AppendAllText(path, (needsNewline ? "\n" : "") + line);
    }
}
