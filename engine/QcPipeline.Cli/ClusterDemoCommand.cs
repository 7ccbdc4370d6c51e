using System.CommandLine;
using System.Diagnostics;
using QcPipeline.Cluster;
using QcPipeline.Demo;
using QcPipeline.Demo.Generation;
using QcPipeline.Ssh;

namespace QcPipeline.Cli;

/// <summary>
/// `qcpipeline cluster-demo`: the scale-out in one command, on this machine — a nats-server with JetStream, the
/// demo site served by a sandboxed sshd, two worker processes, and the site-scan job run as their coordinator.
/// Everything it starts is stopped when it ends.
/// </summary>
public static class ClusterDemoCommand
{
    /// <summary>The command, for the command line.</summary>
    public static Command Create()
    {
        var job = new Option<string>("--job") { Description = "The job to run.", DefaultValueFactory = _ => "pipelines/site-scan.yaml" };
        var workers = new Option<int>("--workers") { Description = "Worker processes to start.", DefaultValueFactory = _ => 2 };
        var outDir = new Option<string?>("--out") { Description = "Output folder (default: out/JOB-TIME)." };
        var command = new Command("cluster-demo", "Start a local nats-server, worker processes and the demo site, and run site-scan distributed over them.") { job, workers, outDir };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(workers) is < 1 or > 16) { Console.Error.WriteLine("qcpipeline: --workers: 1 to 16"); return ExitCodes.Invalid; }
            try { return await RunAsync(parse.GetValue(job)!, parse.GetValue(workers), parse.GetValue(outDir)); }
            catch (Exception e) when (e is ClusterException or SshException)
            {
                Console.Error.WriteLine($"qcpipeline: {e.Message}");
                return ExitCodes.RunFailed;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string job, int workerCount, string? outDir)
    {
        using var nats = new NatsServerProcess();
        var site = Directory.CreateTempSubdirectory("qcpipeline-cluster-demo-").FullName;
        File.SetUnixFileMode(site, (UnixFileMode)0b111_101_101);
        SiteGenerator.Demo(site);
        using var sshd = new SshdSandbox(site);
        Console.Error.WriteLine($"cluster-demo: nats-server on {nats.Url}, the demo site on sftp://127.0.0.1:{sshd.Port}, {workerCount} workers");
        // The job reads where its server is from these; the coordinator expands them, workers get the result.
        foreach (var (name, value) in new Dictionary<string, string>
                 {
                     ["SFTP_HOST"] = "127.0.0.1", ["SFTP_PORT"] = sshd.Port.ToString(), ["SFTP_USER"] = sshd.User,
                     ["SFTP_KEY"] = sshd.ClientKeyPath, ["SFTP_KNOWN_HOSTS"] = sshd.KnownHostsPath,
                 })
            Environment.SetEnvironmentVariable(name, value);
        var processes = Enumerable.Range(1, workerCount).Select(i => StartWorker(nats.Url, $"demo-worker-{i}")).ToList();
        try { return await RunCommand.RunAsync(job, [], outDir, noCache: true, nats.Url); }
        finally
        {
            foreach (var p in processes) Stop(p);
            // The generated demo site: one left behind costs disk space, not correctness.
            try { Directory.Delete(site, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static Process StartWorker(string url, string id)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet") info.ArgumentList.Add(typeof(ClusterDemoCommand).Assembly.Location);
        foreach (var a in new[] { "worker", "--cluster", url, "--id", id }) info.ArgumentList.Add(a);
        info.Environment["CI"] = "true";
        var p = Process.Start(info)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [{id}] {e.Data}"); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [{id}] {e.Data}"); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    // SIGTERM, as a service manager would; killed if it does not go.
    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited) Posix.Kill(p.Id, Posix.SigTerm);
            if (!p.WaitForExit(TimeSpan.FromSeconds(15))) p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        catch (InvalidOperationException) { } // it had exited already
        p.Dispose();
    }
}

/// <summary>kill(2), to send SIGTERM to a child (Process offers only SIGKILL).</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
