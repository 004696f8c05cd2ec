namespace XaiGrid.Store;

/// <summary>
/// A file whose Flush reaches the disk. LiteDB flushes only when it needs data on disk (a new database's first page, a
/// checkpoint's pages before it empties the log), and through a stream it was handed it can only call Flush().
/// </summary>
internal sealed class SyncedFileStream(string path, FileMode mode)
    : FileStream(path, mode, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.RandomAccess)
{
    public override void Flush() => Flush(flushToDisk: true);
}
