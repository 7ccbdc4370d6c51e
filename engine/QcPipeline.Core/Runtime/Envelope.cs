using System.Diagnostics;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// What travels between blocks: an item (or the reason it has none) with its source item, its fan-out
/// group and its trace parent. A failed or skipped envelope keeps flowing so that sinks can record it.
/// </summary>
internal sealed class Envelope
{
    public Envelope(RootItem root, string key, IItem? value, GroupFrame? group)
    {
        Root = root; Key = key; Value = value; Group = group;
    }

    public RootItem Root { get; }
    public string Key { get; set; }
    public IItem? Value { get; set; }
    public Failure? Failure { get; set; }
    public string? SkipReason { get; set; }
    public GroupFrame? Group { get; set; }

    /// <summary>The position of this envelope among its fan-out siblings.</summary>
    public int GroupIndex { get; set; }

    /// <summary>This item's latest span, for links from joins and sinks.</summary>
    public ActivityContext Span { get; set; }

    public bool IsOk => Failure is null && SkipReason is null;

    public Envelope Clone() => new(Root, Key, Value, Group)
    {
        Failure = Failure, SkipReason = SkipReason, GroupIndex = GroupIndex, Span = Span,
    };

    // The value stays: it is the item as it was when it failed, which sinks and joins can still name.
    public void Fail(Failure failure) => Failure = failure;
    public void Skip(string reason) => SkipReason = reason;
}

/// <summary>The children of one fan-out: how many, whose, and the group they themselves belong to.</summary>
internal sealed record GroupFrame(long Id, int Size, string ParentKey, GroupFrame? Outer, ActivityContext ParentSpan);
