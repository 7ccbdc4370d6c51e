using QcPipeline.Ssh.Interop;

namespace QcPipeline.Ssh;

/// <summary>A remote file opened for reading: seekable, read-only, one caller at a time (its client's lock).</summary>
internal sealed class SftpReadStream(SftpClient client, SftpFileHandle handle, string path, int bufferBytes) : Stream
{
    private long _position;
    private long? _length;
    private bool _closed;

    public override bool CanRead => !_closed;
    public override bool CanSeek => !_closed;
    public override bool CanWrite => false;
    public override long Length => _length ??= client.Length(handle, path);

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (buffer.Length == 0) return 0;
        var n = client.ReadInto(handle, path, buffer.Length > bufferBytes ? buffer[..bufferBytes] : buffer);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        if (target != _position) client.Seek(handle, path, target); // a seek drops libssh2's read-ahead: only when needed
        _position = target;
        return target;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            _closed = true;
            try { client.Close(handle, path); }
            catch (ObjectDisposedException) { handle.Dispose(); }
        }
        base.Dispose(disposing);
    }
}
