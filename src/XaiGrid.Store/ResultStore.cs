using LiteDB;

namespace XaiGrid.Store;

/// <summary>
/// The experiment database: one LiteDB file (with LiteDB's log beside it). One process writes it, the coordinator's
/// result sink; any number of processes read it (<c>xaigrid status</c>, <c>xaigrid report</c>) while it is written and
/// see the state after some whole write, never part of one. Every instance on one file in a process shares one engine
/// (<see cref="SharedDatabase"/>), so the coordinator's reader sees each write of its result sink at once; an
/// instance may be used from several threads.
/// </summary>
public sealed partial class ResultStore : IDisposable
{
    private readonly SharedDatabase _database;
    private readonly TimeProvider _clock;
    private bool _disposed;

    public string Path => _database.Path;
    public bool ReadOnly { get; }

    private ResultStore(SharedDatabase database, bool readOnly, TimeProvider clock)
    {
        _database = database;
        ReadOnly = readOnly;
        _clock = clock;
    }

    /// <summary>
    /// Opens the store for writing, creating the file and its folder and migrating the schema as needed. Only one
    /// process at a time may write a store: a second one is refused.
    /// </summary>
    public static ResultStore Open(string path, TimeProvider? clock = null)
    {
        string full = FullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return new ResultStore(SharedDatabase.Acquire(full, write: true), readOnly: false, clock ?? TimeProvider.System);
    }

    /// <summary>Opens an existing store for reading only (report, status); it must be at this code's schema version.</summary>
    public static ResultStore OpenReadOnly(string path, TimeProvider? clock = null)
    {
        string full = FullPath(path);
        if (!File.Exists(full)) throw new StoreException($"no result store at {full}");
        return new ResultStore(SharedDatabase.Acquire(full, write: false), readOnly: true, clock ?? TimeProvider.System);
    }

    private static string FullPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return System.IO.Path.GetFullPath(path);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _database.Release(write: !ReadOnly);
    }

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Runs <paramref name="body"/> in one transaction: all of it is stored, or none.</summary>
    private T Write<T>(Func<LiteDatabase, T> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ReadOnly) throw new StoreException($"{Path} is open read-only");
        return _database.Write(body);
    }

    /// <summary>Runs several queries on one state of the store, so no write can fall between them.</summary>
    private T Read<T>(Func<LiteDatabase, T> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _database.Read(body);
    }
}
