using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace QcPipeline.Ssh;

/// <summary>
/// An OpenSSH known_hosts file, read the way ssh reads it: plain and hashed (|1|salt|hash) host names, patterns
/// with * ? and !, "[host]:port" for other ports, @revoked lines; and written the way accept-new writes it.
/// SSH.NET reads no known_hosts file itself: this is where its HostKeyReceived event looks.
/// </summary>
public static class KnownHosts
{
    /// <summary>One key a file holds for a host.</summary>
    public sealed record Entry(string KeyType, byte[] Key, bool Revoked);

    /// <summary>The name OpenSSH writes for a host: plain on port 22, "[host]:port" otherwise.</summary>
    public static string HostPattern(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>Every key the file holds for the host (none if the file does not exist).</summary>
    public static IReadOnlyList<Entry> For(string path, string host, int port)
    {
        if (!File.Exists(path)) return [];
        var name = HostPattern(host, port);
        var found = new List<Entry>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var revoked = false;
            if (fields.Length > 0 && fields[0].StartsWith('@'))
            {
                if (fields[0] != "@revoked") continue; // @cert-authority: host certificates are not used
                revoked = true;
                fields = fields[1..];
            }
            if (fields.Length < 3 || !Matches(fields[0], name)) continue;
            try { found.Add(new Entry(fields[1], Convert.FromBase64String(fields[2]), revoked)); }
            catch (FormatException) { /* a damaged line names no key: ssh skips it too */ }
        }
        return found;
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
        var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
        return Regex.IsMatch(text, regex, RegexOptions.IgnoreCase);
    }

    /// <summary>SHA256:base64 (no padding) of a key blob, as ssh-keygen -l prints it.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type at the start of an SSH key blob (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …).</summary>
    public static string KeyTypeOf(ReadOnlySpan<byte> keyBlob)
    {
        if (keyBlob.Length < 4) return "";
        var length = (keyBlob[0] << 24) | (keyBlob[1] << 16) | (keyBlob[2] << 8) | keyBlob[3];
        return length > 0 && length <= keyBlob.Length - 4 ? Encoding.ASCII.GetString(keyBlob.Slice(4, length)) : "";
    }

    /// <summary>Appends a host's key (accept-new), creating the file and its folder (private, as ssh does) if needed.</summary>
    public static void Add(string path, string host, int port, ReadOnlySpan<byte> keyBlob)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var line = $"{HostPattern(host, port)} {KeyTypeOf(keyBlob)} {Convert.ToBase64String(keyBlob)}\n";
        var needsNewline = File.Exists(path) && new FileInfo(path).Length > 0 && !File.ReadAllText(path).EndsWith('\n');
        File.AppendAllText(path, (needsNewline ? "\n" : "") + line);
    }
}
