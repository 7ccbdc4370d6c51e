using Xunit;

namespace QcPipeline.TestKit;

// Facts that need something outside the checkout: each skips, saying what is missing and how to get it,
// where that is absent (`./run.sh test` installs the Debian packages).

/// <summary>A fact that needs Debian's chromium.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium.Binary)) Skip = $"needs {Chromium.Binary} (Debian package chromium; `./run.sh test` installs it)";
    }
}

/// <summary>A fact that runs exiftool.</summary>
public sealed class ExiftoolFactAttribute : FactAttribute
{
    /// <summary>exiftool on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => System.IO.Path.Combine(d, "exiftool")).FirstOrDefault(File.Exists);

    public ExiftoolFactAttribute()
    {
        if (Path is null) Skip = "needs exiftool on PATH (Debian: libimage-exiftool-perl), which is not installed";
    }
}

/// <summary>A fact that needs a path under ../shared/data.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relative)
    {
        if (SharedData.Find(relative) is null)
            Skip = $"needs ../shared/data/{relative}, which is not present beside this checkout";
    }
}
