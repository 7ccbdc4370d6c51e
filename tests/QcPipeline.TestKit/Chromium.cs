using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace QcPipeline.TestKit;

/// <summary>Headless Chromium on a local page: its DOM after the scripts ran, a screenshot, and what it logged.</summary>
public static class Chromium
{
    public const string Binary = "/usr/bin/chromium";

    /// <summary>Runs chromium on <paramref name="page"/> with the extra switches (--dump-dom, --screenshot=…).</summary>
    public static (string Stdout, string Stderr) Run(string page, params string[] extra)
    {
        var profile = Path.Combine(Path.GetTempPath(), "qc-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(profile);
        try
        {
            var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         $"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0" })
                psi.ArgumentList.Add(a);
            foreach (var a in extra) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(new Uri(page).AbsoluteUri);
            using var proc = Process.Start(psi)!;
            var stdout = proc.StandardOutput.ReadToEndAsync();
            var stderr = proc.StandardError.ReadToEndAsync();
            if (!proc.WaitForExit(TimeSpan.FromSeconds(90))) { proc.Kill(true); throw new TimeoutException("chromium did not finish in 90 s"); }
            return (stdout.Result, stderr.Result);
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>No uncaught error, no request refused by the page's CSP, no console error.</summary>
    public static void AssertNoConsoleErrors(string stderr)
    {
        Assert.DoesNotContain("Uncaught", stderr);
        Assert.DoesNotContain("Refused to", stderr); // a blocked request (CSP) would mean the page wanted the network
        Assert.DoesNotMatch(new Regex(@":ERROR:CONSOLE|console\.error", RegexOptions.IgnoreCase), stderr);
    }

    /// <summary>The page's DOM after its scripts ran, checked to have rendered without an error.</summary>
    public static string RenderedDom(string page)
    {
        var (dom, stderr) = Run(page, "--dump-dom");
        Assert.Matches("<body[^>]*data-rendered=\"1\"", dom);
        Assert.DoesNotMatch("<body[^>]*data-render-error", dom);
        Assert.Contains("<span id=\"render-status\">rendered</span>", dom);
        AssertNoConsoleErrors(stderr);
        return dom;
    }
}
