using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>One connection that many tasks use at once; a task that finds it dead says so, and the next one to
/// ask gets a new connection (opened once, however many ask at the same time).</summary>
internal sealed class SharedConnection(SftpEndpoint endpoint) : IDisposable
{
    private readonly object _gate = new();
    private Task<SftpConnection>? _current;

    public Task<SftpConnection> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_current is { IsFaulted: true } or { IsCanceled: true }) _current = null;
            return (_current ??= ConnectAndOfferAsync(ct)).WaitAsync(ct);
        }
    }

    // A fetch pool of the same server may use this connection too while it lists (see SftpEndpoint.Offer).
    private async Task<SftpConnection> ConnectAndOfferAsync(CancellationToken ct)
    {
        var connection = await endpoint.ConnectAsync(ct).ConfigureAwait(false);
        endpoint.Offer(connection);
        return connection;
    }

    /// <summary>The connection died under a task: replace it (unless that happened already).</summary>
    public void Lost(SftpConnection connection)
    {
        lock (_gate)
        {
            if (_current is { IsCompletedSuccessfully: true } t && ReferenceEquals(t.Result, connection)) _current = null;
        }
        connection.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_current is { IsCompletedSuccessfully: true } t && !endpoint.HandOver(t.Result)) t.Result.Dispose();
            _current = null;
        }
    }
}
