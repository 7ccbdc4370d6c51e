using QcPipeline.Demo;

namespace QcPipeline.TestKit;

/// <summary>
/// A temporary folder served over SFTP by the sandboxed sshd on 127.0.0.1 (a real OpenSSH server, its own keys
/// and known_hosts), with the settings a job needs to reach it. Disposing stops sshd and deletes the folder.
/// </summary>
public sealed class SshdSite : IDisposable
{
    /// <param name="fill">Writes the served files into the folder before sshd starts.</param>
    /// <param name="maxStartups">sshd's MaxStartups (connections in the handshake at once).</param>
    /// <param name="loginUser">As root only: the unprivileged user sessions run as.</param>
    /// <param name="maxSessions">sshd's MaxSessions (channels per connection).</param>
    public SshdSite(Action<string>? fill = null, int maxStartups = 100, string? loginUser = null, int maxSessions = 10, string prefix = "qc-sshd-site-")
    {
        Content = TestRun.TempDir(prefix);
        File.SetUnixFileMode(Content, (UnixFileMode)0b111_101_101); // readable by a login user other than us
        try
        {
            fill?.Invoke(Content);
            Server = new SshdSandbox(Content, maxStartups, loginUser, maxSessions);
        }
        catch
        {
            DeleteContent();
            throw;
        }
    }

    /// <summary>The folder served (SFTP sessions start there).</summary>
    public string Content { get; }

    public SshdSandbox Server { get; }

    /// <summary>An sftp connection named <paramref name="name"/>, as lines of a job's connections: section (two
    /// spaces in), host key checked against the sandbox's known_hosts.</summary>
    public string ConnectionYaml(string name = "site", int? port = null) => $"""
          {name}:
            type: sftp
            host: 127.0.0.1
            port: {port ?? Server.Port}
            user: {Server.User}
            key: {Server.ClientKeyPath}
            known_hosts: {Server.KnownHostsPath}
        """;

    /// <summary>The environment the shipped pipelines read their server from (pipelines/site-scan.yaml).</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["SFTP_HOST"] = "127.0.0.1", ["SFTP_PORT"] = Server.Port.ToString(), ["SFTP_USER"] = Server.User,
        ["SFTP_KEY"] = Server.ClientKeyPath, ["SFTP_KNOWN_HOSTS"] = Server.KnownHostsPath,
    };

    public void Dispose()
    {
        Server.Dispose();
        DeleteContent();
    }

    private void DeleteContent()
    {
        try { Directory.Delete(Content, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
