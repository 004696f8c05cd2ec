namespace XaiGrid.Data;

/// <summary>
/// A port of numpy's legacy <c>np.random.RandomState</c> (MT19937), limited to the draws the MNIST-1D generator
/// makes. Every draw reproduces numpy bit for bit, so a port seeded like the reference replays the same dataset.
/// </summary>
public sealed class NumpyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _key = new uint[N];
    private int _pos;
    private bool _hasGauss;
    private double _gauss;

    public NumpyRandomState(uint seed) => this.seed(seed);

    /// <summary>How many 32-bit words have been drawn since the last <see cref="seed"/>.</summary>
    public long DrawCount { get; private set; }

    /// <summary><c>np.random.seed(s)</c> for an integer s: MT19937 <c>init_genrand</c>, and the cached Gaussian is dropped.</summary>
    public void seed(uint s)
    {
        _key[0] = s;
        for (int i = 1; i < N; i++)
            _key[i] = 1812433253u * (_key[i - 1] ^ (_key[i - 1] >> 30)) + (uint)i;
        _pos = N;
        _hasGauss = false;
        _gauss = 0;
        DrawCount = 0;
    }

    /// <summary>The next raw tempered MT19937 output.</summary>
    public uint next_uint32()
    {
        if (_pos == N) Twist();
        uint y = _key[_pos++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        DrawCount++;
        return y;
    }

    private void Twist()
    {
        int i = 0;
        for (; i < N - M; i++)
        {
            uint y = (_key[i] & UpperMask) | (_key[i + 1] & LowerMask);
            _key[i] = _key[i + M] ^ (y >> 1) ^ ((0u - (y & 1)) & MatrixA);
        }
        for (; i < N - 1; i++)
        {
            uint y = (_key[i] & UpperMask) | (_key[i + 1] & LowerMask);
            _key[i] = _key[i + (M - N)] ^ (y >> 1) ^ ((0u - (y & 1)) & MatrixA);
        }
        uint last = (_key[N - 1] & UpperMask) | (_key[0] & LowerMask);
        _key[N - 1] = _key[M - 1] ^ (last >> 1) ^ ((0u - (last & 1)) & MatrixA);
        _pos = 0;
    }

    /// <summary><c>np.random.rand()</c>: a 53-bit uniform double in [0, 1) from two words.</summary>
    public double rand()
    {
        uint a = next_uint32() >> 5, b = next_uint32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>
    /// <c>np.random.randn()</c> (legacy_gauss): Marsaglia's polar method. The second value of each pair is cached and
    /// returned by the next call, so a sequence of scalar calls equals one <c>randn(n)</c> array call.
    /// </summary>
    public double randn()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            return _gauss;
        }
        double x1, x2, r2;
        do
        {
            x1 = 2.0 * rand() - 1.0;
            x2 = 2.0 * rand() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    /// <summary><c>np.random.randint(low, high)</c>: a value in [low, high) by masked rejection (numpy's legacy default).</summary>
    public int randint(int low, int high)
    {
        if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), $"randint needs low < high, got low={low}, high={high}");
        return low + (int)random_interval((uint)((long)high - low - 1));
    }

    /// <summary><c>np.random.choice(a)</c> for an integer a: one value in [0, a), drawn as <c>randint(0, a)</c>.</summary>
    public int choice(int a)
    {
        if (a <= 0) throw new ArgumentOutOfRangeException(nameof(a), $"choice needs a > 0, got {a}");
        return randint(0, a);
    }

    /// <summary><c>np.random.permutation(n)</c>: arange(n) shuffled by Fisher–Yates from the end.</summary>
    public int[] permutation(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"permutation needs n >= 0, got {n}");
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i >= 1; i--)
        {
            int j = (int)random_interval((uint)i);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    /// <summary>A value in [0, max] (inclusive): 32-bit words masked to the smallest all-ones mask ≥ max, rejected until ≤ max.</summary>
    private uint random_interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint v;
        while ((v = next_uint32() & mask) > max) { }
        return v;
    }
}
