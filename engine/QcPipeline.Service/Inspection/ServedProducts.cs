using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;
using QcPipeline.Inspection;

namespace QcPipeline.Service.Inspection;

/// <summary>
/// The pipelines a server keeps warm: the served job as it is (its product is the default), and the same job once
/// per product file of the products folder (NAME.yaml is product NAME), its roi.fanout pointed at that file. Every
/// job and product is checked before the server listens: a mistake is a located line, and the server does not start.
/// </summary>
internal static class ServedProducts
{
    /// <summary>Pipelines, at most (each has its own workers).</summary>
    public const int MaxProducts = 32;

    /// <summary>The compiled pipelines, default first; none when the job has no source an image can stand in for.</summary>
    public static IReadOnlyList<(string Product, PipelineGraph Graph)> Compile(ServiceSettings settings, StageRegistry registry,
        out PipelineGraph served, out string? disabled)
    {
        var loader = new JobLoader(registry);
        served = GraphCompiler.Compile(loader.Load(settings.JobFile, settings.Overrides));
        if (WarmPipeline.FeedableSource(served, out disabled) is null) return [];
        var fanout = served.Nodes.FirstOrDefault(n => n.Descriptor.StageClass == typeof(RoiFanOutStage));
        var ownProduct = fanout?.Definition.Options is RoiFanOutOptions { Product.Length: > 0 } o ? Path.GetFullPath(o.Product) : null;
        var name = ownProduct is not null ? Path.GetFileNameWithoutExtension(ownProduct) : served.Job.Name;
        var products = new List<(string, PipelineGraph)> { (name, served) };
        if (settings.ProductsDirectory is not { } dir) return products;
        if (fanout is null)
            throw Invalid(settings.JobFile, $"--products: job {served.Job.Name} has no roi.fanout stage to give the products to");
        var files = Directory.EnumerateFiles(Path.GetFullPath(dir), "*.yaml").Order(StringComparer.Ordinal).ToList();
        if (files.Count > MaxProducts) throw Invalid(dir, $"--products: {files.Count} product files; at most {MaxProducts} are served at once");
        var problems = new List<Diagnostic>();
        foreach (var file in files.Where(f => f != ownProduct))
        {
            try { products.Add((Path.GetFileNameWithoutExtension(file), GraphCompiler.Compile(loader.Load(settings.JobFile, [.. settings.Overrides, $"stages.{fanout.Name}.product={file}"])))); }
            catch (JobInvalidException e) { problems.AddRange(e.Diagnostics); }
        }
        if (problems.Count > 0) throw new JobInvalidException(problems);
        return products;
    }

    private static JobInvalidException Invalid(string where, string message) =>
        new([new Diagnostic(SourceLocation.Of(where), message)]);
}
