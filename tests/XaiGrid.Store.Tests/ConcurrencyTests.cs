using Microsoft.Data.Sqlite;

namespace XaiGrid.Store.Tests;

public class ConcurrencyTests
{
    private static CellResults One(double value) => new() { Scalars = new Dictionary<string, double> { ["v"] = value } };

    [Fact]
    public void A_reader_sees_committed_data_while_a_write_transaction_is_open()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        string committed = Keys.Of("committed"), uncommitted = Keys.Of("uncommitted");
        using var writer = ResultStore.Open(path);
        long experiment = writer.UpsertExperiment("grid", "grid.yaml", "").Id;
        writer.UpsertCell(experiment, new CellSpec(committed, "train", "train", "{}"));
        writer.MarkDone(committed, One(7));

        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        raw.Open();
        using var transaction = raw.BeginTransaction(deferred: false);
        using (var insert = raw.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO cells (key, stage, kind, parameters, state, created_ms) VALUES ($key, 'train', 'train', '{}', 'pending', 0)";
            insert.Parameters.AddWithValue("$key", uncommitted);
            insert.ExecuteNonQuery();
        }

        using (var reader = ResultStore.OpenReadOnly(path))
        {
            Assert.Equal([committed], reader.Cells().Select(c => c.Key));
            Assert.Equal(7, reader.Results(committed).Scalars["v"]);
            Assert.Equal(new CellCounts(0, 0, 1, 0), reader.Status().Cells);

            transaction.Commit();
            Assert.Equal([committed, uncommitted], reader.Cells().Select(c => c.Key));
        }
    }

    [Fact]
    public void Committed_data_survives_a_process_that_never_closed_the_store()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        string key = Keys.Of("cell");
        string hash;
        // The writer is left open: its commits are in the -wal file, not yet checkpointed into the database.
        var abandoned = ResultStore.Open(path);
        long experiment = abandoned.UpsertExperiment("grid", "grid.yaml", "").Id;
        abandoned.UpsertCell(experiment, new CellSpec(key, "train", "train", "{}"));
        hash = abandoned.PutArtifact([9, 8, 7], "application/x-npy");
        abandoned.MarkRunning(key, "w1");
        abandoned.MarkDone(key, new CellResults
        {
            Scalars = new Dictionary<string, double> { ["v"] = 0.5 },
            Artifacts = new Dictionary<string, string> { ["weights"] = hash },
        }, "w1");
        Assert.True(new FileInfo(path + "-wal").Length > 0);

        // What a killed process leaves on disk: the database and its WAL, without the shared-memory index.
        string copy = temp.File("after-kill/results.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        abandoned.Dispose();

        using var reopened = ResultStore.Open(copy);
        Assert.Equal(CellState.Done, reopened.GetCell(key).State);
        Assert.Equal(0.5, reopened.Results(key).Scalars["v"]);
        Assert.Equal([9, 8, 7], reopened.GetArtifact(hash).Bytes);
        Assert.Equal(1, reopened.Status().Computed);
    }
}
