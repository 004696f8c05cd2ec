using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace XaiGrid.Orchestration.Hosting;

/// <summary>
/// Akka's log, one line per event on stderr (<c>akka WARNING [source] message</c>, then the exception's message):
/// stdout carries a run's progress and the workers' cell log, which tests and operators read line by line.
/// </summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private string? last;
    private DateTime lastAt;
    private int repeats;

    /// <summary>The same line again within 10 s is counted, not written: a misconfigured node retrying in a loop would fill the disk.</summary>
    private void Write(LogEvent e)
    {
        // The whole chain: Akka wraps a refused message's reason in its own exceptions.
        var cause = "";
        for (var error = e.Cause; error is not null; error = error.InnerException) cause += $": {error.GetType().Name}: {error.Message}";
        var line = $"akka {e.LogLevel().ToString().Replace("Level", "").ToUpperInvariant()} [{e.LogSource}] {e.Message}{cause}";
        var now = DateTime.UtcNow;
        if (line == last && now - lastAt < TimeSpan.FromSeconds(10))
        {
            repeats++;
            return;
        }
        if (repeats > 0) Console.Error.WriteLine($"akka (the line before repeated {repeats} more times)");
        Console.Error.WriteLine(line);
        (last, lastAt, repeats) = (line, now, 0);
    }
}
