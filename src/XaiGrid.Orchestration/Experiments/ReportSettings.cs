namespace XaiGrid.Orchestration.Experiments;

/// <summary>What the report shows beyond its tables: how many example maps (null: the report's default).</summary>
public sealed record ReportSettings(int? Examples = null);
