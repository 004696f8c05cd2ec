namespace XaiGrid.Store.Tests;

public class ConcurrencyTests
{
    private static CellResults One(double value) => new() { Scalars = new Dictionary<string, double> { ["v"] = value } };

    [Fact]
    public void A_reader_sees_committed_data_and_nothing_of_a_write_under_way()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        string committed = Keys.Of("committed");
        using var writer = ResultStore.Open(path);
        long experiment = writer.UpsertExperiment("grid", "grid.yaml", "").Id;
        writer.UpsertCell(experiment, new CellSpec(committed, "train", "train", "{}"));
        writer.MarkDone(committed, One(7));

        // A large artifact whose source stalls half way: its write is under way, and has committed parts, until released.
        var bytes = new byte[40_000_000];
        new Random(1).NextBytes(bytes);
        using var stalling = new StallingStream(bytes, stallAt: 30_000_000);
        var upload = Task.Run(() => writer.PutArtifact(stalling, "application/x-npy"));
        Assert.True(stalling.Stalled.Wait(TimeSpan.FromMinutes(1)), "the upload never reached its stall");

        using (var reader = ResultStore.OpenReadOnly(path))
        {
            var read = Task.Run(() => (reader.Cells().Select(c => c.Key).ToList(), reader.Results(committed).Scalars["v"], reader.Status().Cells,
                reader.HasArtifact(ContentHash.Of(bytes))));
            // In this process reads wait for the write; another process waits for it on the store's lock.
            Assert.False(read.Wait(TimeSpan.FromMilliseconds(300)));
            stalling.Release();
            string hash = upload.Result;
            var (keys, value, counts, present) = read.Result;
            Assert.Equal([committed], keys);
            Assert.Equal(7, value);
            Assert.Equal(new CellCounts(0, 0, 1, 0), counts);
            // The read came after the whole write or before all of it, never in between.
            Assert.True(present);
            Assert.Equal(bytes, reader.GetArtifact(hash).Bytes);
        }
    }

    [Fact]
    public void Committed_data_survives_a_process_that_never_closed_the_store()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        string key = Keys.Of("cell");
        // The writer is left open: its commits are in LiteDB's log (results-log.db), not yet checkpointed into the database.
        var abandoned = ResultStore.Open(path);
        long experiment = abandoned.UpsertExperiment("grid", "grid.yaml", "").Id;
        abandoned.UpsertCell(experiment, new CellSpec(key, "train", "train", "{}"));
        string hash = abandoned.PutArtifact([9, 8, 7], "application/x-npy");
        abandoned.MarkRunning(key, "w1");
        abandoned.MarkDone(key, new CellResults
        {
            Scalars = new Dictionary<string, double> { ["v"] = 0.5 },
            Artifacts = new Dictionary<string, string> { ["weights"] = hash },
        }, "w1");
        string log = temp.File("results-log.db");
        Assert.True(new FileInfo(log).Length > 0);

        // What a killed process leaves on disk: the database and its log, and no lock held.
        string copy = temp.File("after-kill/results.db");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(path, copy);
        File.Copy(log, temp.File("after-kill/results-log.db"));
        abandoned.Dispose();

        using (var reader = ResultStore.OpenReadOnly(copy))
            Assert.Equal(CellState.Done, reader.GetCell(key).State);
        using var reopened = ResultStore.Open(copy);
        Assert.Equal(CellState.Done, reopened.GetCell(key).State);
        Assert.Equal(0.5, reopened.Results(key).Scalars["v"]);
        Assert.Equal([9, 8, 7], reopened.GetArtifact(hash).Bytes);
        Assert.Equal(1, reopened.Status().Computed);
    }

    [Fact]
    public void Readers_opened_before_a_writer_in_the_same_process_follow_its_writes()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        ResultStore.Open(path).Dispose();
        using var early = ResultStore.OpenReadOnly(path);
        Assert.Empty(early.Experiments());
        using (var writer = ResultStore.Open(path))
        {
            writer.UpsertExperiment("grid", "grid.yaml", "");
            Assert.Equal("grid", Assert.Single(early.Experiments()).Name);
        }
        Assert.Equal("grid", Assert.Single(early.Experiments()).Name);
        using var late = ResultStore.Open(path);
        late.UpsertExperiment("other", "other.yaml", "");
        Assert.Equal(2, early.Experiments().Count);
    }

    /// <summary>
    /// LiteDB's BsonMapper makes a type's mapping visible to other threads before it has built it, so threads reading
    /// their first artifacts at once could see a FileStorage file without its fields: the store builds that mapping
    /// when it opens its engine.
    /// </summary>
    [Fact]
    public void Threads_reading_the_first_artifacts_of_an_engine_at_once_each_read_them_whole()
    {
        using var temp = new TempFolder();
        string path = temp.File("results.db");
        string hash;
        using (var first = ResultStore.Open(path)) hash = first.PutArtifact([1, 2, 3], "application/x-npy");
        for (int round = 0; round < 20; round++)
        {
            // Every instance of the process shares the writer's engine, and their reads run together.
            using var writer = ResultStore.Open(path);
            using var start = new Barrier(4);
            var reads = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                using var reader = ResultStore.OpenReadOnly(path);
                start.SignalAndWait();
                return reader.GetArtifact(hash);
            })).ToArray();
            Assert.All(reads, read =>
            {
                Assert.Equal("application/x-npy", read.Result.MediaType);
                Assert.Equal([1, 2, 3], read.Result.Bytes);
            });
        }
    }

    /// <summary>A seekable stream whose second pass (the store's) waits at a position until released.</summary>
    private sealed class StallingStream(byte[] bytes, long stallAt) : MemoryStream(bytes, writable: false)
    {
        private readonly ManualResetEventSlim _release = new();
        private int _passes;

        public ManualResetEventSlim Stalled { get; } = new();

        public void Release() => _release.Set();

        public override long Position
        {
            get => base.Position;
            set
            {
                base.Position = value;
                _passes++;
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_passes == 1 && Position >= stallAt && !_release.IsSet)
            {
                Stalled.Set();
                _release.Wait();
            }
            return base.Read(buffer, offset, count);
        }
    }
}
