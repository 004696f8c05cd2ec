using System.Runtime.InteropServices;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Cli.Commands;

/// <summary>Runs a command body; expected failures (bad input, libtorch errors) print one clear line and exit 1.</summary>
internal static class CommandErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException
                                      or ExternalException or NotSupportedException or InvalidOperationException or UnauthorizedAccessException
                                      or Models.Training.TrainingDivergedException
                                      or Store.StoreException)
        {
            // One unwrapped line on stderr: the console's markup would wrap it at the terminal width (80 columns
            // when redirected) and mix it into the progress output on stdout.
            var lines = e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Console.Error.WriteLine($"error: {string.Join(' ', lines)}");
            return 1;
        }
    }

    /// <summary>A token cancelled by the first Ctrl-C (a second one kills the process as usual).</summary>
    public static CancellationToken CancelOnCtrlC()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (source.IsCancellationRequested) return;
            e.Cancel = true;
            source.Cancel();
            AnsiConsole.MarkupLine("[yellow]stopping after the current step...[/]");
        };
        return source.Token;
    }
}
