using System.Diagnostics;
using XaiGrid.Store.TestWriter;

namespace XaiGrid.Store.Tests;

/// <summary>The heavy process tests run one at a time: each one's child competes with the others for the two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}

/// <summary>
/// Stores written by another process (XaiGrid.Store.TestWriter): killed at any moment, read while it writes, measured.
/// Its cells are computed from their keys, so what the store holds can be checked exactly.
/// </summary>
[Collection(ProcessCollection.Name)]
public class ProcessTests
{
    private const int CellCount = 120;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>The writer's cells by key.</summary>
    private static readonly Dictionary<string, int> Index = Enumerable.Range(0, CellCount).ToDictionary(TestCells.Key);

    /// <summary>
    /// Twenty kills (SIGKILL) of a writer at moments spread over its work: while it starts, opens and plans; a few
    /// acknowledged cells into its writes; and in the middle of a 20 MB artifact stored in parts (or just after). After each, the store
    /// opens (for reading, then for writing, which recovers it), holds every cell acknowledged before the kill with
    /// exactly its results and artifacts, and no cell half written; the next writer resumes where the last stopped, and
    /// a last one completes every cell.
    /// </summary>
    [Fact]
    public void A_writer_killed_at_random_moments_leaves_a_store_that_opens_holds_every_acknowledged_result_and_resumes()
    {
        using var temp = new TempFolder();
        string db = temp.File("crash.db");
        var random = new Random(13);
        var acknowledged = new List<string>();
        int killedInLargeUpload = 0;
        for (int round = 0; round < 20; round++)
        {
            int before = acknowledged.Count;
            using (var writer = WriterProcess.Start("cells", db, $"{CellCount}"))
            {
                string? large = KillSomewhere(writer, round, random, acknowledged);
                acknowledged.AddRange(Acknowledged(writer.Rest()));
                Assert.True(writer.ExitCode != 0, $"round {round}: the writer finished before it was killed; use more cells");
                if (large is not null && !acknowledged.Contains(large)) killedInLargeUpload++;
            }
            Check(db, acknowledged, newlyAcknowledged: acknowledged.Skip(before).ToList());
        }
        Assert.True(killedInLargeUpload >= 3, $"only {killedInLargeUpload} kills landed in a large upload");
        Assert.InRange(acknowledged.Count, 20, CellCount - 1);

        using (var writer = WriterProcess.Start("cells", db, $"{CellCount}"))
        {
            var rest = Acknowledged(writer.Rest()).ToList();
            Assert.True(writer.ExitCode == 0, writer.Transcript());
            acknowledged.AddRange(rest);
        }
        Assert.Equal(CellCount, acknowledged.Distinct().Count());
        Check(db, acknowledged, newlyAcknowledged: acknowledged);
    }

    /// <summary>
    /// Kills the writer at a moment chosen by the round: one round in three while it starts (within its first 1.5 s:
    /// the runtime, then opening, migrating and planning; at the latest as it begins its first cell), one a few
    /// acknowledged cells in and a few milliseconds into the next, one while it stores its next 20 MB artifact (after
    /// the first part committed, when the kill comes late enough; at the latest as the cell is acknowledged). Each round
    /// so acknowledges a few cells at most, however fast the machine. Returns the key of that large cell (killed in its
    /// upload unless it was acknowledged).
    /// </summary>
    private static string? KillSomewhere(WriterProcess writer, int round, Random random, List<string> acknowledged)
    {
        if (round % 3 == 0)
        {
            KillAfterOrAt(writer, TimeSpan.FromMilliseconds(random.Next(0, 1500)), line => line.StartsWith("storing ", StringComparison.Ordinal), acknowledged);
            return null;
        }
        int acks = random.Next(1, 6);
        for (string? line; (line = writer.NextLine(Patience)) is not null;)
        {
            var words = line.Split(' ');
            if (words[0] == "done")
            {
                acknowledged.Add(words[1]);
                if (round % 3 == 1 && --acks == 0)
                {
                    Thread.Sleep(random.Next(0, 20));
                    writer.Kill();
                    return null;
                }
            }
            else if (round % 3 == 2 && words[0] == "storing" && words[2] == "20000000")
            {
                KillAfterOrAt(writer, TimeSpan.FromMilliseconds(random.Next(50, 1000)), _ => true, acknowledged);
                return words[1];
            }
        }
        throw new InvalidOperationException($"the writer stopped before it was killed\n{writer.Transcript()}");
    }

    /// <summary>Kills the writer once <paramref name="wait"/> has passed, or as soon as it prints a line that <paramref name="last"/> accepts.</summary>
    private static void KillAfterOrAt(WriterProcess writer, TimeSpan wait, Func<string, bool> last, List<string> acknowledged)
    {
        var deadline = DateTime.UtcNow + wait;
        for (TimeSpan left; (left = deadline - DateTime.UtcNow) > TimeSpan.Zero;)
        {
            var line = writer.LineWithin(left);
            if (line is null)
            {
                if (writer.HasExited) break;
                continue;
            }
            if (line.StartsWith("done ", StringComparison.Ordinal)) acknowledged.Add(line[5..]);
            if (last(line)) break;
        }
        writer.Kill();
    }

    private static IEnumerable<string> Acknowledged(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("done ", StringComparison.Ordinal)).Select(l => l[5..]);

    /// <summary>
    /// The store after a kill: it opens for reading (once it was planned) and for writing; every acknowledged cell is
    /// done; every done cell has exactly its results and its artifacts, every other cell none; attempts match the
    /// executions, and only a running cell has an open one. Artifacts of <paramref name="newlyAcknowledged"/> are read back
    /// whole (the others were the rounds before).
    /// </summary>
    private static void Check(string db, IReadOnlyList<string> acknowledged, IReadOnlyList<string> newlyAcknowledged)
    {
        if (acknowledged.Count > 0)
            using (var reader = ResultStore.OpenReadOnly(db))
                Assert.Equal(CellCount, reader.Cells().Count);
        using var store = ResultStore.Open(db);
        var cells = store.Cells().ToDictionary(c => c.Key);
        Assert.True(cells.Count is 0 or CellCount, $"{cells.Count} cells planned");
        foreach (var key in acknowledged) Assert.Equal(CellState.Done, cells[key].State);
        foreach (var cell in cells.Values)
        {
            var results = store.Results(cell.Key);
            var executions = store.Executions(cell.Key);
            Assert.Equal(cell.Attempts, executions.Count);
            Assert.Equal(cell.State == CellState.Running ? 1 : 0, executions.Count(e => e.Finished is null));
            if (cell.State != CellState.Done)
            {
                Assert.Equal((0, 0, 0), (results.Scalars.Count, results.Tables.Count, results.Artifacts.Count));
                continue;
            }
            Assert.Equal(TestCells.Scalars(Index[cell.Key]), results.Scalars);
            Assert.Equal(TestCells.Tables(Index[cell.Key]), results.Tables);
            Assert.Equal(["key", "map"], results.Artifacts.Keys.Order());
            Assert.All(results.Artifacts.Values, hash => Assert.True(store.HasArtifact(hash)));
        }
        foreach (var key in newlyAcknowledged)
            foreach (var (name, bytes) in TestCells.Artifacts(Index[key]))
                Assert.Equal(bytes, store.GetArtifact(store.Results(key).Artifacts[name]).Bytes);
        var status = store.Status();
        Assert.Equal(cells.Count, status.Cells.Pending + status.Cells.Running + status.Cells.Done + status.Cells.Failed);
        Assert.Equal(cells.Values.Sum(c => (long)c.Attempts), status.Computed);
    }

    /// <summary>
    /// A reader in this process, reading as often as it can while a writer process works: every state it sees is the
    /// state after some whole write (every done cell has its results and artifacts, the counts add up), and no count
    /// ever goes back.
    /// </summary>
    [Fact]
    public void A_reader_in_another_process_sees_only_whole_writes_and_counts_that_never_go_back()
    {
        using var temp = new TempFolder();
        string db = temp.File("read-while-writing.db");
        using var writer = WriterProcess.Start("cells", db, "24");
        Assert.StartsWith("storing ", writer.NextLine(Patience));
        var last = new StoreStatus(new CellCounts(0, 0, 0, 0), 0, []);
        int reads = 0;
        while (!writer.HasExited)
        {
            using var reader = ResultStore.OpenReadOnly(db);
            var status = reader.Status();
            var cells = reader.Cells();
            Assert.Equal(24, status.Cells.Pending + status.Cells.Running + status.Cells.Done + status.Cells.Failed);
            Assert.True(status.Cells.Done >= last.Cells.Done && status.Computed >= last.Computed, $"{last.ToJson()} then {status.ToJson()}");
            foreach (var cell in cells.Where(c => c.State == CellState.Done))
            {
                var results = reader.Results(cell.Key);
                Assert.Equal(TestCells.Scalars(Index[cell.Key]), results.Scalars);
                Assert.All(results.Artifacts.Values, hash => Assert.True(reader.HasArtifact(hash)));
            }
            last = status;
            reads++;
        }
        Assert.Equal(0, writer.ExitCode);
        Assert.Equal("finished", writer.Rest().Last());
        using (var reader = ResultStore.OpenReadOnly(db)) Assert.Equal(24, reader.Status().Cells.Done);
        Assert.True(reads >= 10, $"only {reads} reads while the writer ran");
    }

    [Fact]
    public void A_second_writer_is_refused_while_a_process_writes_and_welcome_once_it_is_gone()
    {
        using var temp = new TempFolder();
        string db = temp.File("one-writer.db");
        using (var writer = WriterProcess.Start("cells", db, $"{CellCount}"))
        {
            Assert.StartsWith("storing ", writer.NextLine(Patience));
            var error = Assert.Throws<StoreException>(() => ResultStore.Open(db));
            Assert.Equal($"{db} is open for writing by another process (a running coordinator or `xaigrid run`); a store has one writer at a time", error.Message);
            writer.Kill();
        }
        using var store = ResultStore.Open(db);
        Assert.Equal(CellCount, store.Cells().Count);
    }

    /// <summary>
    /// A writer on a 24 MB file system of its own (a tmpfs, mounted in a user and mount namespace of its own, so no root is
    /// needed) fills it: its write fails with the file system's error naming the store, and the store (copied out of the
    /// namespace) holds every cell acknowledged before, opens, and completes on a disk with room.
    /// </summary>
    [Fact]
    public void A_full_disk_fails_the_write_with_that_error_and_keeps_everything_acknowledged_before()
    {
        using var temp = new TempFolder();
        string disk = temp.File("disk"), kept = temp.File("kept");
        Directory.CreateDirectory(disk);
        Directory.CreateDirectory(kept);
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--user", "--map-root-user", "--mount", "bash", "-c",
                     """mount -t tmpfs -o size=24m tmpfs "$1" && "$3" "$4" cells "$1/full.db" "$5"; status=$?; cp "$1"/* "$2"/; exit $status""",
                     "bash", disk, kept, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", WriterProcess.Program, $"{CellCount}",
                 })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acknowledged = Acknowledged(process.StandardOutput.ReadToEnd().Split('\n')).ToList();
        process.WaitForExit();
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {stderr.Result}");
        Assert.StartsWith($"error: {disk}/full.db: No space left on device", stderr.Result);
        Assert.NotEmpty(acknowledged);

        string db = Path.Combine(kept, "full.db");
        Check(db, acknowledged, newlyAcknowledged: acknowledged);
        using var writer = WriterProcess.Start("cells", db, $"{CellCount}");
        Assert.Equal("finished", writer.Rest().Last());
        using var store = ResultStore.OpenReadOnly(db);
        Assert.Equal(CellCount, store.Status().Cells.Done);
    }

    /// <summary>
    /// A 600 MB artifact stored from a stream and copied back to one, in a process of its own so that its peak resident
    /// memory is the store's: it grows by less than 200 MB, and the bytes read back hash as the bytes made.
    /// </summary>
    [Fact]
    public void A_600_MB_artifact_is_stored_and_read_back_in_less_than_200_MB_of_memory()
    {
        using var temp = new TempFolder();
        using var writer = WriterProcess.Start("big", temp.File("big.db"), "600");
        var line = writer.Rest().Single();
        Assert.True(writer.ExitCode == 0, writer.Transcript());
        // start S peak P length L made H read H
        var words = line.Split(' ');
        long start = long.Parse(words[1]), peak = long.Parse(words[3]);
        Assert.Equal(600L << 20, long.Parse(words[5]));
        Assert.Equal(words[7], words[9]);
        Assert.True(peak - start < 200 * 1024, $"peak resident memory grew by {(peak - start) / 1024} MB: {line}");
    }
}
