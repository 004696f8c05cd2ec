namespace XaiGrid.Orchestration.Actors;

/// <summary>
/// A message that will never be handled: told to an actor that had stopped, or still queued when it stopped
/// (stopped by its supervisor, or stopped without draining).
/// </summary>
public sealed record DeadLetter(string Recipient, object Message);
