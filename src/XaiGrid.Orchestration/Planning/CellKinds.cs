namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// The stages and kinds (executor names) of planned cells. A cell that reads a trained model lists the train cell
/// first among its dependencies; a merge cell lists its partials in range order.
/// </summary>
public static class CellKinds
{
    public const string TrainStage = "train", ExplainStage = "explain", MergeStage = "merge", EvaluateStage = "evaluate",
        InfluenceStage = "influence", CompressionStage = "compression", SanityStage = "sanity";

    public const string Train = "train", ExplainPartial = "explain-partial", MergeMaps = "merge-maps",
        InfluencePartial = "influence-partial", MergeInfluence = "merge-influence", CompressionPoint = "compression-point";
    // Metric cells are named by their metric: EvaluationJob.Metrics (drop-increase, insertion, deletion, sanity-check).
}
