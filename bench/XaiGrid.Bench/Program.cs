using XaiGrid.Bench;

// Speed of XaiGrid against the same work in Debian's python3-torch, one subcommand per benchmark.
var benchmarks = new Dictionary<string, Func<BenchOptions, int>>
{
    ["conv2d"] = Conv2dBench.Run,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: XaiGrid.Bench <{string.Join("|", benchmarks.Keys)}> {BenchOptions.Usage}");
    return 2;
}
try
{
    return run(BenchOptions.Parse(args[1..]));
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
