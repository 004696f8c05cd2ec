namespace XaiGrid.Store.TestWriter;

/// <summary>A seekable stream of pseudo-random bytes that holds none of them: byte i is a function of i.</summary>
public sealed class GeneratedBytes(long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, length - _position);
        for (int i = 0; i < n; i++)
        {
            ulong x = (ulong)(_position + i) * 0x9E3779B97F4A7C15UL;
            buffer[offset + i] = (byte)((x ^ (x >> 29)) >> 24);
        }
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
