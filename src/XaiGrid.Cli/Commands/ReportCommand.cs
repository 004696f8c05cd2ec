using System.CommandLine;
using XaiGrid.Report;

namespace XaiGrid.Cli.Commands;

/// <summary><c>xaigrid report</c>: tables and figures of every experiment in a result database, from the database alone.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var db = new Option<string>("--db") { Description = "result database", DefaultValueFactory = _ => RunCommand.DefaultDatabase };
        var output = new Option<string>("--out") { Description = "folder to write the report into", Required = true };
        var format = new Option<string>("--format") { Description = "any of md, html, csv, comma-separated", DefaultValueFactory = _ => "md,html,csv" };
        var command = new Command("report", "Write the report (Markdown, HTML, CSV) of a result database") { db, output, format };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var formats = ReportGenerator.ParseFormats(parse.GetValue(format)!);
            var result = ReportGenerator.Generate(parse.GetValue(db)!, parse.GetValue(output)!, formats);
            // Plain output: the console's markup would wrap a long path at 80 columns when redirected.
            Console.WriteLine($"report: {result.Files.Count} files in {result.OutDir}");
            return 0;
        }));
        return command;
    }
}
