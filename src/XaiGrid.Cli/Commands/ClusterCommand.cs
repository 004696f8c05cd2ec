using System.CommandLine;
using Spectre.Console;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;

namespace XaiGrid.Cli.Commands;

/// <summary>
/// Cluster mode (DESIGN.md §5): <c>xaigrid coordinator</c> plans an experiment, holds its store and is the cluster's
/// seed node; <c>xaigrid worker</c> joins it with Akka.Cluster and runs cells until stopped. Settings come from the
/// HOCON file given with --config (see cluster-config/) and the environment, never from the command line.
/// </summary>
internal static class ClusterCommand
{
    public static Command CreateCoordinator()
    {
        var experiment = new Argument<string>("experiment") { Description = "experiment file (.yaml)" };
        var config = new Option<string>("--config") { Description = "coordinator settings (see cluster-config/coordinator.conf)", Required = true };
        var db = new Option<string>("--db") { Description = "result database", DefaultValueFactory = _ => RunCommand.DefaultDatabase };
        var command = new Command("coordinator", "Run an experiment on worker nodes that join this one; restart it to resume")
        {
            experiment, config, db,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var settings = ClusterSettingsLoader.Load(parse.GetValue(config)!);
            var path = parse.GetValue(experiment)!;
            var dbPath = parse.GetValue(db)!;
            var plan = RunCommand.Validated(() => ExperimentRunner.Plan(path));
            if (plan is null) return 2;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dbPath))!);
            AnsiConsole.MarkupLineInterpolated($"[bold]{plan.Experiment}[/]: {plan.Cells.Count} cells on worker nodes; results in {dbPath}");
            var options = new CoordinatorOptions
            {
                Log = Console.Out,
                Progress = status => Console.WriteLine(
                    $"{status.Cells.Done} done, {status.Cells.Running} running, {status.Cells.Pending} pending, {status.Cells.Failed} failed"),
            };
            var summary = ClusterCoordinator.RunAsync(path, plan, dbPath, settings, options, CommandErrors.CancelOnCtrlC()).GetAwaiter().GetResult();
            var cells = summary.Status.Cells;
            AnsiConsole.MarkupLineInterpolated($"{cells.Done} done, {cells.Failed} failed; {summary.Status.Computed} executions");
            if (summary.Interrupted) return 130;
            return cells.Failed > 0 ? 1 : 0;
        }));
        return command;
    }

    public static Command CreateWorker()
    {
        var config = new Option<string>("--config") { Description = "worker settings (see cluster-config/worker.conf)", Required = true };
        var command = new Command("worker", "Join the coordinator's cluster and run cells until stopped; SIGTERM finishes the running cells first") { config };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var settings = ClusterSettingsLoader.Load(parse.GetValue(config)!);
            WorkerHost.RunAsync(settings).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }
}
