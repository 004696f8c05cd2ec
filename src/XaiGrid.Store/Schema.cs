using Microsoft.Data.Sqlite;

namespace XaiGrid.Store;

/// <summary>One step of the schema: applied once, in order, to bring a database from <c>Version - 1</c> to <c>Version</c>.</summary>
internal sealed record Migration(int Version, string Description, string Sql);

/// <summary>
/// The schema version lives in <c>PRAGMA user_version</c>, which SQLite keeps in the file header and changes inside
/// the migrating transaction, so a failed step leaves both tables and version as they were.
/// Times are unix milliseconds (UTC); a cell's rowid keeps planning order.
/// </summary>
internal static class Schema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "experiments, cells, dependencies, executions, results, artifacts", """
            CREATE TABLE experiments (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                file_path TEXT NOT NULL,
                definition TEXT NOT NULL,
                definition_hash TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL
            );
            CREATE TABLE cells (
                key TEXT NOT NULL PRIMARY KEY,
                stage TEXT NOT NULL,
                kind TEXT NOT NULL,
                parameters TEXT NOT NULL CHECK (json_valid(parameters)),
                state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                error TEXT,
                worker TEXT,
                created_ms INTEGER NOT NULL,
                started_ms INTEGER,
                finished_ms INTEGER,
                duration_ms INTEGER
            );
            CREATE INDEX cells_state_stage ON cells (state, stage);
            -- A cell with the same key is shared by every experiment that plans it.
            CREATE TABLE experiment_cells (
                experiment_id INTEGER NOT NULL REFERENCES experiments (id),
                cell_key TEXT NOT NULL REFERENCES cells (key),
                PRIMARY KEY (experiment_id, cell_key)
            ) WITHOUT ROWID;
            CREATE INDEX experiment_cells_cell ON experiment_cells (cell_key);
            CREATE TABLE cell_dependencies (
                cell_key TEXT NOT NULL REFERENCES cells (key),
                position INTEGER NOT NULL,
                dependency_key TEXT NOT NULL REFERENCES cells (key),
                PRIMARY KEY (cell_key, position),
                UNIQUE (cell_key, dependency_key)
            ) WITHOUT ROWID;
            CREATE INDEX cell_dependencies_dependency ON cell_dependencies (dependency_key);
            CREATE TABLE executions (
                id INTEGER PRIMARY KEY,
                cell_key TEXT NOT NULL REFERENCES cells (key),
                worker TEXT,
                started_ms INTEGER NOT NULL,
                finished_ms INTEGER,
                outcome TEXT CHECK (outcome IN ('ok', 'error', 'interrupted')),
                error TEXT,
                CHECK ((finished_ms IS NULL) = (outcome IS NULL))
            );
            CREATE INDEX executions_cell ON executions (cell_key);
            CREATE INDEX executions_open ON executions (cell_key) WHERE finished_ms IS NULL;
            -- SQLite stores a NaN REAL as NULL, so a scalar with a NULL number is NaN.
            CREATE TABLE results (
                cell_key TEXT NOT NULL REFERENCES cells (key),
                name TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('scalar', 'table')),
                number REAL,
                json TEXT,
                PRIMARY KEY (cell_key, name),
                CHECK ((kind = 'scalar' AND json IS NULL) OR (kind = 'table' AND number IS NULL AND json_valid(json)))
            ) WITHOUT ROWID;
            CREATE TABLE artifacts (
                hash TEXT NOT NULL PRIMARY KEY CHECK (length(hash) = 64),
                media_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                created_ms INTEGER NOT NULL,
                bytes BLOB NOT NULL
            );
            CREATE TABLE artifact_refs (
                cell_key TEXT NOT NULL REFERENCES cells (key),
                name TEXT NOT NULL,
                artifact_hash TEXT NOT NULL REFERENCES artifacts (hash),
                PRIMARY KEY (cell_key, name)
            ) WITHOUT ROWID;
            CREATE INDEX artifact_refs_artifact ON artifact_refs (artifact_hash);
            """),
    ];

    public static int Latest => Migrations[^1].Version;

    public static int Version(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar());
    }

    /// <summary>Applies the steps past the file's version in one immediate transaction, so two processes opening the same new file migrate it once.</summary>
    public static void Migrate(SqliteConnection connection, string path, IReadOnlyList<Migration> steps)
    {
        CheckOrdered(steps);
        int latest = steps.Count == 0 ? 0 : steps[^1].Version;
        using var transaction = connection.BeginTransaction(deferred: false);
        int version = Version(connection, transaction);
        RequireNotNewer(version, latest, path);
        if (version == latest) return;
        foreach (var step in steps.Where(s => s.Version > version))
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // PRAGMA takes no parameters; the version is our own constant, never input.
            command.CommandText = step.Sql + $";\nPRAGMA user_version = {step.Version};";
            try
            {
                command.ExecuteNonQuery();
            }
            catch (SqliteException e)
            {
                throw new StoreException($"{path}: migrating the schema to version {step.Version} ({step.Description}) failed: {e.Message}", e);
            }
        }
        transaction.Commit();
    }

    /// <summary>A reader cannot migrate, so it needs the file at exactly the version this code knows.</summary>
    public static void RequireCurrent(SqliteConnection connection, string path)
    {
        int version = Version(connection);
        RequireNotNewer(version, Latest, path);
        if (version < Latest)
            throw new StoreException($"{path} has schema version {version}, older than this XaiGrid's {Latest}: open it once for writing (e.g. run the coordinator) to migrate it");
    }

    private static void RequireNotNewer(int version, int latest, string path)
    {
        if (version > latest)
            throw new StoreException($"{path} has schema version {version}, written by a newer XaiGrid; this one knows versions up to {latest}");
    }

    private static void CheckOrdered(IReadOnlyList<Migration> steps)
    {
        for (int i = 0; i < steps.Count; i++)
            if (steps[i].Version != i + 1)
                throw new InvalidOperationException($"migration {i} has version {steps[i].Version}, expected {i + 1}: steps must be numbered 1, 2, ... in order");
    }
}
