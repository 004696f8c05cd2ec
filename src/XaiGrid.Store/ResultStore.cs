using Microsoft.Data.Sqlite;

namespace XaiGrid.Store;

/// <summary>
/// The experiment database: one SQLite file in WAL mode. The coordinator's result sink holds the one writing
/// instance; reports and status open their own (read-only) instances and read committed data while it writes.
/// An instance owns one connection and, like it, is not thread-safe.
/// </summary>
public sealed partial class ResultStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _clock;
    private SqliteTransaction? _transaction;

    public string Path { get; }
    public bool ReadOnly { get; }

    private ResultStore(SqliteConnection connection, string path, bool readOnly, TimeProvider clock)
    {
        _connection = connection;
        Path = path;
        ReadOnly = readOnly;
        _clock = clock;
    }

    /// <summary>Opens the store for writing, creating the file and its folder and migrating the schema as needed.</summary>
    public static ResultStore Open(string path, TimeProvider? clock = null)
    {
        string full = FullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return Connect(full, SqliteOpenMode.ReadWriteCreate, clock, connection =>
        {
            string mode = Convert.ToString(Pragma(connection, "journal_mode = WAL"))!;
            if (!mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
                throw new StoreException($"{full}: SQLite refused WAL mode (journal mode is '{mode}'); readers would block the writer");
            // In WAL mode NORMAL loses no committed transaction on a process crash, only possibly the last ones on power loss,
            // and then those cells are merely computed again.
            Pragma(connection, "synchronous = NORMAL");
            Pragma(connection, "foreign_keys = ON");
            Schema.Migrate(connection, full, Schema.Migrations);
        });
    }

    /// <summary>Opens an existing store for reading only (report, status); it must be at this code's schema version.</summary>
    public static ResultStore OpenReadOnly(string path, TimeProvider? clock = null)
    {
        string full = FullPath(path);
        if (!File.Exists(full)) throw new StoreException($"no result store at {full}");
        return Connect(full, SqliteOpenMode.ReadOnly, clock, connection => Schema.RequireCurrent(connection, full));
    }

    private static string FullPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return System.IO.Path.GetFullPath(path);
    }

    private static ResultStore Connect(string path, SqliteOpenMode mode, TimeProvider? clock, Action<SqliteConnection> prepare)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            // The store keeps its one connection for its lifetime; a pool would only keep the file open after Dispose.
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // A reader may meet a checkpoint, the writer a migrating second process: wait rather than fail.
            Pragma(connection, "busy_timeout = 10000");
            prepare(connection);
            return new ResultStore(connection, path, mode == SqliteOpenMode.ReadOnly, clock ?? TimeProvider.System);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StoreException($"cannot open result store {path}: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static object? Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        return command.ExecuteScalar();
    }

    public void Dispose() => _connection.Dispose();

    private long NowMs() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : Time(reader.GetInt64(column));

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private SqliteCommand Command(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private int Execute(string sql, params ReadOnlySpan<(string, object?)> parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params ReadOnlySpan<(string, object?)> parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params ReadOnlySpan<(string, object?)> parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }

    /// <summary>Runs <paramref name="body"/> in one immediate transaction: all of it is stored, or none.</summary>
    private T Write<T>(Func<T> body)
    {
        if (ReadOnly) throw new StoreException($"{Path} is open read-only");
        return InTransaction(body, deferred: false);
    }

    /// <summary>Runs several queries on one snapshot, so a concurrent writer's commit cannot fall between them.</summary>
    private T Read<T>(Func<T> body) => InTransaction(body, deferred: true);

    private T InTransaction<T>(Func<T> body, bool deferred)
    {
        if (_transaction is not null) throw new InvalidOperationException("result store transactions do not nest");
        using var transaction = _connection.BeginTransaction(deferred);
        _transaction = transaction;
        try
        {
            var result = body();
            transaction.Commit();
            return result;
        }
        finally
        {
            _transaction = null;
        }
    }
}
