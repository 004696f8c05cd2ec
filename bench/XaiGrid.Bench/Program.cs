using XaiGrid.Bench;

// Speed of XaiGrid against the same work in Debian's python3-torch, one subcommand per benchmark.
var benchmarks = new Dictionary<string, (string Arguments, Func<string[], int> Run)>
{
    ["conv2d"] = ("", a => Conv2dBench.Run(BenchOptions.Parse(a))),
    ["train"] = ($"[{string.Join(",", TrainBench.Models)}]", TrainBench.Run),
    ["orchestration"] = (OrchestrationBench.Usage, OrchestrationBench.Run),
    ["cluster-overhead"] = (ClusterOverheadBench.Usage, ClusterOverheadBench.Run),
    ["noop-worker"] = ("PORT NAME WORKERS (started by cluster-overhead)", ClusterOverheadBench.Worker),
    ["scaleout"] = (ScaleoutBench.Usage, ScaleoutBench.Run),
    ["explain"] = (ExplainBench.Usage, ExplainBench.Run),
    ["captum"] = (CaptumBench.Usage, CaptumBench.Run),
    ["store"] = (StoreBench.Usage, StoreBench.Run),
    ["quickstart"] = (QuickstartBench.Usage, QuickstartBench.Run),
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine("usage: XaiGrid.Bench <benchmark> [arguments] " + BenchOptions.Usage);
    foreach (var (name, (arguments, _)) in benchmarks) Console.Error.WriteLine($"  {name} {arguments}");
    return 2;
}
try
{
    return benchmark.Run(args[1..]);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
