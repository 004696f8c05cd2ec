using LiteDB;

namespace XaiGrid.Store;

/// <summary>
/// One store file as this process uses it: every <see cref="ResultStore"/> on the file shares this, its LiteDB engine and
/// its <see cref="FileLock"/> (a process must hold exactly one lock handle per file). While some instance writes, the
/// process is the store's writer: the engine is the writer's, reads use it directly and see every write at once. Otherwise
/// the process only reads: each operation takes the shared lock and reopens the engine when the writer has written since
/// (the writer's generation changed), since a LiteDB engine knows only the log it read when it opened.
/// In the process, writes exclude reads (a read of several queries sees no write between them) and reads run together.
/// </summary>
internal sealed class SharedDatabase
{
    /// <summary>LiteDB's log is copied into the data file once it is longer than this (LiteDB's own default, 1000 pages).</summary>
    private const long CheckpointBytes = 1000 * StoreFiles.PageSize;

    private static readonly Dictionary<string, SharedDatabase> Opened = new(StringComparer.Ordinal);

    private readonly StoreFiles _files;
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private FileLock? _lock;
    private StoreEngine? _engine;
    private long _generation;
    private bool _writing;
    private int _writers, _users;
    private Exception? _failure;

    private SharedDatabase(string path) => _files = new StoreFiles(path);

    public string Path => _files.Data;

    /// <summary>The process's handle on <paramref name="path"/> (a full path) for one more instance, writing or reading.</summary>
    public static SharedDatabase Acquire(string path, bool write)
    {
        lock (Opened)
        {
            var database = Opened.GetValueOrDefault(path) ?? new SharedDatabase(path);
            database.Attach(write);
            Opened[path] = database;
            return database;
        }
    }

    public void Release(bool write)
    {
        lock (Opened)
        {
            Detach(write);
            if (_users == 0) Opened.Remove(Path);
        }
    }

    /// <summary>Under the registry's lock, which guards the counts and the mode; the gate is taken only to change the engine.</summary>
    private void Attach(bool write)
    {
        try
        {
            if (write && _writers == 0) Exclusively(StartWriting);
            // A reader checks now that the file is a store it can read, rather than at its first query.
            else if (!_writing) Read(_ => 0);
        }
        catch
        {
            if (_users == 0) Exclusively(Close);
            throw;
        }
        _users++;
        if (write) _writers++;
    }

    private void Detach(bool write)
    {
        _users--;
        if (write && --_writers == 0) Exclusively(StopWriting);
        if (_users == 0) Exclusively(Close);
    }

    private void Exclusively(Action change)
    {
        _gate.EnterWriteLock();
        try
        {
            change();
        }
        catch
        {
            // Whatever a failed change left (a handle for writing, an engine) is reopened at the next query.
            if (!_writing) Close();
            throw;
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    private void StartWriting()
    {
        // Before the lock file is made: a file that is not a store gets nothing beside it.
        _files.RequireDatabase(forWriting: true);
        // A reading process's handle was opened read-only, and a read-only handle takes only shared locks.
        if (_lock is { CanWrite: false }) Close();
        _lock ??= FileLock.Open(_files, write: true);
        _lock.TakeWriter();
        try
        {
            _lock.EnterAccess();
            try
            {
                _engine?.Dispose();
                _engine = null;
                _engine = StoreEngine.OpenWriter(_files);
                Schema.Migrate(_engine.Database, Path, Schema.Migrations);
                // LiteDB would checkpoint on its own after a commit, or when an engine closes, outside the exclusive lock.
                _engine.Database.CheckpointSize = 0;
                // A fresh random generation: readers must not take this writer's first state for one they already read.
                _generation = Random.Shared.NextInt64();
                _lock.WriteGeneration(_generation);
            }
            finally
            {
                _lock.ExitAccess();
            }
        }
        catch
        {
            _engine?.Dispose();
            _engine = null;
            _lock.ReleaseWriter();
            throw;
        }
        _writing = true;
        _failure = null;
    }

    /// <summary>
    /// Leaves the data file holding everything (a checkpoint) and the log empty and removed, unless a write failed: then
    /// the engine is not trusted to write again and what it committed stays in the log for the next open.
    /// </summary>
    private void StopWriting()
    {
        _writing = false;
        try
        {
            _lock!.EnterAccess();
            try
            {
                if (_failure is null) TryCheckpoint();
                _engine?.Dispose();
                _engine = null;
                if (_failure is null) _files.DeleteLogIfEmpty();
                _lock.WriteGeneration(Random.Shared.NextInt64());
            }
            finally
            {
                _lock.ExitAccess();
            }
        }
        finally
        {
            _lock!.ReleaseWriter();
            // Instances still reading need a read-only handle: reopened at their next query.
            Close();
        }
    }

    /// <summary>A failed checkpoint (a full disk) loses nothing: the log keeps what it would have copied.</summary>
    private void TryCheckpoint()
    {
        try
        {
            _engine!.Database.Checkpoint();
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
        }
    }

    private void Close()
    {
        _engine?.Dispose();
        _engine = null;
        _lock?.Dispose();
        _lock = null;
    }

    public T Read<T>(Func<LiteDatabase, T> body)
    {
        _gate.EnterReadLock();
        try
        {
            if (_writing) return Run(body);
        }
        finally
        {
            _gate.ExitReadLock();
        }
        _gate.EnterWriteLock();
        try
        {
            return _writing ? Run(body) : WithSharedLock(() => Run(body));
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    /// <summary>A reading process's query: under the shared lock, on an engine opened at the writer's current generation.</summary>
    private T WithSharedLock<T>(Func<T> query)
    {
        if (_lock is null)
        {
            // A file that is not a store gets no lock file beside it. Once there is one, a writer may be creating the
            // store: then only a check under the lock sees it whole.
            if (!File.Exists(_files.Lock)) _files.RequireDatabase(forWriting: false);
            _lock = FileLock.Open(_files, write: false);
        }
        _lock.EnterAccess();
        try
        {
            long generation = _lock.ReadGeneration();
            if (_engine is null || generation != _generation)
            {
                _engine?.Dispose();
                _engine = null;
                _files.RequireDatabase(forWriting: false);
                var engine = StoreEngine.OpenReader(_files);
                try
                {
                    Schema.RequireCurrent(engine.Database, Path);
                }
                catch
                {
                    engine.Dispose();
                    throw;
                }
                _engine = engine;
                _generation = generation;
            }
            return query();
        }
        finally
        {
            _lock.ExitAccess();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in one transaction under the exclusive lock: no reader in any process sees part of it.
    /// A write that fails in LiteDB's commit, or with an I/O error (a full disk), leaves the engine unfit to go on: it is
    /// closed, and this and every later operation fail with that error; what was committed before stays in the file.
    /// </summary>
    public T Write<T>(Func<LiteDatabase, T> body)
    {
        _gate.EnterWriteLock();
        try
        {
            RequireHealthy();
            if (_engine is null) throw new InvalidOperationException($"{Path}: this process does not write the store");
            _lock!.EnterAccess();
            try
            {
                var database = _engine!.Database;
                database.BeginTrans();
                T result;
                try
                {
                    result = body(database);
                }
                catch (Exception e)
                {
                    Abandon(database, e);
                    throw Describe(e);
                }
                try
                {
                    database.Commit();
                    CheckpointIfLong();
                }
                catch (Exception e)
                {
                    Fail(e);
                    throw Describe(e);
                }
                return result;
            }
            finally
            {
                _lock.WriteGeneration(++_generation);
                _lock.ExitAccess();
            }
        }
        finally
        {
            _gate.ExitWriteLock();
        }
    }

    /// <summary>
    /// Inside a write: commits what it wrote so far and goes on in a new transaction, so a large artifact never holds
    /// its pages in memory all at once. Readers still see none of it until the write ends.
    /// </summary>
    public void CommitPart(LiteDatabase database)
    {
        database.Commit();
        CheckpointIfLong();
        database.BeginTrans();
    }

    private void CheckpointIfLong()
    {
        if (_engine!.LogBytes > CheckpointBytes) _engine.Database.Checkpoint();
    }

    /// <summary>Undoes a failed write's transaction; LiteDB closes its engine itself on an I/O error.</summary>
    private void Abandon(LiteDatabase database, Exception error)
    {
        if (error is IOException)
        {
            Fail(error);
            return;
        }
        try
        {
            database.Rollback();
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>Only under the exclusive gate: no read is using the engine.</summary>
    private void Fail(Exception error)
    {
        _failure = error;
        _engine?.Dispose();
        _engine = null;
    }

    private void RequireHealthy()
    {
        if (_failure is not null)
            throw new StoreException($"{Path}: an earlier write failed ({_failure.Message}); what was stored before it is kept: " +
                "open the store again to go on", _failure);
    }

    private T Run<T>(Func<LiteDatabase, T> body)
    {
        RequireHealthy();
        try
        {
            return body(_engine!.Database);
        }
        catch (Exception e) when (e is LiteException or IOException)
        {
            // Other reads may be using the engine now: it is closed by the next write or when writing stops.
            if (_writing && e is IOException) _failure ??= e;
            throw Describe(e);
        }
    }

    /// <summary>LiteDB's and the file system's errors, with the store they are about.</summary>
    private Exception Describe(Exception e) => e switch
    {
        LiteException or IOException => StoreEngine.Describe(Path, e),
        _ => e,
    };
}
