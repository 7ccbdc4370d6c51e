namespace QcPipeline.Core.Stages;

/// <summary>An item that flows between stages. Its key names it in failures, traces and the run report
/// (a remote path, a file name, "name#part").</summary>
public interface IItem
{
    /// <summary>The item's name.</summary>
    string Key { get; }
}

/// <summary>Why an item failed: the stage, the item, the reason and how many attempts were made.</summary>
public sealed record Failure(string Stage, string Item, string Reason, int Attempts);

/// <summary>What a stage that sees every item (sinks, joins) receives: a value, or why there is none.
/// For a failed or skipped item, <see cref="Input"/> is the item as it was when it failed (e.g. the file
/// whose decoding failed), so that outputs can still name it.</summary>
public readonly record struct Outcome<T>(string Key, T? Value, Failure? Failure, string? SkipReason, IItem? Input = null)
{
    /// <summary>True when there is a value.</summary>
    public bool IsOk => Failure is null && SkipReason is null;
}

/// <summary>Thrown by a stage to skip an item on purpose (it is counted as skipped, with the reason).</summary>
public sealed class SkipItemException(string reason) : Exception(reason);
