using LiteDB;
using LiteDB.Engine;

namespace XaiGrid.Store;

/// <summary>
/// A LiteDB engine over a store's files, given as streams this class opened. Given a file name instead, LiteDB would
/// delete an empty log when an engine closes, a reading engine included, even while the writer in another process
/// appends to it. Strings compare as bytes (LiteDB's default ignores case), so experiment names and keys are exact.
/// </summary>
internal sealed class StoreEngine : IDisposable
{
    private readonly Stream _data, _log;

    private StoreEngine(LiteDatabase database, Stream data, Stream log)
    {
        Database = database;
        _data = data;
        _log = log;
    }

    public LiteDatabase Database { get; }

    public long LogBytes => _log.Length;

    public static StoreEngine OpenWriter(StoreFiles files) => Open(files, readOnly: false,
        () => new SyncedFileStream(files.Data, FileMode.OpenOrCreate), () => new SyncedFileStream(files.Log, FileMode.OpenOrCreate));

    /// <summary>Under the shared lock: the log cannot be removed between looking for it and opening it.</summary>
    public static StoreEngine OpenReader(StoreFiles files) => Open(files, readOnly: true,
        () => ReadOnlyPages.Open(files.Data), () => File.Exists(files.Log) ? ReadOnlyPages.Open(files.Log) : new MemoryStream([], writable: false));

    private static StoreEngine Open(StoreFiles files, bool readOnly, Func<Stream> openData, Func<Stream> openLog)
    {
        Stream? data = null, log = null;
        try
        {
            data = openData();
            log = openLog();
            var engine = new LiteEngine(new EngineSettings { DataStream = data, LogStream = log, ReadOnly = readOnly, Collation = Collation.Binary });
            var mapper = new BsonMapper();
            // BsonMapper makes a type's mapping visible to other threads before it has built it: threads reading their
            // first artifacts at once would see FileStorage files without their fields. Built here, on one thread.
            mapper.ToDocument(new LiteFileInfo<string>());
            return new StoreEngine(new LiteDatabase(engine, mapper, disposeOnClose: true), data, log);
        }
        catch (Exception e)
        {
            data?.Dispose();
            log?.Dispose();
            if (e is LiteException or IOException or UnauthorizedAccessException) throw Describe(files.Data, e);
            throw;
        }
    }

    /// <summary>An error of LiteDB or of the file system, with the store it is about; LiteDB's failed checks of its pages mean corruption.</summary>
    public static StoreException Describe(string path, Exception e) =>
        e is LiteException { ErrorCode: LiteException.INVALID_DATAFILE_STATE }
            ? new StoreException($"{path} is corrupt: LiteDB found {e.Message}", e)
            : new StoreException($"{path}: {e.Message}", e);

    public void Dispose()
    {
        Database.Dispose();
        _data.Dispose();
        _log.Dispose();
    }
}
