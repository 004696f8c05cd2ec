namespace XaiGrid.Models.Inspection;

/// <summary>What <see cref="FeatureVisualization"/> maximizes: a scalar function S(x) of one input.</summary>
public abstract record FeatureObjective
{
    private FeatureObjective() { }

    /// <summary>S(x) = the logit of class <paramref name="Class"/>.</summary>
    public sealed record ClassLogit(int Class) : FeatureObjective;

    /// <summary>S(x) = the mean over positions of channel <paramref name="Channel"/> of layer <paramref name="Layer"/>'s output.</summary>
    public sealed record LayerChannel(string Layer, int Channel) : FeatureObjective;
}
