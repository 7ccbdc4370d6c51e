using QcPipeline.Demo;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

/// <summary>One sandboxed sshd for the read-only tests of a class, serving a small generated tree.</summary>
public sealed class ServerFixture : IDisposable
{
    private readonly SshdSite _site;

    public ServerFixture()
    {
        Big = new byte[5 * 1024 * 1024 + 123];
        new Random(7).NextBytes(Big);
        _site = new SshdSite(content =>
        {
            File.WriteAllBytes(Path.Combine(content, "big.bin"), Big);
            File.WriteAllBytes(Path.Combine(content, "empty.jpg"), []);
            var odd = Directory.CreateDirectory(Path.Combine(content, "odd folder")).FullName;
            File.WriteAllText(Path.Combine(odd, OddName), "odd");
            File.WriteAllText(Path.Combine(odd, LongName), "long");
            var many = Directory.CreateDirectory(Path.Combine(content, "many")).FullName;
            for (var i = 0; i < ManyCount; i++) File.WriteAllText(Path.Combine(many, $"f{i:D5}.txt"), i.ToString());
        }, prefix: "qc-ssh-content-");
    }

    public const string OddName = "it's a \"quoted\" näme ✓.jpg";
    public static readonly string LongName = new string('x', 250) + ".jpg";
    public const int ManyCount = 3000;

    public string Content => _site.Content;
    public byte[] Big { get; }
    public SshdSandbox Server => _site.Server;

    public void Dispose() => _site.Dispose();
}
