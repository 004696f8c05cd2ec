using System.Buffers.Binary;
using System.Diagnostics;

namespace XaiGrid.Store;

/// <summary>
/// How processes share a store, through its lock file (<c>results.db.lock</c>) and two POSIX record locks on it: the
/// writer byte, held by the one writing process for as long as it writes, and the access byte, shared by readers
/// during each query and held alone by the writer during each write (its commits and checkpoints), so no reader ever
/// sees part of a write or a data file being checkpointed. The file's first 8 bytes hold the writer's generation,
/// changed after every write: a reader keeps its engine, and the pages it cached, while nothing was written.
/// A read-only handle takes shared locks, a writable one exclusive locks. Record locks belong to a process and all of
/// them go when any of its handles on the file closes, so a process keeps one FileLock per store (see
/// <see cref="SharedDatabase"/>); the kernel drops them when the process dies, kill -9 included.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private const long GenerationAt = 0, WriterByte = 8, AccessByte = 9;

    /// <summary>How long an operation waits for the other side: a reader for a write (a large artifact), a write for readers.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly FileStream _file;
    private readonly string _store;

    private FileLock(FileStream file, string store)
    {
        _file = file;
        _store = store;
    }

    public static FileLock Open(StoreFiles files, bool write)
    {
        try
        {
            // No buffering: the generation is read and written straight from and to the file.
            return new FileLock(new FileStream(files.Lock, FileMode.OpenOrCreate, write ? FileAccess.ReadWrite : FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete, bufferSize: 0), files.Data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"{files.Data}: cannot open its lock file {files.Lock}: {e.Message}", e);
        }
    }

    public bool CanWrite => _file.CanWrite;

    /// <summary>Claims the store for this process's writes; refused at once while another process writes it.</summary>
    public void TakeWriter()
    {
        if (!TryLock(WriterByte))
            throw new StoreException($"{_store} is open for writing by another process (a running coordinator or `xaigrid run`); " +
                "a store has one writer at a time");
    }

    public void ReleaseWriter() => _file.Unlock(WriterByte, 1);

    /// <summary>Waits for the access lock: shared for a read-only handle, exclusive for a writable one.</summary>
    public void EnterAccess()
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(Patience.TotalSeconds * Stopwatch.Frequency);
        for (int pause = 1; !TryLock(AccessByte); pause = Math.Min(2 * pause, 50))
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new StoreException($"{_store}: another process kept the store locked for more than {Patience.TotalSeconds:F0} s " +
                    (CanWrite ? "(a reader)" : "(the writer)"));
            Thread.Sleep(pause);
        }
    }

    public void ExitAccess() => _file.Unlock(AccessByte, 1);

    private bool TryLock(long at)
    {
        try
        {
            _file.Lock(at, 1);
            return true;
        }
        // EAGAIN or EACCES: another process holds a conflicting lock (POSIX allows either).
        catch (IOException e) when (e.HResult is 11 or 13)
        {
            return false;
        }
    }

    public long ReadGeneration()
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        return RandomAccess.Read(_file.SafeFileHandle, bytes, GenerationAt) == bytes.Length ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
    }

    public void WriteGeneration(long generation)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, generation);
        RandomAccess.Write(_file.SafeFileHandle, bytes, GenerationAt);
    }

    public void Dispose() => _file.Dispose();
}
