namespace QcPipeline.Core.Runtime;

/// <summary>
/// One resource (a connection) that many operations of a stage use at the same time, for a stage that is not
/// pooled (a source): the engine's resource pool with one slot. It opens on first use, serves up to
/// <c>users</c> operations at once, and when it breaks it is reopened once, however many were using it.
/// </summary>
public sealed class SharedResource<T> : IAsyncDisposable where T : class, IDisposable
{
    private readonly ResourcePool<T> _pool;

    /// <summary>A resource opened by <paramref name="open"/> (with <paramref name="openToken"/>, not the token of
    /// the operation that asks first) for up to <paramref name="users"/> operations at once. An error that
    /// <paramref name="isTransient"/> calls final, before the resource ever opened, fails every later use at once.</summary>
    public SharedResource(Func<CancellationToken, ValueTask<T>> open, Func<Exception, bool> isTransient, int users,
        Action<string> warn, CancellationToken openToken)
    {
        _pool = new ResourcePool<T>(1, (_, ct) => open(ct), isTransient, warn, users) { OpenToken = openToken };
    }

    /// <summary>Runs <paramref name="use"/> with the resource, opening it first if need be. When it fails and
    /// <paramref name="isBroken"/> says the resource cannot serve again, it is closed and the next use opens another.</summary>
    public async Task<TResult> UseAsync<TResult>(Func<T, Task<TResult>> use, Func<T, Exception, bool> isBroken, CancellationToken ct)
    {
        var lease = await _pool.RentAsync(1, ct).ConfigureAwait(false);
        var broken = false;
        try { return await use(lease.Resource).ConfigureAwait(false); }
        catch (Exception e)
        {
            broken = isBroken(lease.Resource, e);
            throw;
        }
        finally { _pool.Return(lease, broken); }
    }

    /// <summary>Closes the resource, unless <paramref name="keep"/> takes it over (returns true: it is the caller's now).</summary>
    public ValueTask CloseAsync(Func<T, bool> keep) => _pool.DisposeAsync(keep);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
