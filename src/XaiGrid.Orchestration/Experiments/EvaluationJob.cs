using System.Text.Json.Nodes;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// A metric over the maps of an explanation job (all its methods, or those named <see cref="Method"/>):
/// drop-increase (<see cref="Frac"/>), insertion and deletion (<see cref="Steps"/>, <see cref="Baseline"/>,
/// <see cref="Blur"/>), or the sanity check (<see cref="Seed"/>, <see cref="Absolute"/>).
/// </summary>
public sealed record EvaluationJob(string Explanations, string Metric, string? Method, double? Frac, int? Steps, double Baseline,
    double? Blur, ulong Seed, bool Absolute, SourceLocation Location)
{
    public const string DropIncrease = "drop-increase", Insertion = "insertion", Deletion = "deletion", SanityCheck = "sanity-check";
    public static readonly string[] Metrics = [DropIncrease, Insertion, Deletion, SanityCheck];

    /// <summary>The options each metric takes, as written in the file.</summary>
    public static IReadOnlyList<string> OptionsOf(string metric) => metric switch
    {
        DropIncrease => ["frac"],
        Insertion or Deletion => ["steps", "baseline", "blur"],
        SanityCheck => ["seed", "absolute"],
        _ => [],
    };

    /// <summary>The metric's own parameters (those of <see cref="OptionsOf"/>), for the metric's cell.</summary>
    public JsonObject MetricParameters() => Metric switch
    {
        DropIncrease => new JsonObject { ["frac"] = Frac },
        Insertion or Deletion => new JsonObject { ["steps"] = Steps, ["baseline"] = Baseline, ["blur"] = Blur },
        SanityCheck => new JsonObject { ["seed"] = Seed, ["absolute"] = Absolute },
        _ => throw new InvalidOperationException($"unknown metric '{Metric}'; known: {string.Join(", ", Metrics)}"),
    };
}
