namespace XaiGrid.TorchExtras;

/// <summary>
/// libtorch's CPU random engine (at::mt19937, the 32-bit Mersenne Twister, seeded with the low 32 bits of a
/// generator's seed) and the two draws that <see cref="Seeds.Rows"/> makes by the million: torch.rand in float32
/// (uniform_real_distribution: the low 24 bits of one 32-bit number over 2^24) and torch.randint (random_from_to: one
/// 32-bit number, or a 64-bit one for ranges of 2^32 or more, modulo the range). Element by element these are libtorch's
/// serial CPU kernels, so a row equals what a new torch.Generator(seed) draws; drawn here, a sample costs no native calls.
/// </summary>
internal sealed class Mt19937
{
    private const int N = 624, M = 397;
    private readonly uint[] state = new uint[N];
    private int next = N;

    public void Seed(ulong seed)
    {
        state[0] = unchecked((uint)seed);
        for (int j = 1; j < N; j++) state[j] = unchecked(1812433253u * (state[j - 1] ^ (state[j - 1] >> 30)) + (uint)j);
        next = N;
    }

    public uint Next()
    {
        if (next == N) Twist();
        uint y = state[next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

    /// <summary>Two 32-bit numbers as one 64-bit number, the first the high half (at::CPUGeneratorImpl::random64).</summary>
    public ulong Next64()
    {
        ulong hi = Next();
        return hi << 32 | Next();
    }

    /// <summary>torch.rand's float32: the low 24 bits of a 32-bit number times 2^-24.</summary>
    public float NextUniform() => (Next() & 0xFFFFFF) * (1f / 16777216f);

    /// <summary>torch.randint(low, high)'s int64: a 32-bit number (64-bit from a range of 2^32 on) modulo the range.</summary>
    public long NextInteger(long low, long high)
    {
        ulong range = unchecked((ulong)(high - low));
        ulong value = range >= 1UL << 32 ? Next64() : Next();
        return unchecked(low + (long)(value % range));
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (state[i] & 0x80000000u) | (state[(i + 1) % N] & 0x7fffffffu);
            uint v = state[(i + M) % N] ^ (y >> 1);
            state[i] = (y & 1) != 0 ? v ^ 0x9908b0dfu : v;
        }
        next = 0;
    }
}
