namespace QcPipeline.TestKit;

/// <summary>
/// Finds the real data in ../shared/data beside the checkout. That data is not part of the
/// project: tests that need it skip with a clear reason where it is absent.
/// </summary>
public static class SharedData
{
    /// <summary>The shared data folder, or null when no checkout-adjacent copy exists.
    /// QCPIPELINE_SHARED_DATA overrides the search.</summary>
    public static string? Root { get; } = Locate();

    /// <summary>A path under the shared data folder, or null when it is absent.</summary>
    public static string? Find(string relative)
    {
        if (Root is null) return null;
        var path = Path.Combine(Root, relative);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("QCPIPELINE_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
        // Walk up from the test binaries to the checkout, then look beside it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QcPipeline.sln")))
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "data");
                return Directory.Exists(candidate) ? Path.GetFullPath(candidate) : null;
            }
        }
        return null;
    }
}

/// <summary>The checkout's root folder (where QcPipeline.sln is).</summary>
public static class Checkout
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QcPipeline.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find QcPipeline.sln above " + AppContext.BaseDirectory);
    }
}
