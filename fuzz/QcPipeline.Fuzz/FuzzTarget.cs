using System.Reflection;

namespace QcPipeline.Fuzz;

/// <summary>
/// One thing to fuzz: it takes arbitrary bytes and must either accept them or reject them the way a user is
/// told (its own exception types, caught in <see cref="Run"/>); anything else escaping is a finding. Adding a
/// target is one file in Targets/: a class deriving from this, with a corpus folder fuzz/corpus/NAME.
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>The target's name on the command line and its corpus folder's name.</summary>
    public abstract string Name { get; }

    /// <summary>The assemblies SharpFuzz instruments for this target (coverage comes from these): the project's
    /// own that hold the code under test and the parser libraries it leans on.</summary>
    public abstract IReadOnlyList<string> Instrumented { get; }

    /// <summary>Feeds one input; throws only for a finding.</summary>
    public abstract void Run(byte[] input);

    /// <summary>Every target in this assembly, by name.</summary>
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = typeof(FuzzTarget).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(FuzzTarget)) && !t.IsAbstract)
        .Select(t => (FuzzTarget)Activator.CreateInstance(t)!)
        .ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The corpus folder of a target in a checkout.</summary>
    public static string CorpusOf(string checkout, string name) => Path.Combine(checkout, "fuzz", "corpus", name);
}
