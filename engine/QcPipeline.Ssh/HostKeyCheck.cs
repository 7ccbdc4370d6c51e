namespace QcPipeline.Ssh;

/// <summary>
/// Decides whether a server's host key is trusted, the way OpenSSH does: a pinned SHA256 fingerprint, else
/// known_hosts (a key of the same type that differs is a changed key, refused with both fingerprints; an unknown
/// key is refused, or learnt under accept-new). Also says which host-key algorithms to ask the server for, so
/// that it offers the type known_hosts holds when it has several.
/// </summary>
internal static class HostKeyCheck
{
    /// <summary>The key type (as known_hosts and key blobs name it) an SSH host-key algorithm signs with.</summary>
    public static string KeyTypeOf(string algorithm) => algorithm switch
    {
        "rsa-sha2-256" or "rsa-sha2-512" => "ssh-rsa",
        _ => algorithm,
    };

    /// <summary>Host-key algorithms to offer, best first: certificates left out (known_hosts checks plain keys),
    /// the types known for the host first, then the rest, less those already seen to be wrong.</summary>
    public static List<string> Preference(IEnumerable<string> supported, SftpConnectionSettings s, ISet<string> excludedKeyTypes)
    {
        var plain = supported.Where(a => !a.Contains("-cert-", StringComparison.Ordinal) && !excludedKeyTypes.Contains(KeyTypeOf(a))).ToList();
        if (s.PinnedFingerprint is not null || s.KnownHostsPath is null) return plain;
        var known = KnownHosts.For(s.KnownHostsPath, s.Host, s.Port).Where(e => !e.Revoked).Select(e => e.KeyType).ToHashSet(StringComparer.Ordinal);
        return [.. plain.Where(a => known.Contains(KeyTypeOf(a))), .. plain.Where(a => !known.Contains(KeyTypeOf(a)))];
    }

    /// <summary>Null when the key is trusted (learning it first under accept-new); else the reason it is not.</summary>
    public static SshException? Verify(SftpConnectionSettings s, string algorithm, byte[] blob)
    {
        var fingerprint = KnownHosts.Fingerprint(blob);
        var keyType = KnownHosts.KeyTypeOf(blob);
        if (s.PinnedFingerprint is { } pinned)
        {
            return string.Equals(pinned.TrimEnd('='), fingerprint, StringComparison.Ordinal) ? null
                : new SshException(SshErrorKind.HostKeyMismatch,
                    $"{s.Where}: host key does not match the pinned fingerprint: expected {pinned}, the server offers {fingerprint} ({keyType}). Refusing to connect", transient: false);
        }
        var path = s.KnownHostsPath ?? "";
        IReadOnlyList<KnownHosts.Entry> entries;
        try { entries = KnownHosts.For(path, s.Host, s.Port); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SshException(SshErrorKind.Other, $"{path}: cannot read known_hosts ({e.Message})", transient: false);
        }
        if (entries.Any(e => e.Revoked && e.Key.AsSpan().SequenceEqual(blob)))
            return new SshException(SshErrorKind.HostKeyMismatch, $"{s.Where}: host key {fingerprint} is marked @revoked in {path}. Refusing to connect", transient: false);
        var sameType = entries.Where(e => !e.Revoked && e.KeyType == keyType).ToList();
        if (sameType.Any(e => e.Key.AsSpan().SequenceEqual(blob))) return null;
        if (sameType.Count > 0)
        {
            var stored = string.Join(" or ", sameType.Select(e => KnownHosts.Fingerprint(e.Key)));
            return new SshException(SshErrorKind.HostKeyMismatch,
                $"{s.Where}: HOST KEY CHANGED: {path} has {stored}, the server offers {fingerprint} ({keyType}). Refusing to connect; if the change is expected, remove the old entry (ssh-keygen -R \"{KnownHosts.HostPattern(s.Host, s.Port)}\" -f {path})", transient: false);
        }
        if (s.HostKeyPolicy == HostKeyPolicy.AcceptNew)
        {
            try { KnownHosts.Add(path, s.Host, s.Port, blob); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new SshException(SshErrorKind.Other, $"{path}: cannot learn the host key into known_hosts ({e.Message})", transient: false);
            }
            return null;
        }
        return new SshException(SshErrorKind.HostKeyUnknown,
            $"{s.Where}: host key {fingerprint} ({keyType}) is not in {(File.Exists(path) ? path : path + " (no such file)")}; add it (ssh-keyscan -p {s.Port} {s.Host} >> {path}), pin it with fingerprint:, or set host_key_check: accept_new", transient: false);
    }
}
