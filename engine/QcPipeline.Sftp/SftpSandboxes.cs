using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>A server a run starts for itself and reaches under a name instead of an address (host: demo).
/// Disposing it stops it.</summary>
public interface ISftpSandbox : IDisposable
{
    /// <summary>What reaches the server: its address, a user it lets in, a key, a known_hosts holding its key.</summary>
    SftpConnectionSettings Settings { get; }

    /// <summary>Where its items are said to come from (sftp://demo): fixed, unlike its port, so a second run's
    /// caches still know its files.</summary>
    string Origin { get; }
}

/// <summary>
/// The servers a connection can name as its host instead of an address: "demo" is the only name, and this family
/// knows no server for it. A program registers one when it composes its families (the QcPipeline.Demo assembly
/// registers a sandboxed sshd serving a generated survey site); without one, host: demo fails with a reason.
/// </summary>
public static class SftpSandboxes
{
    /// <summary>The host name that names the demo server.</summary>
    public const string DemoHost = "demo";

    private static Func<Action<string>, ISftpSandbox>? _demo;

    /// <summary>Sets what starts the demo server (once per run that names it, shared by its stages). It is given
    /// the run's warning channel, to say what it serves.</summary>
    public static void RegisterDemo(Func<Action<string>, ISftpSandbox> start) => Volatile.Write(ref _demo, start);

    /// <summary>Starts the demo server, or fails with a reason when this program registered none.</summary>
    public static ISftpSandbox StartDemo(Action<string> warn) =>
        (Volatile.Read(ref _demo) ?? throw new SshException(SshErrorKind.Other,
            "host: demo: this program has no demo server (the QcPipeline.Demo assembly registers it); name a real server", transient: false))(warn);
}
