using Microsoft.Data.Sqlite;

namespace XaiGrid.Store.Tests;

public class SchemaTests
{
    private static readonly string[] Tables =
        ["artifact_refs", "artifacts", "cell_dependencies", "cells", "executions", "experiment_cells", "experiments", "results"];

    private static SqliteConnection Raw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<string> TableNames(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public void Open_creates_folder_and_schema_in_wal_mode_and_reopens_without_migrating_again()
    {
        using var temp = new TempFolder();
        string path = temp.File("nested/deeper/results.db");
        using (var store = ResultStore.Open(path))
        {
            var experiment = store.UpsertExperiment("grid", "experiments/grid.yaml", "name: grid\n");
            store.UpsertCell(experiment.Id, new CellSpec(Keys.Of("a"), "train", "train", "{}"));
        }
        using (var raw = Raw(path))
        {
            Assert.Equal(Tables, TableNames(raw));
            Assert.Equal((long)Schema.Latest, Scalar(raw, "PRAGMA user_version"));
            Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode"));
        }
        using (var again = ResultStore.Open(path))
        {
            Assert.Single(again.Experiments());
            Assert.Equal(Keys.Of("a"), Assert.Single(again.Cells()).Key);
        }
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused_with_both_versions_named()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        ResultStore.Open(path).Dispose();
        int newer = Schema.Latest + 1;
        using (var raw = Raw(path)) Scalar(raw, $"PRAGMA user_version = {newer}");

        var write = Assert.Throws<StoreException>(() => ResultStore.Open(path));
        Assert.Contains($"schema version {newer}", write.Message);
        Assert.Contains($"up to {Schema.Latest}", write.Message);
        Assert.Contains(path, write.Message);
        Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(path));
        using (var raw = Raw(path)) Assert.Equal((long)newer, Scalar(raw, "PRAGMA user_version"));
    }

    [Fact]
    public void Migration_applies_only_the_steps_past_the_file_version_in_order()
    {
        using var temp = new TempFolder();
        using var raw = Raw(temp.File("m.db"));
        Migration[] first = [new(1, "t", "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)")];
        Migration[] both = [.. first, new(2, "t gets y", "ALTER TABLE t ADD COLUMN y INTEGER; UPDATE t SET y = x * 10")];

        Schema.Migrate(raw, "m.db", first);
        Assert.Equal(1L, Scalar(raw, "PRAGMA user_version"));
        // Step 1 re-run would fail on CREATE TABLE and insert a second row; only step 2 may run.
        Schema.Migrate(raw, "m.db", both);
        Assert.Equal(2L, Scalar(raw, "PRAGMA user_version"));
        Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM t"));
        Assert.Equal(10L, Scalar(raw, "SELECT y FROM t"));
        Schema.Migrate(raw, "m.db", both);
        Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_failing_step_rolls_back_every_step_of_that_open()
    {
        using var temp = new TempFolder();
        using var raw = Raw(temp.File("m.db"));
        Migration[] steps = [new(1, "t", "CREATE TABLE t (x INTEGER)"), new(2, "broken", "ALTER TABLE missing ADD COLUMN y INTEGER")];

        var error = Assert.Throws<StoreException>(() => Schema.Migrate(raw, "m.db", steps));
        Assert.Contains("version 2 (broken)", error.Message);
        Assert.Equal(0L, Scalar(raw, "PRAGMA user_version"));
        Assert.Empty(TableNames(raw));
    }

    [Fact]
    public void Misnumbered_steps_are_a_programming_error()
    {
        using var temp = new TempFolder();
        using var raw = Raw(temp.File("m.db"));
        Assert.Throws<InvalidOperationException>(() => Schema.Migrate(raw, "m.db", [new(2, "skips 1", "SELECT 1")]));
    }

    [Fact]
    public void A_file_that_is_not_a_database_and_a_missing_file_for_reading_are_clear_errors()
    {
        using var temp = new TempFolder();
        string junk = temp.File("junk.db");
        File.WriteAllText(junk, new string('x', 4096));
        var error = Assert.Throws<StoreException>(() => ResultStore.Open(junk));
        Assert.Contains(junk, error.Message);

        string missing = temp.File("missing.db");
        Assert.Contains(missing, Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(missing)).Message);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void A_read_only_store_refuses_writes()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        ResultStore.Open(path).Dispose();
        using var reader = ResultStore.OpenReadOnly(path);
        Assert.Throws<StoreException>(() => reader.UpsertExperiment("x", "x.yaml", ""));
        Assert.Throws<StoreException>(() => reader.PutArtifact([1], "application/octet-stream"));
    }
}
