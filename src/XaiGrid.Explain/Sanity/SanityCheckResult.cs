using System.Text.Json;
using System.Text.Json.Serialization;

namespace XaiGrid.Explain.Sanity;

/// <summary>
/// The maps' rank correlation once <see cref="Layer"/> and every layer above it are randomized: one value per input
/// (trained map vs randomized map) and their mean. A method whose correlations stay near 1 fails the check.
/// </summary>
public sealed record SanityLayerResult(string Layer, double MeanCorrelation, double[] Correlations);

/// <summary>The cascade of a sanity check, from the top (output) layer down to the first layer.</summary>
public sealed record SanityCheckResult(ulong Seed, bool Absolute, SanityLayerResult[] Layers)
{
    // A map that randomization makes constant (Grad-CAM's ReLU of a dead layer is all zeros) has no ranks: its
    // correlation is NaN and must survive the round trip. Property names stay as stored results already have them.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SanityCheckResult FromJson(string json) =>
        JsonSerializer.Deserialize<SanityCheckResult>(json, Json) ?? throw new JsonException("The JSON text is null, not a sanity check result.");
}
