namespace XaiGrid.Orchestration.Planning;

/// <summary>The cells of an experiment in planning order: every cell comes after the cells it depends on.</summary>
public sealed record ExperimentPlan(string Experiment, IReadOnlyList<CellSpec> Cells);
