namespace QcPipeline.Core.Stages;

/// <summary>
/// Options of a fan-out that know the most children one item can have (an inspection product's ROIs).
/// A stage right after it with "workers: auto" gets no more workers than that: more could never work on
/// one item at once. The compiler asks the bound options, so no stage instance is needed.
/// </summary>
public interface IBoundedFanOut
{
    /// <summary>The most children of one item, or null when it depends on the item (a tile grid).</summary>
    int? MostChildren();
}

/// <summary>Options of a stage type whose "workers: auto" is not one worker per core (e.g. a connection pool's size).</summary>
public interface IAutoWorkers
{
    /// <summary>The workers "auto" resolves to.</summary>
    int AutoWorkers { get; }
}

/// <summary>Options of a pooled stage whose resource several items may use at once (a connection that takes many
/// requests at a time): the pool keeps one resource per worker, and the stage runs workers × this many items.</summary>
public interface ISharedResources
{
    /// <summary>How many items may use one resource at the same time.</summary>
    int ItemsPerResource { get; }
}
