namespace XaiGrid.Orchestration.Experiments;

/// <summary>One problem of an experiment file, where it is and what is wrong (with the allowed values).</summary>
public sealed record ExperimentProblem(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
