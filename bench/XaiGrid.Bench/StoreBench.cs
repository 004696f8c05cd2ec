using System.Diagnostics;
using XaiGrid.Store;

namespace XaiGrid.Bench;

/// <summary>
/// What the result store costs per cell, as a run uses it: the writer records an attempt starting, stores the cell's
/// artifacts and its results (the ResultSink's work), and a second store instance on the same file, the coordinator's
/// reader, reads the results and the artifacts back. Two shapes of cell, both from the quickstart: a compression point
/// (five scalars) and an explanation partial (five scalars, a 2 KB table, a 30 KB map and a 1 KB target array). Each
/// repetition plans the cells in a fresh database (not timed), then times every cell's write and read-back. The
/// process's CPU time per cell is printed too: on a machine others load, it moves less than wall time does.
/// </summary>
public static class StoreBench
{
    public const string Usage = "[--cells 1000] [--reps 5]";

    private sealed record Shape(string Name, int Scalars, int TableBytes, int[] ArtifactBytes);

    private static readonly Shape[] Shapes =
    [
        new("compression point", 5, 0, []),
        new("explanation partial", 5, 2048, [30_000, 1_000]),
    ];

    public static int Run(string[] args)
    {
        var flags = OrchestrationBench.Flags(args, Usage, "--cells", "--reps");
        int cells = flags.GetValueOrDefault("--cells", 1000), reps = flags.GetValueOrDefault("--reps", 5);
        Console.WriteLine($"result store: {cells} cells per repetition, median of {reps} repetitions after 1 warm-up; " +
            "ms per cell (min-max); load average 1 min (before, after)");
        Console.WriteLine($"{"cell",20}  {"write",20}  {"read back",20}  {"write + read",20}  {"CPU write + read",20}");
        foreach (var shape in Shapes)
        {
            string loadBefore = Measure.LoadAverage();
            var runs = Enumerable.Range(0, reps + 1).Select(_ => Time(shape, cells)).Skip(1).ToList();
            string Column(Func<(double Write, double Read, double Cpu), double> part) =>
                $"{Measure.Median(runs.Select(part)) / cells * 1e3:F3} ({runs.Min(part) / cells * 1e3:F3}-{runs.Max(part) / cells * 1e3:F3})";
            Console.WriteLine($"{shape.Name,20}  {Column(r => r.Write),20}  {Column(r => r.Read),20}  {Column(r => r.Write + r.Read),20}  " +
                $"{Column(r => r.Cpu),20}  {loadBefore}, {Measure.LoadAverage()}");
        }
        return 0;
    }

    /// <summary>Seconds spent writing and reading back <paramref name="cells"/> cells of one shape, and CPU seconds of the whole loop.</summary>
    private static (double Write, double Read, double Cpu) Time(Shape shape, int cells)
    {
        var folder = Directory.CreateTempSubdirectory("xaigrid-bench-store-");
        try
        {
            string db = Path.Combine(folder.FullName, "bench.db");
            using var writer = ResultStore.Open(db);
            using var reader = ResultStore.OpenReadOnly(db);
            long experiment = writer.UpsertExperiment("store-bench", "bench.yaml", "name: store-bench\n").Id;
            var keys = Enumerable.Range(0, cells).Select(i => ContentHash.Of($"cell {i}")).ToList();
            writer.ReplaceCells(experiment, keys.Select((k, i) => new CellSpec(k, "explain", "bench", $$"""{"cell":{{i}}}""")).ToList());

            var random = new Random(1);
            string table = "[" + string.Join(",", Enumerable.Repeat("0.125", Math.Max(0, shape.TableBytes / 6))) + "]";
            long write = 0, read = 0;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < cells; i++)
            {
                // Fresh bytes per cell, as every cell's maps differ: the store hashes and stores each one.
                var artifacts = shape.ArtifactBytes.Select(n =>
                {
                    var bytes = new byte[n];
                    random.NextBytes(bytes);
                    return bytes;
                }).ToList();
                long start = Stopwatch.GetTimestamp();
                writer.MarkRunning(keys[i], "w1");
                var hashes = artifacts.Select(a => writer.PutArtifact(a, "application/x-npy")).ToList();
                var results = new CellResults
                {
                    Scalars = Enumerable.Range(0, shape.Scalars).ToDictionary(s => $"scalar{s}", s => s * 0.5 + i),
                    Tables = shape.TableBytes > 0 ? new Dictionary<string, string> { ["curve"] = table } : new Dictionary<string, string>(),
                    Artifacts = hashes.Select((h, a) => (h, a)).ToDictionary(p => $"artifact{p.a}", p => p.h),
                };
                writer.MarkDone(keys[i], results, "w1");
                long written = Stopwatch.GetTimestamp();
                var back = reader.Results(keys[i]);
                long bytes = back.Artifacts.Values.Sum(h => (long)reader.GetArtifact(h).Bytes.Length);
                long done = Stopwatch.GetTimestamp();
                write += written - start;
                read += done - written;
                if (back.Scalars.Count != shape.Scalars || bytes != shape.ArtifactBytes.Sum())
                    throw new InvalidOperationException($"cell {i} read back {back.Scalars.Count} scalars and {bytes} artifact bytes");
            }
            return (write / (double)Stopwatch.Frequency, read / (double)Stopwatch.Frequency,
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
