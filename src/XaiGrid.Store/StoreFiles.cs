namespace XaiGrid.Store;

/// <summary>
/// The files of one store: LiteDB's data file (the path the user names), LiteDB's log beside it under LiteDB's own name
/// for it (<c>results-log.db</c>, so LiteDB's tools find it too), and the lock file (<see cref="FileLock"/>).
/// </summary>
internal sealed class StoreFiles(string path)
{
    /// <summary>LiteDB 5's page: the unit of its files.</summary>
    public const int PageSize = 8192;

    // LiteDB 5's first page: this text at byte 32 and its file format, 8, at byte 59; a first byte of 1 marks an encrypted file.
    private static readonly byte[] HeaderText = "** This is a LiteDB file **"u8.ToArray();
    private const int HeaderTextAt = 32, FormatAt = 59, Format = 8;

    public string Data { get; } = path;

    public string Log { get; } = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!,
        System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    public string Lock { get; } = path + ".lock";

    /// <summary>
    /// Checks the data file before LiteDB reads it. LiteDB takes a file shorter than a page for a new database and
    /// writes one over it, so anything that is not LiteDB's is refused here and never reaches it. A writer may start
    /// from no file or an empty one; a reader needs a database.
    /// </summary>
    public void RequireDatabase(bool forWriting)
    {
        var info = new FileInfo(Data);
        if (!info.Exists || info.Length == 0)
        {
            if (forWriting) return;
            throw new StoreException(info.Exists ? $"{Data} is empty: no result store was written there yet" : $"no result store at {Data}");
        }
        if (info.Length < PageSize)
            throw new StoreException($"{Data} is not a LiteDB database: it holds {info.Length} bytes, less than LiteDB's first page ({PageSize} bytes)");
        var page = new byte[PageSize];
        using (var file = new FileStream(Data, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
            file.ReadExactly(page);
        if (page[0] == 1) throw new StoreException($"{Data} is an encrypted LiteDB database; result stores are never encrypted");
        if (!page.AsSpan(HeaderTextAt, HeaderText.Length).SequenceEqual(HeaderText))
            throw new StoreException($"{Data} is not a LiteDB database: its first page lacks LiteDB's header");
        if (page[FormatAt] != Format)
            throw new StoreException($"{Data} is a LiteDB database in file format {page[FormatAt]}; this XaiGrid reads LiteDB 5's format {Format}");
    }

    /// <summary>After a clean close the log holds nothing (all of it was checkpointed): the folder keeps only the store and its lock file.</summary>
    public void DeleteLogIfEmpty()
    {
        var log = new FileInfo(Log);
        if (log.Exists && log.Length == 0) log.Delete();
    }
}
