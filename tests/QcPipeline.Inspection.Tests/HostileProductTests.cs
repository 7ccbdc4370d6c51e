using System.Diagnostics;
using System.Text;
using Xunit;

namespace QcPipeline.Inspection.Tests;

/// <summary>Hostile product files end as problems placed in the product file, one line each, in bounded time: never
/// an exception of YamlDotNet's, a stack overflow or a hang. The first cases were found by fuzzing the product
/// loader (fuzz/corpus/product-loader); the rest are the limits the job loader has, which products now share.</summary>
public class HostileProductTests
{
    private static string AliasBomb()
    {
        var sb = new StringBuilder("product: bomb\nl0: &l0 [x]\n");
        for (var i = 1; i <= 9; i++) sb.Append($"l{i}: &l{i} [").Append(string.Join(",", Enumerable.Repeat($"*l{i - 1}", 9))).Append("]\n");
        return sb.Append("rois: []\n").ToString();
    }

    public static TheoryData<string, string> Cases => new()
    {
        // Found by fuzzing: YamlDotNet throws these without a position (InvalidOperationException, ArgumentException).
        { "product: [unclosed\nrois:\n\t- name: x\n", "p.yaml:1:10: YAML: this { } or [ ] is not closed, or holds something that cannot be read" },
        { "- :", "p.yaml:2:1: YAML: cannot be read after this point" },
        { "!!]Y", "p.yaml:1:5: YAML: cannot be read after this point" },
        { "...\r:", "p.yaml:1:1: YAML: cannot be read after this point" },
        { "!<> :\n- ", "p.yaml:1:1: YAML: cannot be read after this point" },
        // Found by fuzzing: an anchor defined twice made a mapping contain itself (a stack overflow).
        { "a: &a [x, x]\nb: &a {*a, *a}\n", "p.yaml:2:4: YAML: the anchor &a is defined twice; give each anchor its own name" },
        { "product: p\nrois: " + new string('[', 100_000), "p.yaml:2:70: YAML: collections are nested more than 64 deep here; a product needs a few levels" },
        { AliasBomb(), "p.yaml:7:34: YAML: the file expands to more than 100,000 YAML nodes here, aliases counted at their full size; too large for a product" },
        { "", "p.yaml:1:1: the product file is empty" },
        { "product: p\nrois: []\n---\nproduct: q\n", "p.yaml:4:1: a product file holds one YAML document" },
        { "- a\n- b\n", "p.yaml:1:1: a product file is a mapping with product:, golden: and rois:" },
        // Found by fuzzing: text quoted from the file kept its line break.
        { "product: p\n\"bad\\nkey\": 1\nrois: []\n", "p.yaml:2:1: unknown key 'bad\\nkey' in the product" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_product_file_is_a_located_one_line_problem(string yaml, string expected)
    {
        using var h = new Harness();
        var clock = Stopwatch.StartNew();
        var (product, problems) = ProductLoader.Parse(Encoding.UTF8.GetBytes(yaml), h.Path_("p.yaml"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "guard against a hang only; the real cost is milliseconds");
        Assert.NotEmpty(problems);
        Assert.All(problems, d => Assert.DoesNotContain('\n', d.ToString()));
        Assert.All(problems, d => Assert.True(d.Location.Line >= 1 && d.Location.File.EndsWith("p.yaml", StringComparison.Ordinal), d.ToString()));
        Assert.Contains(problems, d => d.ToString().EndsWith(expected, StringComparison.Ordinal) || d.ToString().Contains("/" + expected, StringComparison.Ordinal));
        Assert.True(product is null || problems.Count > 0);
    }

    [Fact]
    public void A_product_file_that_is_not_utf8_is_refused_at_the_byte_that_cannot_be_read()
    {
        using var h = new Harness();
        var file = h.Path_("p.yaml");
        File.WriteAllBytes(file, [.. "product: p\ndescription: caf"u8, 0xE9, .. "\nrois: []\n"u8]);
        var d = Assert.Single(ProductLoader.Read(file).Problems);
        Assert.Equal((2, 17), (d.Location.Line, d.Location.Column));
        Assert.Equal("the product file is not UTF-8 text: byte 0xE9 here cannot be read; save the file as UTF-8", d.Message);
    }
}
