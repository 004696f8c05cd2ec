using System.CommandLine;
using Spectre.Console;
using XaiGrid.Orchestration.Cluster;
using XaiGrid.Orchestration.Coordination;

namespace XaiGrid.Cli.Commands;

/// <summary>
/// Cluster mode (DESIGN.md §5): <c>xaigrid coordinator</c> plans an experiment and dispatches its cells through
/// RabbitMQ; <c>xaigrid worker</c> runs cells on any machine until stopped. Credentials come from the config file or
/// the environment, never from the command line.
/// </summary>
internal static class ClusterCommand
{
    public static Command CreateCoordinator()
    {
        var experiment = new Argument<string>("experiment") { Description = "experiment file (.yaml)" };
        var config = new Option<string>("--config") { Description = "coordinator settings (see cluster-config/coordinator.yaml)", Required = true };
        var db = new Option<string>("--db") { Description = "result database", DefaultValueFactory = _ => RunCommand.DefaultDatabase };
        var command = new Command("coordinator", "Run an experiment on workers reached through RabbitMQ; restart it to resume")
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
            AnsiConsole.MarkupLineInterpolated($"[bold]{plan.Experiment}[/]: {plan.Cells.Count} cells through RabbitMQ; results in {dbPath}");
            using var artifacts = new StoreArtifactSource(dbPath);
            var transport = new RabbitMqTransport(settings, artifacts);
            // The broker already redelivers a failing cell up to max_deliveries times: the coordinator does not retry on top.
            var options = new CoordinatorOptions
            {
                MaxAttempts = 1,
                Progress = status => AnsiConsole.MarkupLineInterpolated(
                    $"{status.Cells.Done} done, {status.Cells.Running} running, {status.Cells.Pending} pending, {status.Cells.Failed} failed"),
            };
            var summary = ExperimentRunner.RunAsync(path, plan, dbPath, transport, options, CommandErrors.CancelOnCtrlC()).GetAwaiter().GetResult();
            var cells = summary.Status.Cells;
            AnsiConsole.MarkupLineInterpolated($"{cells.Done} done, {cells.Failed} failed; {summary.Status.Computed} executions");
            if (summary.Interrupted) return 130;
            return cells.Failed > 0 ? 1 : 0;
        }));
        return command;
    }

    public static Command CreateWorker()
    {
        var config = new Option<string>("--config") { Description = "worker settings (see cluster-config/worker.yaml)", Required = true };
        var command = new Command("worker", "Run cells from RabbitMQ until stopped; SIGTERM finishes the current cell first") { config };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var settings = ClusterSettingsLoader.Load(parse.GetValue(config)!);
            ClusterWorker.RunAsync(settings).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }
}
