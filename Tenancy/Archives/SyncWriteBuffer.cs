namespace TieredTenancy.Tenancy.Archives;

/// <summary>
/// Zip writes a few bytes synchronously when an entry closes (its last compressed block, its data
/// descriptor), even through the asynchronous API, and an HTTP response refuses synchronous writes.
/// This holds those bytes and sends them ahead of the next asynchronous write (or the final flush),
/// so an archive can be written straight into a response. Everything else passes through at once.
/// </summary>
public sealed class SyncWriteBuffer(Stream inner) : Stream
{
    private readonly MemoryStream _held = new();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => _held.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _held.Write(buffer);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await SendHeldAsync(cancellationToken);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendHeldAsync(cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    // Called synchronously by the zip writer between entries; what it held goes out with the next async call.
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task SendHeldAsync(CancellationToken cancellationToken)
    {
        if (_held.Length > 0)
        {
            await inner.WriteAsync(_held.GetBuffer().AsMemory(0, (int)_held.Length), cancellationToken);
            _held.SetLength(0);
        }
    }
}
