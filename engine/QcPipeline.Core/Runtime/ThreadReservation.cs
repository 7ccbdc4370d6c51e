namespace QcPipeline.Core.Runtime;

/// <summary>
/// Makes sure the workers of running stages each get a thread at once. Stages that block their thread
/// (native checks, synchronous network calls) would otherwise wait for the thread pool, which grows by
/// about one thread a second, and one slow item would hold back the others. The engine, not a stage, raises
/// the pool's minimum for the workers of the runs in progress, and lowers it again when they end.
/// </summary>
internal static class ThreadReservation
{
    private static readonly object Gate = new();
    private static int _reserved;
    private static int _baseline = -1;

    /// <summary>Reserves threads for <paramref name="workers"/> workers until the result is disposed.</summary>
    public static IDisposable Reserve(int workers)
    {
        lock (Gate)
        {
            ThreadPool.GetMinThreads(out var current, out var io);
            if (_reserved == 0) _baseline = current;
            _reserved += workers;
            var wanted = _baseline + _reserved;
            if (current < wanted) ThreadPool.SetMinThreads(wanted, io);
        }
        return new Release(workers);
    }

    private sealed class Release(int workers) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 1) return;
            lock (Gate)
            {
                _reserved -= workers;
                ThreadPool.GetMinThreads(out _, out var io);
                ThreadPool.SetMinThreads(_baseline + _reserved, io);
            }
        }
    }
}
