namespace XaiGrid.Store;

/// <summary>
/// A store file as a reading process hands it to LiteDB: read-only, and as long as its whole pages. A writer killed in
/// the middle of a page leaves a partial one at the end of the log, which LiteDB would cut off (a write) before reading;
/// a reader skips it instead, and the next writer to open the store cuts it off.
/// </summary>
internal sealed class ReadOnlyPages(FileStream file) : Stream
{
    public static ReadOnlyPages Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.RandomAccess));

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => file.Length - file.Length % StoreFiles.PageSize;

    public override long Position
    {
        get => file.Position;
        set => file.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException($"{file.Name} is open read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException($"{file.Name} is open read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }
}
