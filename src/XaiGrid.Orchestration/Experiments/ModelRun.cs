using XaiGrid.Models.Training;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>One training run of a model: a point of its grid with one seed, and a label naming what varies.</summary>
public sealed record ModelRun(ModelDefinition Model, TrainingOptions Options, string Label);
