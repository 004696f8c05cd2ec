namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// The distribution of interest of an influence job: each input itself (<see cref="Point"/>), the linear path from a
/// baseline to it (<see cref="Path"/>; unset values take the influence method's defaults), or the instances of
/// classes of a split (<see cref="Classes"/>, class-wide influence).
/// </summary>
public abstract record DistributionOfInterestSpec
{
    public sealed record Point : DistributionOfInterestSpec;

    public sealed record Path(double? Baseline, int? Steps) : DistributionOfInterestSpec;

    public sealed record Classes(ClassSelection Selection, string Split) : DistributionOfInterestSpec;

    /// <summary>Class-wide influence reads the training split unless the file says otherwise.</summary>
    public const string DefaultSplit = InputSelector.Train;
}
