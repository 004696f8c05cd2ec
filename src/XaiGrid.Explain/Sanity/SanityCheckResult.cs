namespace XaiGrid.Explain.Sanity;

/// <summary>
/// The maps' rank correlation once <see cref="Layer"/> and every layer above it are randomized: one value per input
/// (trained map vs randomized map) and their mean. A method whose correlations stay near 1 fails the check.
/// </summary>
public sealed record SanityLayerResult(string Layer, double MeanCorrelation, double[] Correlations);

/// <summary>The cascade of a sanity check, from the top (output) layer down to the first layer.</summary>
public sealed record SanityCheckResult(ulong Seed, bool Absolute, SanityLayerResult[] Layers);
