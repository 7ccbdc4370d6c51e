using QcPipeline.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace QcPipeline.Fuzz.Tests;

/// <summary>The short, deterministic fuzz run: every target over its committed corpus, then a few thousand
/// seeded mutations of it. Nothing but the target's own rejections may escape (./run.sh fuzz NAME runs AFL++).</summary>
public class CorpusTests(ITestOutputHelper output)
{
    /// <summary>Mutated inputs per target.</summary>
    private const int Mutations = 3000;

    public static TheoryData<string> Targets => [.. FuzzTarget.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_corpus_and_seeded_mutations_of_it_raise_nothing_unexpected(string name)
    {
        var target = FuzzTarget.All[name];
        var corpus = Directory.GetFiles(FuzzTarget.CorpusOf(Checkout.Root, name)).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).ToList();
        Assert.True(corpus.Count >= 5, $"fuzz/corpus/{name} holds too few seeds");
        var findings = new List<string>();
        void Try(byte[] input, string what)
        {
            try { target.Run(input); }
            catch (Exception e) { findings.Add($"{what}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
        }
        for (var i = 0; i < corpus.Count; i++) Try(corpus[i], $"seed {i}");
        var mutator = new Mutator(seed: 20261202);
        var random = new Random(7);
        for (var i = 0; i < Mutations; i++)
        {
            var input = mutator.Mutate(corpus[random.Next(corpus.Count)], corpus[random.Next(corpus.Count)]);
            Try(input, $"mutation {i} ({Convert.ToBase64String(input.AsSpan(0, Math.Min(input.Length, 120)))})");
        }
        output.WriteLine($"{name}: {corpus.Count} seeds and {Mutations} mutations, {findings.Count} findings");
        Assert.True(findings.Count == 0, string.Join("\n", findings.Take(10)));
    }
}
