namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// How big jobs are split into cells: inputs of an explanation job, samples of a sampled method (SmoothGrad n, RISE
/// masks, LIME samples; null: all in one cell) and instances of class-wide influence (null: all in one cell).
/// </summary>
public sealed record PartitionSettings(int InputsPerCell = PartitionSettings.DefaultInputsPerCell, long? SamplesPerCell = null,
    long? InstancesPerCell = null)
{
    public const int DefaultInputsPerCell = 250;
}
