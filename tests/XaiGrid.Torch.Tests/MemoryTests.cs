using Xunit.Abstractions;

namespace XaiGrid.Torch.Tests;

/// <summary>Many small ops inside dispose scopes leave resident memory flat: nothing native or managed leaks per op.</summary>
[Collection(SerialCollection.Name)]
public class MemoryTests(ITestOutputHelper output)
{
    private const int OpsPerScope = 1000;

    [Fact]
    public void MillionSmallOpsInScopesKeepResidentMemoryFlat()
    {
        using var x = torch.rand([4, 4]);
        using var y = torch.rand([4, 4]);
        RunScopes(x, y, scopes: 100);
        long before = ResidentBytes();

        double checksum = RunScopes(x, y, scopes: 1000);

        long growth = ResidentBytes() - before;
        output.WriteLine($"VmRSS {before >> 20} MB before, grew by {growth / 1024} kB");
        Assert.True(growth < 50L << 20, $"resident memory grew by {growth >> 20} MB over 1,000,000 ops");
        // The ops really ran: each scope added up 250 copies of the same sum.
        using var one = (x + y).mul(x).sum();
        double expected = 1000 * (OpsPerScope / 4) * one.item<double>();
        Assert.True(Math.Abs(checksum - expected) <= 1e-4 * expected, $"checksum {checksum}, expected {expected}");
    }

    /// <summary>Runs <paramref name="scopes"/> dispose scopes of 1000 ops each; returns the sum of what they computed.</summary>
    private static double RunScopes(Tensor x, Tensor y, int scopes)
    {
        double checksum = 0;
        for (int s = 0; s < scopes; s++)
        {
            using var scope = torch.NewDisposeScope();
            var total = torch.zeros([]);
            // 4 ops per iteration: add, mul, sum, add.
            for (int i = 0; i < OpsPerScope / 4; i++)
                total = total + (x + y).mul(x).sum();
            checksum += total.item<double>();
        }
        return checksum;
    }

    /// <summary>VmRSS of this process after a full garbage collection, so only memory still held counts.</summary>
    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("/proc/self/status has no VmRSS line");
    }
}
