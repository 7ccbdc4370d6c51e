using QcPipeline.Core.Graph;
using QcPipeline.Core.Runtime;
using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Service.Inspection;

/// <summary>
/// The warm inspection pipelines, one per product: the served job as it is (its own product, the default), and one
/// more per product file of --products. A request picks one by product name; each image is submitted to its
/// pipeline's feed and answered when its item ends.
/// </summary>
public sealed class InspectionService
{
    private readonly Dictionary<string, WarmPipeline> _pipelines;

    private InspectionService(Dictionary<string, WarmPipeline> pipelines, string defaultProduct, string? disabled)
    {
        _pipelines = pipelines; DefaultProduct = defaultProduct; Disabled = disabled;
    }

    /// <summary>Why this server inspects nothing (its job has no source an image can stand in for), or null.</summary>
    public string? Disabled { get; }

    /// <summary>The product of a request that names none.</summary>
    public string DefaultProduct { get; }

    /// <summary>Every product served, by name.</summary>
    public IReadOnlyList<string> Products => _pipelines.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>What the page shows of the answers.</summary>
    public VerdictLog Verdicts { get; } = new();

    /// <summary>Stage counters of every pipeline (for the page and /healthz).</summary>
    internal IEnumerable<WarmPipeline> Pipelines => _pipelines.Values;

    /// <summary>Starts a pipeline per product (the first is the default); with none, inspection is off for <paramref name="disabled"/>.</summary>
    internal static InspectionService Start(IReadOnlyList<(string Product, PipelineGraph Graph)> products, string outputRoot, int capacity,
        Action<string> warn, string? disabled)
    {
        var pipelines = new Dictionary<string, WarmPipeline>(StringComparer.Ordinal);
        try
        {
            foreach (var (product, graph) in products)
                pipelines[product] = WarmPipeline.Start(product, graph, Path.Combine(outputRoot, "inspect", product), capacity, warn);
        }
        catch
        {
            foreach (var p in pipelines.Values) p.Abandon();
            throw;
        }
        return new InspectionService(pipelines, products.Count > 0 ? products[0].Product : "", products.Count > 0 ? null : disabled);
    }

    /// <summary>The pipeline of <paramref name="product"/> (null or empty: the default), or null when there is none.</summary>
    internal WarmPipeline? Find(string? product) =>
        _pipelines.GetValueOrDefault(string.IsNullOrEmpty(product) ? DefaultProduct : product);

    /// <summary>Submits an image; null when its pipeline is full (the caller answers 503).</summary>
    internal Task<FedOutcome>? TrySubmit(WarmPipeline pipeline, FileContent image, System.Diagnostics.ActivityContext parent) =>
        pipeline.Feed.TrySubmit(image, parent);

    /// <summary>Pipelines that have stopped on their own (a stage failed): the server is then unhealthy.</summary>
    internal IEnumerable<string> Broken() =>
        _pipelines.Values.Where(p => p.Run.IsCompleted).Select(p => $"the pipeline of product {p.Product} has stopped" +
            (p.Run.IsCompletedSuccessfully && p.Run.Result.Error is { } e ? $": {e}" : ""));

    /// <summary>Stops every pipeline (see <see cref="WarmPipeline.StopAsync"/>).</summary>
    internal Task StopAsync() => Task.WhenAll(_pipelines.Values.Select(p => p.StopAsync()));

    /// <summary>Gives up on the images still inside.</summary>
    internal void Abandon()
    {
        foreach (var p in _pipelines.Values) p.Abandon();
    }
}
