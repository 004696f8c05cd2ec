namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// The methods whose maps are means over random samples, each with the parameter that counts its samples: their
/// cells split the sample range too, and a merge adds the partial sums.
/// </summary>
public static class SampledMethods
{
    public static readonly IReadOnlyDictionary<string, string> CountParameter = new Dictionary<string, string>
    {
        ["smoothgrad"] = "n",
        ["rise"] = "masks",
        ["lime"] = "samples",
    };
}
