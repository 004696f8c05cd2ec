namespace XaiGrid.Torch;

/// <summary>
/// Derives generator seeds from what a draw is for (a run's seed and step, or a seed, an input id and a sample
/// index), never from how work is split, so results do not depend on batch sizes, shards or workers.
/// </summary>
public static class Seeds
{
    /// <summary>A 64-bit seed from <paramref name="seed"/> and identity parts, mixed with SplitMix64's finalizer.</summary>
    public static ulong Derive(ulong seed, params long[] parts)
    {
        ulong h = Mix(seed ^ 0x6A09E667F3BCC908UL);
        foreach (var p in parts) h = Mix(h ^ Mix(unchecked((ulong)p + 0x9E3779B97F4A7C15UL)));
        return h;
    }

    public static torch.Generator Generator(ulong seed, params long[] parts) => new(Derive(seed, parts));

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
