using System.Diagnostics;

namespace QcPipeline.Bench;

/// <summary>
/// The tool a Unix user would reach for instead, through the same link: the site mounted with sshfs
/// (-o max_conns=16), then exiftool -fast2 -n -csv over its photos, 16 processes at once (xargs -P16).
/// Mounting is part of its time, as it is of the user's.
/// </summary>
public static class SshfsPeer
{
    public sealed record Result(int Photos, int Rows, double Seconds, long Bytes, int Connections)
    {
        public double SecondsPerPhoto => Seconds / Photos;
    }

    public static Result Run(BenchSite site, IReadOnlyList<string> folders)
    {
        var work = Directory.CreateTempSubdirectory("qcpipeline-bench-sshfs-").FullName;
        var mount = Directory.CreateDirectory(Path.Combine(work, "mnt")).FullName;
        var csv = Directory.CreateDirectory(Path.Combine(work, "csv")).FullName;
        var photos = folders.Sum(f => Directory.GetFiles(Path.Combine(site.Directory, f), "*.JPG").Length);
        var mark = site.Mark();
        var clock = Stopwatch.StartNew();
        Exec("sshfs", "-p", site.Link.Port.ToString(), "-o",
            $"ro,max_conns=16,IdentityFile={site.Server.ClientKeyPath},UserKnownHostsFile={site.Server.KnownHostsPath}," +
            $"HostKeyAlias=[127.0.0.1]:{site.Server.Port},StrictHostKeyChecking=yes,BatchMode=yes",
            $"{site.Server.User}@127.0.0.1:{site.Directory}", mount);
        try
        {
            var batch = Math.Max(1, (photos + 15) / 16); // 16 exiftool processes at once, one batch each
            var quoted = string.Join(' ', folders.Select(f => $"'{f}'"));
            Exec("bash", "-c", $"cd '{mount}' && find {quoted} -name '*.JPG' -print0 | xargs -0 -P16 -n {batch} sh -c " +
                $"'exiftool -fast2 -n -csv -GPSLatitude -GPSLongitude -GPSAltitude -DateTimeOriginal -XMP-drone-dji:RelativeAltitude \"$@\" > {csv}/$$.csv' _");
            clock.Stop();
        }
        finally { Exec("fusermount3", "-u", mount); }
        var used = site.Since(mark);
        var rows = Directory.GetFiles(csv).Sum(f => Math.Max(0, File.ReadLines(f).Count() - 1));
        Directory.Delete(work, recursive: true);
        if (rows < photos * 9 / 10) throw new InvalidOperationException($"exiftool printed {rows} rows for {photos} photos");
        return new Result(photos, rows, clock.Elapsed.TotalSeconds, used.Bytes, used.Connections);
    }

    /// <summary>The site's smallest folders, together at least <paramref name="photos"/> photos (the peer is slow).</summary>
    public static List<string> Sample(BenchSite site, int photos)
    {
        var chosen = new List<string>();
        var count = 0;
        foreach (var d in Directory.GetDirectories(site.Directory).OrderBy(d => Directory.GetFiles(d).Length).ThenBy(d => d, StringComparer.Ordinal))
        {
            if (count >= photos) break;
            chosen.Add(Path.GetFileName(d));
            count += Directory.GetFiles(d).Length;
        }
        return chosen;
    }

    private static void Exec(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{file} could not start");
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {error.Result.Trim()}");
    }
}
