using System.Globalization;
using XaiGrid.Explain.Influence;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// Influence (Leino et al. 2018) at <see cref="Layer"/> of every run of <see cref="Model"/>. With a class
/// distribution it is class-wide (one influence per class, from partial sums over the class's instances); with a
/// point or path distribution it is per instance over <see cref="Inputs"/>, computed as the influence explanation
/// method. <see cref="TopK"/> and <see cref="Aggregate"/> (how a channel's positions become one score) say which
/// channels the report lists.
/// </summary>
public sealed record InfluenceJob(string Name, string Model, string Layer, QuantityOfInterestSpec Quantity, DistributionOfInterestSpec Distribution,
    int TopK, string Aggregate, InputSelector? Inputs, bool MultiplyActivation, SourceLocation Location)
{
    public static readonly string[] Aggregates = Enum.GetNames<ChannelReduction>().Select(n => n.ToLowerInvariant()).ToArray();

    public bool ClassWide => Distribution is DistributionOfInterestSpec.Classes;

    /// <summary>A per-instance job as the influence explanation method with its parameters.</summary>
    public MethodSpec AsMethod()
    {
        if (ClassWide || Quantity.MethodValue is not { } qoi)
            throw new InvalidOperationException($"influence '{Name}' is class-wide or has a logit combination: it is not a per-instance method");
        var parameters = new Dictionary<string, string>
        {
            ["layer"] = Layer,
            ["qoi"] = qoi,
            ["multiply-activation"] = MultiplyActivation ? "true" : "false",
        };
        if (Distribution is DistributionOfInterestSpec.Path path)
        {
            parameters["doi"] = "path";
            if (path.Baseline is { } baseline) parameters["baseline"] = baseline.ToString("R", CultureInfo.InvariantCulture);
            if (path.Steps is { } steps) parameters["steps"] = steps.ToString(CultureInfo.InvariantCulture);
        }
        else parameters["doi"] = "point";
        return new MethodSpec("influence", parameters, Location);
    }
}
