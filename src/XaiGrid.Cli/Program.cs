using System.CommandLine;
using XaiGrid.Cli.Commands;

namespace XaiGrid.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        XaiGrid.TorchExtras.NativeHeap.KeepFreedMemory();
        var root = new RootCommand("XaiGrid: explainability experiments on convolutional networks");
        root.Subcommands.Add(RunCommand.CreateRun());
        root.Subcommands.Add(RunCommand.CreateStatus());
        root.Subcommands.Add(ClusterCommand.CreateCoordinator());
        root.Subcommands.Add(ClusterCommand.CreateWorker());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(Mnist1DCommand.Create());
        root.Subcommands.Add(ExplainCommand.CreateExplain());
        root.Subcommands.Add(ExplainCommand.CreateEvaluate());
        root.Subcommands.Add(ReportCommand.Create());
        // The worker handles SIGTERM itself (it finishes its current cell), so the parser must not kill the process.
        return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
