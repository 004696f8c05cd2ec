namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Maps of every run of <see cref="Model"/> by each of <see cref="Methods"/> for the selected test inputs,
/// explaining the predicted class or the label (<see cref="Target"/>).
/// </summary>
public sealed record ExplanationJob(string Name, string Model, InputSelector Inputs, string Target, IReadOnlyList<MethodSpec> Methods,
    SourceLocation Location)
{
    public static readonly string[] Targets = ["predicted", "label"];
}
