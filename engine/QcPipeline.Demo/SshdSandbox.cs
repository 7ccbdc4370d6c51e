using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using QcPipeline.Ssh;

namespace QcPipeline.Demo;

/// <summary>
/// Debian's OpenSSH sshd on 127.0.0.1 at a free port, with its own host keys, client key, known_hosts and
/// config in a temporary folder, serving <c>contentDir</c> over SFTP only. It runs as whoever starts it (root
/// in CI, a normal user elsewhere) and lets only that user in. The demo site and the tests use it.
/// </summary>
public sealed class SshdSandbox : IDisposable
{
    private const string SshdPath = "/usr/sbin/sshd";
    private readonly StringBuilder _log = new();
    private Process? _sshd;

    /// <param name="contentDir">The folder served; SFTP sessions start there (relative paths are below it).</param>
    /// <param name="maxStartups">sshd's MaxStartups: how many connections may be in the handshake at once
    /// (beyond it sshd drops them), to test a server that refuses some of a pool.</param>
    /// <param name="loginUser">As root only: the (unprivileged) user sessions run as, so that file permissions
    /// apply to them as they do on a real server. Default: the current user.</param>
    /// <param name="maxSessions">sshd's MaxSessions: channels one connection may open.</param>
    public SshdSandbox(string contentDir, int maxStartups = 100, string? loginUser = null, int maxSessions = 10)
    {
        if (!File.Exists(SshdPath))
            throw new SshException(SshErrorKind.Other, $"{SshdPath} not found: install Debian's openssh-server (run.sh does)", transient: false);
        ContentDirectory = Path.GetFullPath(contentDir);
        MaxStartups = maxStartups;
        MaxSessions = maxSessions;
        Directory = System.IO.Directory.CreateTempSubdirectory("qcpipeline-sshd-").FullName;
        User = loginUser ?? Environment.UserName;
        if (Environment.IsPrivilegedProcess) System.IO.Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation folder
        ClientKeyPath = Path.Combine(Directory, "id_ed25519");
        KeyGen("-t", "ed25519", "-N", "", "-C", "qcpipeline-test", "-f", ClientKeyPath);
        var authorizedKeys = Path.Combine(Directory, "authorized_keys");
        File.Copy(ClientKeyPath + ".pub", authorizedKeys);
        if (User != Environment.UserName)
        {
            // sshd reads authorized_keys as the login user.
            File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(authorizedKeys, (UnixFileMode)0b110_100_100);
        }
        GenerateHostKeys();
        TrustCurrentHostKey();
        Port = FreePort();
        Start();
    }

    /// <summary>The folder served (full path).</summary>
    public string ContentDirectory { get; }
    /// <summary>The sandbox's own folder: keys, config, known_hosts (removed on dispose).</summary>
    public string Directory { get; }
    /// <summary>The user sessions log in as.</summary>
    public string User { get; }
    /// <summary>The port sshd listens on (127.0.0.1).</summary>
    public int Port { get; private set; }
    /// <summary>sshd's MaxStartups (see the constructor).</summary>
    public int MaxStartups { get; }
    /// <summary>sshd's MaxSessions (see the constructor).</summary>
    public int MaxSessions { get; }
    /// <summary>The private key sshd lets in (its public half is in authorized_keys).</summary>
    public string ClientKeyPath { get; }

    /// <summary>sshd's process id while it runs (its session processes are its children): for CPU accounting.</summary>
    public int? ProcessId => _sshd is { HasExited: false } p ? p.Id : null;

    /// <summary>A known_hosts file holding this server's ed25519 key (as [127.0.0.1]:port), plain (hash it with
    /// ssh-keygen -H to test hashed entries).</summary>
    public string KnownHostsPath => Path.Combine(Directory, "known_hosts");

    /// <summary>SHA256 fingerprint of the host key known_hosts trusts.</summary>
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>What sshd wrote to stderr (for a test's failure message).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Settings that log in with the sandbox's client key and check its known_hosts.</summary>
    public SftpConnectionSettings Settings() => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        User = User,
        PrivateKeyPath = ClientKeyPath,
        KnownHostsPath = KnownHostsPath,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        OperationTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Lets a further client key in: its public half (PATH.pub, as ssh-keygen writes it) joins authorized_keys.</summary>
    public void Authorize(string privateKeyPath) =>
        File.AppendAllText(Path.Combine(Directory, "authorized_keys"), File.ReadAllText(privateKeyPath + ".pub"));

    /// <summary>Makes a client key with ssh-keygen (ed25519, ecdsa, rsa; optionally with a passphrase) and lets it in.</summary>
    public string NewClientKey(string name, string type, int bits = 0, string passphrase = "")
    {
        var path = Path.Combine(Directory, name);
        KeyGen(["-t", type, .. bits > 0 ? new[] { "-b", bits.ToString() } : [], "-N", passphrase, "-C", name, "-f", path]);
        Authorize(path);
        return path;
    }

    /// <summary>Starts sshd (again, after <see cref="Kill"/>) on the same port.</summary>
    public void Start()
    {
        if (_sshd is { HasExited: false }) return;
        WriteKnownHosts();
        File.WriteAllText(Path.Combine(Directory, "sshd_config"), Config());
        for (var attempt = 0; ; attempt++)
        {
            var info = new ProcessStartInfo(SshdPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "-D", "-e", "-f", Path.Combine(Directory, "sshd_config"), "-p", Port.ToString() }) info.ArgumentList.Add(a);
            var process = Process.Start(info)!;
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            _sshd = process;
            if (WaitUntilListening(process)) return;
            process.WaitForExit(2000);
            if (attempt >= 3)
                throw new SshException(SshErrorKind.Other, $"sshd did not start on 127.0.0.1:{Port}: {Log.Trim()}", transient: false);
            Port = FreePort(); // someone took the port in between: pick another
            WriteKnownHosts();
        }
    }

    /// <summary>Kills sshd and every connection it serves at once, as a crash or reboot would.</summary>
    public void Kill()
    {
        if (_sshd is null) return;
        try { _sshd.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _sshd.WaitForExit(5000);
        _sshd.Dispose();
        _sshd = null;
    }

    /// <summary>Gives the server new host keys (it must be restarted to use them), as a reinstalled server
    /// or an attacker would; known_hosts keeps the old one.</summary>
    public void ReplaceHostKeys()
    {
        foreach (var f in System.IO.Directory.GetFiles(Directory, "host_*")) File.Delete(f);
        GenerateHostKeys();
    }

    /// <summary>Makes known_hosts hold the server's current ed25519 key (after <see cref="ReplaceHostKeys"/>).</summary>
    public void TrustCurrentHostKey()
    {
        _trusted = File.ReadAllText(Path.Combine(Directory, "host_ed25519.pub")).Split(' ')[..2];
        WriteKnownHosts();
    }

    private string[] _trusted = [];

    /// <summary>SHA256 fingerprint of the server's current ed25519 host key.</summary>
    public string ServerHostKeyFingerprint =>
        KnownHosts.Fingerprint(Convert.FromBase64String(File.ReadAllText(Path.Combine(Directory, "host_ed25519.pub")).Split(' ')[1]));

    private void WriteKnownHosts()
    {
        if (_trusted.Length < 2 || Port == 0) return;
        File.WriteAllText(KnownHostsPath, $"{KnownHosts.HostPattern("127.0.0.1", Port)} {_trusted[0]} {_trusted[1]}\n");
        HostKeyFingerprint = KnownHosts.Fingerprint(Convert.FromBase64String(_trusted[1]));
    }

    private void GenerateHostKeys()
    {
        // Both key types, with only ed25519 in known_hosts: the client must ask for the type it can verify.
        KeyGen("-t", "ed25519", "-N", "", "-f", Path.Combine(Directory, "host_ed25519"));
        KeyGen("-t", "ecdsa", "-N", "", "-f", Path.Combine(Directory, "host_ecdsa"));
    }

    private string Config()
    {
        var dir = Directory;
        return string.Join('\n',
            $"ListenAddress 127.0.0.1",
            $"HostKey {dir}/host_ed25519",
            $"HostKey {dir}/host_ecdsa",
            $"PidFile {dir}/sshd.pid",
            $"AuthorizedKeysFile {dir}/authorized_keys",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin yes",
            $"AllowUsers {User}",
            $"MaxStartups {MaxStartups}",
            $"MaxSessions {MaxSessions}",
            "LogLevel ERROR",
            "UseDNS no",
            "PrintMotd no",
            "ClientAliveInterval 0",
            $"Subsystem sftp internal-sftp -d {ContentDirectory}",
            $"ForceCommand internal-sftp -d {ContentDirectory}",
            "");
    }

    private bool WaitUntilListening(Process process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) return false;
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException) { Thread.Sleep(25); }
        }
        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void KeyGen(params string[] args)
    {
        var info = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-q");
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new SshException(SshErrorKind.Other, $"ssh-keygen {string.Join(' ', args)} failed: {error.Result.Trim()}", transient: false);
    }

    /// <summary>Kills sshd and removes the sandbox's folder.</summary>
    public void Dispose()
    {
        Kill();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
