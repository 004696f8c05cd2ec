using XaiGrid.Models.Training;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// A model of an experiment: an architecture (a ModelZoo name or a model .yaml file) trained on a data entry.
/// <see cref="Options"/> holds the single-valued training options (seed unset); every point of the cartesian product
/// of <see cref="Grid"/> is trained once per seed.
/// </summary>
public sealed record ModelDefinition(string Name, string Arch, string Data, TrainingOptions Options, IReadOnlyList<GridAxis> Grid,
    IReadOnlyList<ulong> Seeds, SourceLocation Location)
{
    /// <summary>The runs: grid points in axis order (the last axis fastest), each with every seed (fastest of all).</summary>
    public IReadOnlyList<ModelRun> Runs()
    {
        IEnumerable<(TrainingOptions Options, string Label)> points = [(Options, Name)];
        foreach (var axis in Grid)
        {
            // Single-valued lists do not vary, so they stay out of the label.
            bool shown = axis.Values.Count > 1;
            points = points.SelectMany(point => axis.Values.Select(value => (
                GridAxis.Set(point.Options, axis.Key, value),
                shown ? $"{point.Label} {axis.Key}={GridAxis.Format(value)}" : point.Label)));
        }
        return points.SelectMany(point => Seeds.Select(seed =>
            new ModelRun(this, point.Options with { Seed = seed }, $"{point.Label} seed={seed}"))).ToList();
    }
}
