using System.CommandLine;
using Spectre.Console;
using XaiGrid.Orchestration.Coordination;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Workers;
using XaiGrid.Report;
using XaiGrid.Store;

namespace XaiGrid.Cli.Commands;

/// <summary><c>xaigrid run</c> (everything in this process) and <c>xaigrid status</c>.</summary>
internal static class RunCommand
{
    public const string DefaultDatabase = "runs/xaigrid.db";

    public static Command CreateRun()
    {
        var experiment = new Argument<string>("experiment") { Description = "experiment file (.yaml)" };
        var db = new Option<string>("--db") { Description = "result database", DefaultValueFactory = _ => DefaultDatabase };
        var workers = new Option<int>("--workers") { Description = "cells run at once", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)" };
        var attempts = new Option<int>("--max-attempts") { Description = "attempts per cell before it is recorded failed", DefaultValueFactory = _ => 3 };
        var noReport = new Option<bool>("--no-report") { Description = "do not write the report at the end" };
        var device = DeviceOption.Create();
        var reportOut = new Option<string?>("--report-out") { Description = "report folder (default: report/ beside the database)" };
        var command = new Command("run", "Run an experiment in this process; run it again to resume")
        {
            experiment, db, workers, threads, device, attempts, noReport, reportOut,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var path = parse.GetValue(experiment)!;
            var dbPath = parse.GetValue(db)!;
            var on = DeviceOption.Resolve(parse, device);
            if (parse.GetValue(threads) is { } n) TorchSharp.torch.set_num_threads(n);
            var plan = Validated(() => ExperimentRunner.Plan(path));
            if (plan is null) return 2;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dbPath))!);
            var cancel = CommandErrors.CancelOnCtrlC();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            RunSummary summary = null!;
            AnsiConsole.MarkupLineInterpolated($"[bold]{plan.Experiment}[/]: {plan.Cells.Count} cells; results in {dbPath}");
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var bars = new Dictionary<string, ProgressTask>();
                    var options = new CoordinatorOptions
                    {
                        MaxAttempts = parse.GetValue(attempts),
                        Progress = status =>
                        {
                            lock (bars)
                            {
                                foreach (var stage in status.Stages)
                                {
                                    if (!bars.TryGetValue(stage.Stage, out var bar)) bars[stage.Stage] = bar = context.AddTask(stage.Stage);
                                    bar.MaxValue = stage.Pending + stage.Running + stage.Done + stage.Failed;
                                    bar.Value = stage.Done + stage.Failed;
                                    bar.Description = stage.Failed > 0 ? $"{stage.Stage} ({stage.Failed} failed)" : stage.Stage;
                                }
                            }
                        },
                    };
                    summary = ExperimentRunner.RunAsync(path, plan, dbPath, new LocalWorkers(parse.GetValue(workers), Device: on), options, cancel)
                        .GetAwaiter().GetResult();
                    options.Progress(summary.Status);
                });
            var cells = summary.Status.Cells;
            AnsiConsole.MarkupLineInterpolated(
                $"{cells.Done} done, {cells.Failed} failed, {cells.Pending + cells.Running} left; {summary.Status.Computed} executions; {clock.Elapsed.TotalSeconds:F0} s");
            if (summary.Interrupted)
            {
                AnsiConsole.MarkupLine("[yellow]interrupted: run the same command again to resume[/]");
                return 130;
            }
            if (!parse.GetValue(noReport))
            {
                // Failed cells are in the report too, marked as such.
                var outDir = parse.GetValue(reportOut) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dbPath))!, "report");
                var report = ReportGenerator.Generate(dbPath, outDir, ReportFormats.All);
                Console.WriteLine($"report: {report.Files.Count} files in {report.OutDir}");
            }
            return cells.Failed > 0 ? 1 : 0;
        }));
        return command;
    }

    public static Command CreateStatus()
    {
        var db = new Option<string>("--db") { Description = "result database", DefaultValueFactory = _ => DefaultDatabase };
        var json = new Option<bool>("--json") { Description = "print the status as JSON" };
        var command = new Command("status", "Progress of the experiments in a result database") { db, json };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"result database not found: {path}", path);
            using var store = ResultStore.OpenReadOnly(path);
            var status = store.Status();
            if (parse.GetValue(json))
            {
                Console.WriteLine(status.ToJson());
                return 0;
            }
            var table = new Table().AddColumns("stage", "pending", "running", "done", "failed");
            foreach (var s in status.Stages) table.AddRow(s.Stage, $"{s.Pending}", $"{s.Running}", $"{s.Done}", $"{s.Failed}");
            table.AddRow("[bold]all[/]", $"{status.Cells.Pending}", $"{status.Cells.Running}", $"{status.Cells.Done}", $"{status.Cells.Failed}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{status.Computed} cell executions");
            return 0;
        }));
        return command;
    }

    /// <summary>Loads and plans; a malformed file prints every problem (file:line:column) and nothing is written.</summary>
    internal static T? Validated<T>(Func<T> plan) where T : class
    {
        try
        {
            return plan();
        }
        catch (ExperimentValidationException e)
        {
            AnsiConsole.MarkupLine("[red]the experiment file has problems:[/]");
            // Plain Console: the console's markup wraps at the terminal width (80 columns when redirected), which would
            // break a problem's file:line:column line in two for editors and CI logs that read it.
            foreach (var line in e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Console.WriteLine("  " + line.Trim());
            return null;
        }
    }
}
