using System.Threading.Channels;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// The per-worker resources of a pooled stage (e.g. SFTP connections). Each slot is one worker's resource,
/// lent to one item at a time. Slots open lazily up to a target that may grow (the "auto" policy); a slot
/// whose resource broke is reopened by the next item that gets it. If the server refuses connections, the
/// pool goes on with those that opened and says so once.
/// </summary>
internal sealed class ResourcePool<T> : IAsyncDisposable where T : class, IDisposable
{
    internal sealed class Slot(int index)
    {
        public int Index { get; } = index;
        public T? Resource;
    }

    private readonly Func<int, CancellationToken, ValueTask<T>> _open;
    private readonly Func<Exception, bool> _isTransient;
    private readonly Action<string> _warn;
    private readonly Channel<Slot> _free = Channel.CreateUnbounded<Slot>();
    private readonly List<Slot> _slots = [];
    private readonly object _gate = new();
    private int _max;
    private bool _capped;
    private Exception? _fatal;
    private int _openCount;

    public ResourcePool(int max, Func<int, CancellationToken, ValueTask<T>> open, Func<Exception, bool> isTransient, Action<string> warn)
    {
        _max = max; _open = open; _isTransient = isTransient; _warn = warn;
    }

    /// <summary>Resources open right now (a metric).</summary>
    public int OpenCount => Volatile.Read(ref _openCount);

    /// <summary>Slots made so far.</summary>
    public int Size { get { lock (_gate) return _slots.Count; } }

    /// <summary>Opens <paramref name="count"/> resources in parallel; keeps those that open. Fails only if none does.</summary>
    public async Task OpenAsync(int count, CancellationToken ct)
    {
        count = Math.Min(count, _max);
        var slots = Enumerable.Range(0, count).Select(_ => NewSlot()).ToList();
        var tasks = slots.Select(async s =>
        {
            try { s.Resource = await _open(s.Index, ct).ConfigureAwait(false); Interlocked.Increment(ref _openCount); return (Exception?)null; }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested) { return e; }
        }).ToList();
        var errors = await Task.WhenAll(tasks).ConfigureAwait(false);
        var opened = slots.Where(s => s.Resource is not null).ToList();
        if (opened.Count == 0)
        {
            lock (_gate) _slots.RemoveAll(slots.Contains); // a later attempt starts afresh
            var first = errors.First(e => e is not null)!;
            if (!_isTransient(first)) _fatal = first;
            throw first;
        }
        if (opened.Count < count)
        {
            var reason = errors.First(e => e is not null)!.Message;
            lock (_gate)
            {
                _slots.RemoveAll(s => s.Resource is null);
                _max = opened.Count;
                _capped = true;
            }
            _warn($"the server accepted {opened.Count} of {count} connections; going on with {opened.Count} ({reason})");
        }
        foreach (var s in opened) _free.Writer.TryWrite(s);
    }

    private Slot NewSlot()
    {
        lock (_gate)
        {
            var s = new Slot(_slots.Count);
            _slots.Add(s);
            return s;
        }
    }

    /// <summary>Lends a slot; grows the pool while it is below <paramref name="target"/>. The slot's resource
    /// is opened here if it is not (first use, or broken earlier).</summary>
    public async ValueTask<Slot> RentAsync(int target, CancellationToken ct)
    {
        if (_fatal is { } fatal) throw new ResourceUnavailableException(fatal.Message, fatal);
        if (!_free.Reader.TryRead(out var slot))
        {
            bool grow;
            lock (_gate) grow = !_capped && _slots.Count < Math.Min(target, _max);
            slot = grow ? NewSlot() : await _free.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        if (slot.Resource is null)
        {
            try
            {
                slot.Resource = await _open(slot.Index, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _openCount);
            }
            catch (Exception e)
            {
                if (!_isTransient(e) && OpenCount == 0) _fatal = e; // nothing ever worked: fail the rest fast, no retry storm
                CapAfterRefusal(slot, e);
                throw;
            }
        }
        return slot;
    }

    // A slot that could not open is given back empty (another item may retry it later), unless other
    // slots work: then the pool shrinks to those, since the server evidently allows no more.
    private void CapAfterRefusal(Slot slot, Exception e)
    {
        lock (_gate)
        {
            var working = _slots.Count(s => s.Resource is not null);
            if (working > 0 && !_capped)
            {
                _slots.Remove(slot);
                _max = working;
                _capped = true;
                _warn($"the server refused connection {slot.Index + 1} ({e.Message}); going on with {working}");
                return;
            }
            if (working > 0 && _capped) { _slots.Remove(slot); return; }
        }
        _free.Writer.TryWrite(slot);
    }

    /// <summary>Takes the slot back; a broken resource is disposed and reopened on next use.</summary>
    public void Return(Slot slot, bool broken)
    {
        if (broken && slot.Resource is { } r)
        {
            slot.Resource = null;
            Interlocked.Decrement(ref _openCount);
            DisposeQuietly(r, slot.Index);
        }
        bool keep;
        lock (_gate) keep = _slots.Contains(slot);
        if (keep) _free.Writer.TryWrite(slot);
    }

    /// <summary>Runs <paramref name="action"/> on every idle resource (keepalives); busy ones are left alone.</summary>
    public void ForEachIdle(Action<T> action)
    {
        var idle = new List<Slot>();
        while (_free.Reader.TryRead(out var s)) idle.Add(s);
        foreach (var s in idle)
        {
            if (s.Resource is { } r)
            {
                try { action(r); }
                catch (Exception e)
                {
                    _warn($"keepalive on connection {s.Index + 1} failed ({e.Message}); it is reopened when next used");
                    Return(s, broken: true);
                    continue;
                }
            }
            _free.Writer.TryWrite(s);
        }
    }

    /// <summary>Every resource currently open (to abort blocked calls on shutdown).</summary>
    public IReadOnlyList<T> Snapshot() { lock (_gate) return _slots.Select(s => s.Resource).OfType<T>().ToList(); }

    // Closing a resource is best effort (it may be broken already); a failure is said, not thrown.
    private void DisposeQuietly(T resource, int index)
    {
        try { resource.Dispose(); }
        catch (Exception e) { _warn($"closing connection {index + 1} failed: {e.Message}"); }
    }

    public ValueTask DisposeAsync()
    {
        List<Slot> all;
        lock (_gate) all = [.. _slots];
        foreach (var s in all)
        {
            if (s.Resource is { } r)
            {
                s.Resource = null;
                Interlocked.Decrement(ref _openCount);
                DisposeQuietly(r, s.Index);
            }
        }
        _free.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The pool could never open a resource, for a reason that retrying does not fix (e.g. authentication).</summary>
public sealed class ResourceUnavailableException(string message, Exception inner) : Exception(message, inner);
