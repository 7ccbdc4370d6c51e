using QcPipeline.Demo;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

public sealed class PermissionTests
{
    /// <summary>As root, sessions run as "nobody" so that file modes apply, as they would for a real user.</summary>
    [Fact]
    public async Task An_unreadable_file_is_permission_denied()
    {
        using var site = new SshdSite(content =>
        {
            var secret = Path.Combine(content, "locked.jpg");
            File.WriteAllText(secret, "x");
            File.SetUnixFileMode(secret, UnixFileMode.None);
            File.WriteAllText(Path.Combine(content, "open.jpg"), "y");
            File.SetUnixFileMode(Path.Combine(content, "open.jpg"), (UnixFileMode)0b110_100_100);
        }, loginUser: Environment.IsPrivilegedProcess ? "nobody" : null, prefix: "qc-ssh-perm-");
        using var client = await SftpConnection.ConnectAsync(site.Server.Settings());
        var e = await Assert.ThrowsAsync<SshException>(() => client.OpenAsync("locked.jpg", 4096));
        Assert.Equal(SshErrorKind.PermissionDenied, e.Kind);
        Assert.Contains("locked.jpg", e.Message);
        using var open = await client.OpenAsync("open.jpg", 4096);
        Assert.Equal("y"u8.ToArray(), await open.ReadAtAsync(0, 10));
    }
}
