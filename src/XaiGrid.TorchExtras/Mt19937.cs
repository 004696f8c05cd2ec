using System.Runtime.Intrinsics;

namespace XaiGrid.TorchExtras;

/// <summary>
/// libtorch's CPU random engine (at::mt19937, the 32-bit Mersenne Twister, seeded with the low 32 bits of a
/// generator's seed) and the two draws that <see cref="Seeds.Rows"/> makes by the million: torch.rand in float32
/// (uniform_real_distribution: the low 24 bits of one 32-bit number over 2^24) and torch.randint (random_from_to: one
/// 32-bit number, or a 64-bit one for ranges of 2^32 or more, modulo the range). Element by element these are libtorch's
/// serial CPU kernels, so a row equals what a new torch.Generator(seed) draws; drawn here, a sample costs no native calls.
/// </summary>
internal static class Mt19937
{
    private const int N = 624, M = 397;

    /// <summary>Seeds run side by side: one per lane of a vector, and several vectors, as a step of one vector waits for its step before.</summary>
    private const int Vectors = 4;
    private static readonly int Lanes = Vector256<uint>.Count;

    /// <summary>
    /// The first <paramref name="count"/> 32-bit numbers of an engine seeded with each of <paramref name="seeds"/>:
    /// row k of <paramref name="outputs"/> (<paramref name="count"/> numbers) is seed k's.
    /// <para>
    /// A sample of RISE or LIME draws a few dozen numbers, and making them used to cost far more than drawing them: the
    /// seeding recurrence over all 624 words of state is serial within a seed, and the twist then remade all 624 words.
    /// So seeds run in the lanes of vectors (their recurrences overlap), and the twist is done word by word as numbers
    /// are taken, in the order of the full twist's loop, which it equals: word i is twisted from words i, i + 1 and
    /// i + 397 (mod 624, the later ones already twisted), so the first c numbers need the seeding only up to word c + 397.
    /// </para>
    /// </summary>
    public static void Outputs(ReadOnlySpan<ulong> seeds, int count, Span<uint> outputs)
    {
        if (outputs.Length != seeds.Length * count) throw new ArgumentException($"{outputs.Length} outputs for {seeds.Length} seeds of {count} numbers");
        int seeded = Math.Min(N, count + M), width = Vectors * Lanes;
        // Word j of the v-th vector of seeds is state[j * Vectors + v].
        var state = new Vector256<uint>[N * Vectors];
        Span<uint> lanes = stackalloc uint[width];
        for (int first = 0; first < seeds.Length; first += width)
        {
            int used = Math.Min(width, seeds.Length - first);
            lanes.Clear();
            for (int l = 0; l < used; l++) lanes[l] = unchecked((uint)seeds[first + l]);
            for (int v = 0; v < Vectors; v++) state[v] = Vector256.Create<uint>(lanes.Slice(v * Lanes, Lanes));
            for (int j = 1; j < seeded; j++)
                for (int v = 0; v < Vectors; v++)
                {
                    var s = state[(j - 1) * Vectors + v];
                    state[j * Vectors + v] = Vector256.Create(1812433253u) * (s ^ (s >> 30)) + Vector256.Create((uint)j);
                }
            for (int t = 0; t < count; t++)
            {
                int i = t % N;
                for (int v = 0; v < Vectors; v++)
                {
                    var y = (state[i * Vectors + v] & Vector256.Create(0x80000000u)) | (state[(i + 1) % N * Vectors + v] & Vector256.Create(0x7fffffffu));
                    var twisted = state[(i + M) % N * Vectors + v] ^ (y >> 1) ^ (Vector256.Create(0x9908b0dfu) & -(y & Vector256<uint>.One));
                    state[i * Vectors + v] = twisted;
                    var z = twisted ^ (twisted >> 11);
                    z ^= (z << 7) & Vector256.Create(0x9d2c5680u);
                    z ^= (z << 15) & Vector256.Create(0xefc60000u);
                    (z ^ (z >> 18)).CopyTo(lanes.Slice(v * Lanes));
                }
                for (int l = 0; l < used; l++) outputs[(first + l) * count + t] = lanes[l];
            }
        }
    }

    /// <summary>torch.rand's float32 from one 32-bit number: its low 24 bits times 2^-24.</summary>
    public static float Uniform(uint number) => (number & 0xFFFFFF) * (1f / 16777216f);

    /// <summary>Whether torch.randint(low, high) takes a 64-bit number (two 32-bit ones, the first the high half) rather than one.</summary>
    public static bool Takes64(long low, long high) => unchecked((ulong)(high - low)) >= 1UL << 32;

    /// <summary>torch.randint(low, high)'s int64 from its random number (<see cref="Takes64"/>): the number modulo the range.</summary>
    public static long Integer(ulong number, long low, long high) => unchecked(low + (long)(number % (ulong)(high - low)));
}
