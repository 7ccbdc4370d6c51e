using QcPipeline.Demo;
using QcPipeline.Ssh;

namespace QcPipeline.Ssh.Tests;

public sealed class PermissionTests
{
    /// <summary>As root, sessions run as "nobody" so that file modes apply, as they would for a real user.</summary>
    [Fact]
    public async Task An_unreadable_file_is_permission_denied()
    {
        var content = Directory.CreateTempSubdirectory("qc-ssh-perm-").FullName;
        try
        {
            File.SetUnixFileMode(content, (UnixFileMode)0b111_101_101);
            var secret = Path.Combine(content, "locked.jpg");
            File.WriteAllText(secret, "x");
            File.SetUnixFileMode(secret, UnixFileMode.None);
            File.WriteAllText(Path.Combine(content, "open.jpg"), "y");
            File.SetUnixFileMode(Path.Combine(content, "open.jpg"), (UnixFileMode)0b110_100_100);
            using var server = new SshdSandbox(content, loginUser: Environment.IsPrivilegedProcess ? "nobody" : null);
            using var client = await SftpConnection.ConnectAsync(server.Settings());
            var e = await Assert.ThrowsAsync<SshException>(() => client.OpenAsync("locked.jpg", 4096));
            Assert.Equal(SshErrorKind.PermissionDenied, e.Kind);
            Assert.Contains("locked.jpg", e.Message);
            using var open = await client.OpenAsync("open.jpg", 4096);
            Assert.Equal("y"u8.ToArray(), await open.ReadAtAsync(0, 10));
        }
        finally { Directory.Delete(content, recursive: true); }
    }
}
