namespace QcPipeline.Service.Http;

/// <summary>
/// The bound on inspections in the server at once: a request takes a place before its body is read (a busy server
/// answers 503 before a large upload) and gives it back once answered. Never a queue beyond the bound.
/// </summary>
public sealed class Admission(int capacity)
{
    private int _pending;

    /// <summary>Places in all.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Places taken now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Takes a place; false when all are taken.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _pending) <= Capacity) return true;
        Interlocked.Decrement(ref _pending);
        return false;
    }

    /// <summary>Gives a place back.</summary>
    public void Exit() => Interlocked.Decrement(ref _pending);
}
