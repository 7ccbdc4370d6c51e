using QcPipeline.Demo;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>One sandboxed sshd for the read-only tests of a class, serving a small generated tree.</summary>
public sealed class ServerFixture : IDisposable
{
    public ServerFixture()
    {
        Content = Directory.CreateTempSubdirectory("qc-ssh-content-").FullName;
        File.SetUnixFileMode(Content, (UnixFileMode)0b111_101_101);
        Big = new byte[5 * 1024 * 1024 + 123];
        new Random(7).NextBytes(Big);
        File.WriteAllBytes(Path.Combine(Content, "big.bin"), Big);
        File.WriteAllBytes(Path.Combine(Content, "empty.jpg"), []);
        var odd = Directory.CreateDirectory(Path.Combine(Content, "odd folder")).FullName;
        File.WriteAllText(Path.Combine(odd, OddName), "odd");
        File.WriteAllText(Path.Combine(odd, LongName), "long");
        var many = Directory.CreateDirectory(Path.Combine(Content, "many")).FullName;
        for (var i = 0; i < ManyCount; i++) File.WriteAllText(Path.Combine(many, $"f{i:D5}.txt"), i.ToString());
        Server = new SshdSandbox(Content);
    }

    public const string OddName = "it's a \"quoted\" näme ✓.jpg";
    public static readonly string LongName = new string('x', 250) + ".jpg";
    public const int ManyCount = 3000;

    public string Content { get; }
    public byte[] Big { get; }
    public SshdSandbox Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        Directory.Delete(Content, recursive: true);
    }
}
