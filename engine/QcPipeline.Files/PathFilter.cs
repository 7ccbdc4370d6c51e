using Microsoft.Extensions.FileSystemGlobbing;

namespace QcPipeline.Files;

/// <summary>Include/exclude globs over paths relative to a listing's root ("**/*.jpg", "thumbs/**").
/// Matching ignores case, as camera file names come in both.</summary>
public sealed class PathFilter
{
    private readonly Matcher _matcher = new(StringComparison.OrdinalIgnoreCase);

    /// <summary>A filter taking <paramref name="include"/> (every file when empty) less <paramref name="exclude"/>.</summary>
    public PathFilter(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        var any = false;
        foreach (var i in include) { _matcher.AddInclude(i); any = true; }
        if (!any) _matcher.AddInclude("**/*");
        foreach (var e in exclude) _matcher.AddExclude(e);
    }

    /// <summary>True when <paramref name="relativePath"/> (with / separators) is wanted.</summary>
    public bool Matches(string relativePath) => _matcher.Match(relativePath.TrimStart('/')).HasMatches;
}
