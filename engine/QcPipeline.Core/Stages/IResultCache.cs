using System.Diagnostics.CodeAnalysis;

namespace QcPipeline.Core.Stages;

/// <summary>
/// A one-to-one stage that remembers its result per source item across runs (e.g. what was read of a file, keyed
/// by host, path, size and modification time). When a source produces an item whose result is remembered,
/// the engine sends the remembered result straight on from this stage: the stages before it (a fetch) are
/// skipped. Only on a plain chain of one-to-one stages from the source; --no-cache turns it off.
/// </summary>
public interface IResultCache
{
    /// <summary>The remembered result for this source item, if its identity is unchanged.</summary>
    bool TryGet(IItem source, [NotNullWhen(true)] out IItem? result);

    /// <summary>Remembers a fresh result (called by the engine after the stage succeeded).</summary>
    void Put(IItem source, IItem result);
}
