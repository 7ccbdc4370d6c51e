namespace QcPipeline.Core.Stages;

/// <summary>
/// A fan-out that knows, from its options alone, the most children one item can have (an inspection product's
/// ROIs). A stage right after it with "workers: auto" gets no more workers than that: more could never work on
/// one item at once.
/// </summary>
public interface IBoundedFanOut
{
    /// <summary>The most children of one item, or null when it depends on the item (a tile grid).</summary>
    int? MostChildren();
}
