using XaiGrid.Store;
using XaiGrid.Store.TestWriter;

// A process that writes a result store for the store's tests, so they can kill it or measure it from outside:
//   cells DB COUNT   plans COUNT cells and completes every one not yet done, as a run does (attempt, artifacts,
//                    results), printing "storing KEY BYTES" before its artifacts, "done KEY" once the cell is
//                    acknowledged, and "finished" at the end;
//   big DB MEGABYTES stores an artifact of that size from a stream and copies it back, printing the peak resident
//                    memory before and after (kB) and the hashes of the bytes made and of the bytes read back.
// A store error ends it as it ends xaigrid: one line "error: MESSAGE" on stderr and exit code 1.
try
{
    return args switch
    {
        ["cells", var db, var count] => Cells(db, int.Parse(count)),
        ["big", var db, var megabytes] => Big(db, long.Parse(megabytes) << 20),
        _ => Usage(),
    };
}
catch (StoreException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: XaiGrid.Store.TestWriter cells DB COUNT | big DB MEGABYTES");
    return 2;
}

static int Cells(string db, int count)
{
    using var store = ResultStore.Open(db);
    long experiment = store.UpsertExperiment("crash", "crash.yaml", "name: crash\n").Id;
    store.ReplaceCells(experiment, Enumerable.Range(0, count).Select(TestCells.Spec).ToList());
    store.ResetRunning();
    for (int i = 0; i < count; i++)
    {
        string key = TestCells.Key(i);
        if (store.GetCell(key).State == CellState.Done) continue;
        store.MarkRunning(key, "writer");
        Console.WriteLine($"storing {key} {TestCells.Length(i)}");
        Console.Out.Flush();
        var artifacts = TestCells.Artifacts(i).ToDictionary(a => a.Name, a => store.PutArtifact(a.Bytes, "application/octet-stream"));
        store.MarkDone(key, new CellResults { Scalars = TestCells.Scalars(i), Tables = TestCells.Tables(i), Artifacts = artifacts }, "writer");
        Console.WriteLine($"done {key}");
        Console.Out.Flush();
    }
    Console.WriteLine("finished");
    return 0;
}

static int Big(string db, long length)
{
    using var store = ResultStore.Open(db);
    long start = PeakKilobytes();
    var made = new GeneratedBytes(length);
    string hash = store.PutArtifact(made, "application/octet-stream");
    using var copy = new HashingSink();
    var info = store.CopyArtifact(hash, copy);
    Console.WriteLine($"start {start} peak {PeakKilobytes()} length {info.Length} made {hash} read {copy.Hash()}");
    return 0;
}

/// <summary>The process's peak resident memory so far (VmHWM), in kB.</summary>
static long PeakKilobytes() =>
    long.Parse(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
