using LiteDB;

namespace XaiGrid.Store;

/// <summary>One step of the schema: applied once, in order, to bring a database from <c>Version - 1</c> to <c>Version</c>.</summary>
internal sealed record Migration(int Version, string Description, Action<LiteDatabase> Apply);

/// <summary>
/// The schema version lives in LiteDB's <c>UserVersion</c>, in the file's header. LiteDB sets it only outside a
/// transaction, so each step commits its changes first and the version after them: a process killed in between runs
/// that step again at the next open, and every step must be harmless to run twice (an index ensured twice is one index).
/// A step that fails leaves its own changes undone and the version at the step before.
/// </summary>
internal static class Schema
{
    public const string Experiments = "experiments", Cells = "cells", Executions = "executions", Results = "results";

    /// <summary>Artifacts are LiteDB FileStorage files: a document per file in the first, its 255 KB chunks in the second.</summary>
    public const string ArtifactFiles = "artifacts", ArtifactChunks = "artifact_chunks";

    private static readonly string[] Collections = [Experiments, Cells, Executions, Results, ArtifactFiles, ArtifactChunks];

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        // Cells and results are keyed by the cell's content key (_id, LiteDB's unique primary index), experiments and
        // executions by LiteDB's auto-incremented _id, artifact files by their hash; these are the other indexes.
        new(1, "experiments by name, cells in planning order, executions by cell", database =>
        {
            database.GetCollection(Experiments).EnsureIndex("name", "$.name", unique: true);
            database.GetCollection(Cells).EnsureIndex("seq", "$.seq", unique: true);
            database.GetCollection(Executions).EnsureIndex("cell", "$.cell");
        }),
    ];

    public static int Latest => Migrations[^1].Version;

    /// <summary>Applies the steps past the file's version; the caller holds the store's exclusive lock.</summary>
    public static void Migrate(LiteDatabase database, string path, IReadOnlyList<Migration> steps)
    {
        CheckOrdered(steps);
        int latest = steps.Count == 0 ? 0 : steps[^1].Version;
        int version = database.UserVersion;
        RequireNotNewer(version, latest, path);
        if (version == 0)
        {
            // A fresh file has no collections, and a store killed during its first step only some of ours.
            var foreign = database.GetCollectionNames().Except(Collections).Order(StringComparer.Ordinal).ToList();
            if (foreign.Count > 0)
                throw new StoreException($"{path} is a LiteDB database but not a result store: it holds collections {string.Join(", ", foreign)}");
        }
        foreach (var step in steps.Where(s => s.Version > version))
        {
            database.BeginTrans();
            try
            {
                step.Apply(database);
                database.Commit();
            }
            catch (Exception e)
            {
                database.Rollback();
                throw new StoreException($"{path}: migrating the schema to version {step.Version} ({step.Description}) failed: {e.Message}", e);
            }
            database.UserVersion = step.Version;
        }
    }

    /// <summary>A reader cannot migrate, so it needs the file at exactly the version this code knows.</summary>
    public static void RequireCurrent(LiteDatabase database, string path)
    {
        int version = database.UserVersion;
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
