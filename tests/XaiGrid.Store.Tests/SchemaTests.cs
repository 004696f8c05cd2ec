using LiteDB;

namespace XaiGrid.Store.Tests;

public class SchemaTests
{
    /// <summary>The file as LiteDB itself opens it, with no store open on it.</summary>
    private static LiteDatabase Raw(string path) => new(new ConnectionString { Filename = path, Collation = Collation.Binary });

    /// <summary>A database of LiteDB's own in memory, for migration steps of the tests' own.</summary>
    private static LiteDatabase InMemory() => new(new MemoryStream());

    [Fact]
    public void Open_creates_folder_and_collections_and_reopens_without_migrating_again()
    {
        using var temp = new TempFolder();
        string path = temp.File("nested/deeper/results.db");
        string hash;
        using (var store = ResultStore.Open(path))
        {
            var experiment = store.UpsertExperiment("grid", "experiments/grid.yaml", "name: grid\n");
            store.UpsertCell(experiment.Id, new CellSpec(Keys.Of("a"), "train", "train", "{}"));
            hash = store.PutArtifact([1, 2], "application/x-npy");
            store.MarkDone(Keys.Of("a"), new CellResults { Artifacts = new Dictionary<string, string> { ["a"] = hash } });
        }
        // A clean close leaves the store and its lock file, LiteDB's log checkpointed and removed.
        Assert.Equal(["results.db", "results.db.lock"], Directory.GetFiles(temp.File("nested/deeper")).Select(Path.GetFileName).Order());
        using (var raw = Raw(path))
        {
            Assert.Equal(["artifact_chunks", "artifacts", "cells", "executions", "experiments", "results"], raw.GetCollectionNames().Order());
            Assert.Equal(Schema.Latest, raw.UserVersion);
            // LiteDB never checkpoints on its own: only the store does, under its lock.
            Assert.Equal(0, raw.CheckpointSize);
            Assert.Equal(Keys.Of("a"), raw.GetCollection(Schema.Cells).FindAll().Single()["_id"].AsString);
        }
        using (var again = ResultStore.Open(path))
        {
            Assert.Single(again.Experiments());
            Assert.Equal(Keys.Of("a"), Assert.Single(again.Cells()).Key);
            Assert.Equal([1, 2], again.GetArtifact(hash).Bytes);
        }
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused_with_both_versions_named_and_kept_as_it_is()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        ResultStore.Open(path).Dispose();
        int newer = Schema.Latest + 1;
        using (var raw = Raw(path)) raw.UserVersion = newer;
        byte[] before = File.ReadAllBytes(path);

        var write = Assert.Throws<StoreException>(() => ResultStore.Open(path));
        Assert.Contains($"schema version {newer}", write.Message);
        Assert.Contains($"up to {Schema.Latest}", write.Message);
        Assert.Contains(path, write.Message);
        Assert.Contains($"schema version {newer}", Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(path)).Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        using (var raw = Raw(path)) Assert.Equal(newer, raw.UserVersion);
    }

    [Fact]
    public void An_older_database_is_migrated_by_a_writer_and_refused_by_a_reader()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        using (var raw = Raw(path)) raw.GetCollection(Schema.Cells).Insert(new BsonDocument { ["_id"] = Keys.Of("x") });
        var read = Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(path));
        Assert.Contains($"schema version 0, older than this XaiGrid's {Schema.Latest}", read.Message);
        ResultStore.Open(path).Dispose();
        using (var raw = Raw(path)) Assert.Equal(Schema.Latest, raw.UserVersion);
    }

    [Fact]
    public void Migration_applies_only_the_steps_past_the_file_version_in_order()
    {
        using var database = InMemory();
        var runs = new List<int>();
        Migration[] first = [new(1, "t", d => { runs.Add(1); d.GetCollection("t").Insert(new BsonDocument { ["_id"] = 1, ["x"] = 1 }); })];
        Migration[] both = [.. first, new(2, "t gets y", d =>
        {
            runs.Add(2);
            var t = d.GetCollection("t");
            var row = t.FindById(1);
            row["y"] = row["x"].AsInt32 * 10;
            t.Update(row);
        })];

        Schema.Migrate(database, "m.db", first);
        Assert.Equal(1, database.UserVersion);
        // Step 1 re-run would fail on its duplicate _id; only step 2 may run.
        Schema.Migrate(database, "m.db", both);
        Assert.Equal(2, database.UserVersion);
        Assert.Equal(10, database.GetCollection("t").FindById(1)["y"].AsInt32);
        Schema.Migrate(database, "m.db", both);
        Assert.Equal([1, 2], runs);
    }

    [Fact]
    public void A_failing_step_undoes_its_own_changes_and_leaves_the_version_of_the_step_before()
    {
        using var database = InMemory();
        Migration[] steps =
        [
            new(1, "t", d => d.GetCollection("t").Insert(new BsonDocument { ["_id"] = 1 })),
            new(2, "broken", d =>
            {
                d.GetCollection("u").Insert(new BsonDocument { ["_id"] = 1 });
                throw new InvalidOperationException("step 2 cannot go on");
            }),
        ];

        var error = Assert.Throws<StoreException>(() => Schema.Migrate(database, "m.db", steps));
        Assert.Contains("m.db: migrating the schema to version 2 (broken) failed: step 2 cannot go on", error.Message);
        Assert.Equal(1, database.UserVersion);
        Assert.Equal(["t"], database.GetCollectionNames());
    }

    [Fact]
    public void Every_shipped_step_can_run_twice()
    {
        // A process killed between a step's commit and its version runs the step again at the next open.
        using var database = InMemory();
        foreach (var step in Schema.Migrations)
        {
            step.Apply(database);
            step.Apply(database);
        }
        Schema.Migrate(database, "m.db", Schema.Migrations);
        Assert.Equal(Schema.Latest, database.UserVersion);
    }

    [Fact]
    public void Misnumbered_steps_are_a_programming_error()
    {
        using var database = InMemory();
        Assert.Throws<InvalidOperationException>(() => Schema.Migrate(database, "m.db", [new(2, "skips 1", _ => { })]));
    }

    [Theory]
    [InlineData(4096, "less than LiteDB's first page")]
    [InlineData(20000, "lacks LiteDB's header")]
    public void A_file_that_is_not_a_database_is_refused_untouched_and_nothing_is_made_beside_it(int length, string expected)
    {
        using var temp = new TempFolder();
        string junk = temp.File("junk.db");
        File.WriteAllText(junk, new string('x', length));
        foreach (var open in new Func<string, ResultStore>[] { p => ResultStore.Open(p), p => ResultStore.OpenReadOnly(p) })
        {
            var error = Assert.Throws<StoreException>(() => open(junk));
            Assert.Contains(junk, error.Message);
            Assert.Contains("not a LiteDB database", error.Message);
            Assert.Contains(expected, error.Message);
        }
        Assert.Equal(new string('x', length), File.ReadAllText(junk));
        Assert.Equal([junk], Directory.GetFiles(temp.Root));
    }

    [Fact]
    public void A_missing_or_empty_file_for_reading_is_a_clear_error()
    {
        using var temp = new TempFolder();
        string missing = temp.File("missing.db");
        Assert.Contains(missing, Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(missing)).Message);
        Assert.False(File.Exists(missing));
        string empty = temp.File("empty.db");
        File.WriteAllBytes(empty, []);
        Assert.Equal($"{empty} is empty: no result store was written there yet", Assert.Throws<StoreException>(() => ResultStore.OpenReadOnly(empty)).Message);
    }

    [Fact]
    public void A_LiteDB_database_of_another_program_is_refused_and_kept()
    {
        using var temp = new TempFolder();
        string path = temp.File("contacts.db");
        using (var raw = Raw(path)) raw.GetCollection("contacts").Insert(new BsonDocument { ["name"] = "Ada" });
        var error = Assert.Throws<StoreException>(() => ResultStore.Open(path));
        Assert.Equal($"{path} is a LiteDB database but not a result store: it holds collections contacts", error.Message);
        using var raw2 = Raw(path);
        Assert.Equal(["contacts"], raw2.GetCollectionNames());
        Assert.Equal(0, raw2.UserVersion);
    }

    /// <summary>
    /// LiteDB, finding a broken page, sets one byte of its own in the header (its "rebuild me" flag, which this store never
    /// acts on); nothing else of the file changes.
    /// </summary>
    [Fact]
    public void A_corrupt_database_is_an_error_naming_the_file_and_is_not_rewritten()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        using (var store = ResultStore.Open(path))
        {
            long experiment = store.UpsertExperiment("grid", "grid.yaml", "").Id;
            store.UpsertCells(experiment, Enumerable.Range(0, 200).Select(i => new CellSpec(Keys.Of($"c{i}"), "train", "train", $$"""{"i":{{i}}}""")).ToList());
        }
        // Every page after the header overwritten with noise, as a disk or a copy gone wrong might leave it.
        byte[] bytes = File.ReadAllBytes(path);
        new Random(3).NextBytes(bytes.AsSpan(8192));
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<StoreException>(() =>
        {
            using var store = ResultStore.Open(path);
            store.Cells();
        });
        Assert.StartsWith($"{path} is corrupt", error.Message);
        byte[] after = File.ReadAllBytes(path);
        const int rebuildFlag = 191;
        Assert.Equal(bytes.Length, after.Length);
        Assert.Equal([.. bytes[..rebuildFlag], .. bytes[(rebuildFlag + 1)..]], [.. after[..rebuildFlag], .. after[(rebuildFlag + 1)..]]);
        var read = Assert.Throws<StoreException>(() =>
        {
            using var reader = ResultStore.OpenReadOnly(path);
            reader.Cells();
        });
        Assert.StartsWith($"{path} is corrupt", read.Message);
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
