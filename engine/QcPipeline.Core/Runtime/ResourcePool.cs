using System.Threading.Channels;

namespace QcPipeline.Core.Runtime;

/// <summary>
/// The per-worker resources of a pooled stage (e.g. connections to a server). Each slot is one worker's resource,
/// lent to up to <c>shares</c> items at a time (a connection may take many requests at once): the free
/// channel holds one ticket per share. Slots open lazily up to a target that may grow (the "auto" policy); a
/// slot whose resource broke is reopened (once, however many items were using it) by the next item that gets
/// it. If the server refuses connections, the pool goes on with those that opened and says so once.
/// </summary>
internal sealed class ResourcePool<T> : IAsyncDisposable where T : class, IDisposable
{
    internal sealed class Slot(int index)
    {
        public int Index { get; } = index;
        public T? Resource;
        public Task<T>? Opening;
    }

    /// <summary>A slot lent to one item, with the resource it got (which a later reopen may have replaced).</summary>
    internal readonly record struct Lease(Slot Slot, T Resource);

    private readonly Func<int, CancellationToken, ValueTask<T>> _open;
    private readonly Func<Exception, bool> _isTransient;
    private readonly Action<string> _warn;
    private readonly Channel<Slot> _free = Channel.CreateUnbounded<Slot>();
    private readonly List<Slot> _slots = [];
    private readonly object _gate = new();
    private readonly int _shares;
    private int _max;
    private bool _capped;
    private Exception? _fatal;
    private int _openCount;

    public ResourcePool(int max, Func<int, CancellationToken, ValueTask<T>> open, Func<Exception, bool> isTransient, Action<string> warn, int shares = 1)
    {
        _max = max; _open = open; _isTransient = isTransient; _warn = warn; _shares = Math.Max(1, shares);
    }

    /// <summary>Resources open with this token, not the token of the item that happened to ask first.</summary>
    public CancellationToken OpenToken { get; set; }

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
        foreach (var s in opened) WriteTickets(s, _shares);
    }

    private void WriteTickets(Slot slot, int count)
    {
        for (var i = 0; i < count; i++) _free.Writer.TryWrite(slot);
    }

    private bool IsLive(Slot slot) { lock (_gate) return _slots.Contains(slot); }

    private Slot NewSlot()
    {
        lock (_gate)
        {
            var s = new Slot(_slots.Count);
            _slots.Add(s);
            return s;
        }
    }

    /// <summary>Lends a share of a slot; grows the pool while it is below <paramref name="target"/>. The slot's
    /// resource is opened here if it is not (first use, or broken earlier); items sharing a slot wait for one open.</summary>
    public async ValueTask<Lease> RentAsync(int target, CancellationToken ct)
    {
        while (true)
        {
            if (_fatal is { } fatal) throw new ResourceUnavailableException(fatal.Message, fatal);
            if (!_free.Reader.TryRead(out var slot))
            {
                Slot? grown = null;
                lock (_gate) if (!_capped && _slots.Count < Math.Min(target, _max)) grown = NewSlot();
                if (grown is not null) WriteTickets(grown, _shares - 1);
                slot = grown ?? await _free.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            if (!IsLive(slot)) continue; // a ticket of a slot the pool gave up
            try { return new Lease(slot, await OpenedAsync(slot).WaitAsync(ct).ConfigureAwait(false)); }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (!_isTransient(e) && OpenCount == 0) _fatal = e; // nothing ever worked: fail the rest fast, no retry storm
                CapAfterRefusal(slot, e);
                throw;
            }
            catch (OperationCanceledException)
            {
                _free.Writer.TryWrite(slot);
                throw;
            }
        }
    }

    private Task<T> OpenedAsync(Slot slot)
    {
        lock (slot)
        {
            if (slot.Resource is { } open) return Task.FromResult(open);
            return slot.Opening ??= OpenSlotAsync(slot);
        }
    }

    private async Task<T> OpenSlotAsync(Slot slot)
    {
        await Task.Yield(); // run the open outside the slot's lock
        try
        {
            var resource = await _open(slot.Index, OpenToken).ConfigureAwait(false);
            Interlocked.Increment(ref _openCount);
            lock (slot) { slot.Resource = resource; slot.Opening = null; }
            return resource;
        }
        catch
        {
            lock (slot) slot.Opening = null;
            throw;
        }
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
            if (!_slots.Contains(slot)) return;
        }
        _free.Writer.TryWrite(slot);
    }

    /// <summary>Takes a share back; a broken resource is disposed (once, if no reopen replaced it yet) and reopened on next use.</summary>
    public void Return(Lease lease, bool broken)
    {
        var slot = lease.Slot;
        var dispose = false;
        if (broken)
            lock (slot)
                if (ReferenceEquals(slot.Resource, lease.Resource)) { slot.Resource = null; dispose = true; }
        if (dispose)
        {
            Interlocked.Decrement(ref _openCount);
            DisposeQuietly(lease.Resource, slot.Index);
        }
        if (IsLive(slot)) _free.Writer.TryWrite(slot);
    }

    /// <summary>Runs <paramref name="action"/> on every idle resource (all its shares free: keepalives); busy ones are left alone.</summary>
    public void ForEachIdle(Action<T> action)
    {
        var tickets = new List<Slot>();
        while (_free.Reader.TryRead(out var s)) tickets.Add(s);
        foreach (var group in tickets.GroupBy(t => t))
        {
            var s = group.Key;
            var count = group.Count();
            if (count == _shares && s.Resource is { } r)
            {
                try { action(r); }
                catch (Exception e)
                {
                    _warn($"keepalive on connection {s.Index + 1} failed ({e.Message}); it is reopened when next used");
                    Return(new Lease(s, r), broken: true);
                    count--;
                }
            }
            WriteTickets(s, count);
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

    public ValueTask DisposeAsync() => DisposeAsync(null);

    /// <summary>Closes every resource but those <paramref name="keep"/> takes over (true: no longer the pool's to close).</summary>
    public ValueTask DisposeAsync(Func<T, bool>? keep)
    {
        List<Slot> all;
        lock (_gate) all = [.. _slots];
        foreach (var s in all)
        {
            if (s.Resource is { } r)
            {
                s.Resource = null;
                Interlocked.Decrement(ref _openCount);
                if (keep?.Invoke(r) != true) DisposeQuietly(r, s.Index);
            }
        }
        _free.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The pool could never open a resource, for a reason that retrying does not fix (e.g. authentication).</summary>
public sealed class ResourceUnavailableException(string message, Exception inner) : Exception(message, inner);
