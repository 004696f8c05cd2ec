namespace XaiGrid.Orchestration.Experiments;

/// <summary>Where something was written in an experiment file: the file and the 1-based line and column.</summary>
public sealed record SourceLocation(string File, long Line, long Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
