namespace XaiGrid.Bench;

/// <summary>Options shared by every benchmark: thread counts, untimed warm-up and timed repetitions per side.</summary>
public sealed record BenchOptions(int[] Threads, int Warmup, int Reps, string Python)
{
    public const string Usage = "[--threads 1,2] [--warmup 3] [--reps 20] [--python /usr/bin/python3]";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([1, 2], 3, 20, "/usr/bin/python3");
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value; {Usage}");
            string v = args[i + 1];
            o = args[i] switch
            {
                "--threads" => o with { Threads = v.Split(',').Select(t => Positive("--threads", t)).ToArray() },
                "--warmup" => o with { Warmup = NonNegative("--warmup", v) },
                "--reps" => o with { Reps = Positive("--reps", v) },
                "--python" => o with { Python = v },
                _ => throw new ArgumentException($"unknown option {args[i]}; {Usage}"),
            };
        }
        return o;
    }

    private static int Positive(string name, string v) =>
        int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"{name} takes positive integers, got '{v}'");

    private static int NonNegative(string name, string v) =>
        int.TryParse(v, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} takes a non-negative integer, got '{v}'");
}
