namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Every problem found in an experiment file, not just the first, so one round of edits can fix them all. The
/// message lists them one per line as file:line:column: message.
/// </summary>
public sealed class ExperimentValidationException(IReadOnlyList<ExperimentProblem> problems) : FormatException(Describe(problems))
{
    public IReadOnlyList<ExperimentProblem> Problems { get; } = problems;

    private static string Describe(IReadOnlyList<ExperimentProblem> problems) =>
        problems.Count == 1 ? problems[0].ToString()
            : $"{problems.Count} problems:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}";
}
