using QcPipeline.Core.Graph;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Runtime;

/// <summary>A one-to-one stage with a resource per worker (one connection per worker, for the whole run),
/// each shared by up to ItemsPerResource items at once.</summary>
internal sealed class PooledNode : TransformNode
{
    private readonly ResourcePool<IDisposable> _pool;
    private readonly object _openGate = new();
    private Timer? _keepAlive;
    private Task? _opening;
    private CancellationToken _runToken;

    public PooledNode(RunScope run, GraphNode node, int index, StageStats stats, IStageLifecycle stage, StageContext ctx)
        : base(run, node, index, stats, stage, ctx)
    {
        _pool = new ResourcePool<IDisposable>(node.Workers, Invoker.Open, stage.IsTransient, m => Run.Warn($"{Name}: {m}"),
            node.Parallelism / Math.Max(1, node.Workers));
    }

    public int OpenResources => _pool.OpenCount;

    public override async Task StartAsync(CancellationToken ct)
    {
        await base.StartAsync(ct).ConfigureAwait(false);
        _runToken = ct;
        _pool.OpenToken = ct;
        var interval = Invoker.KeepAliveInterval;
        if (interval > TimeSpan.Zero)
            _keepAlive = new Timer(_ => _pool.ForEachIdle(Invoker.KeepAlive), null, interval, interval);
    }

    // The pool opens when the first item arrives, not at start: a run whose items all come from a cache
    // opens no connection at all. Explicit workers: all open then, in parallel. "auto": as the policy asks.
    private Task EnsureOpenAsync()
    {
        lock (_openGate)
        {
            if (_opening is { IsFaulted: true } or { IsCanceled: true }) _opening = null; // a later item tries again
            return _opening ??= OpenPoolAsync();
        }
    }

    private async Task OpenPoolAsync()
    {
        var initial = Node.WorkersAuto ? Math.Max(1, Invoker.PoolTarget(Math.Max(Run.Expected, Stats.InputSeen), false, Node.Workers)) : Node.Workers;
        try { await _pool.OpenAsync(initial, _runToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException && !Stage.IsTransient(e))
        {
            // Nothing opened, for a reason retrying does not fix (a wrong password): stop the run, no retry storm.
            Run.Stop(RunOutcome.Failed, $"stage '{Name}' could not open its connections: {Describe(e)}");
            throw;
        }
        Stats.Workers = Math.Max(Stats.Workers, _pool.Size);
    }

    internal override async ValueTask<IItem> AttemptAsync(Attempt a, CancellationToken ct)
    {
        await EnsureOpenAsync().WaitAsync(ct).ConfigureAwait(false);
        var known = Math.Max(Run.Expected, Stats.InputSeen);
        var target = Node.WorkersAuto ? Math.Clamp(Invoker.PoolTarget(known, Context.InputComplete, Node.Workers), 1, Node.Workers) : Node.Workers;
        var lease = await _pool.RentAsync(target, ct).ConfigureAwait(false);
        Stats.Workers = Math.Max(Stats.Workers, _pool.Size);
        a.Worker = lease.Slot.Index;
        var broken = false;
        try
        {
            return await Invoker.Pooled(a.Envelope.Value!, lease.Resource, a.Context(lease.Slot.Index, ct)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A cancelled item leaves a shared resource alone; one used by this item only may be mid-call: reopen it.
            broken = Invoker.IsBroken(lease.Resource, ex) || (ex is OperationCanceledException && Node.Parallelism == Node.Workers);
            throw;
        }
        finally { _pool.Return(lease, broken); }
    }

    public override void AbortInFlight()
    {
        foreach (var r in _pool.Snapshot())
        {
            try { Invoker.Abort(r); }
            catch (Exception e) { Run.Warn($"{Name}: aborting a connection failed: {Describe(e)}"); }
        }
    }

    public override async Task StopAsync()
    {
        if (_keepAlive is not null) await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        await base.StopAsync().ConfigureAwait(false);
    }
}
