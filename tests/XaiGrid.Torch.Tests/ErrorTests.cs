using XaiGrid.Torch;
using F = XaiGrid.Torch.torch.nn.functional;

namespace XaiGrid.Torch.Tests;

/// <summary>libtorch errors surface as TorchException with libtorch's own message, and the process goes on.</summary>
public class ErrorTests
{
    [Fact]
    public void Conv2dWithWrongInputChannelsThrowsLibtorchMessage()
    {
        using var x = torch.zeros([1, 3, 8, 8]);
        using var w = torch.zeros([4, 2, 3, 3]);
        var e = Assert.Throws<TorchException>(() => F.conv2d(x, w));
        Assert.Contains("expected input[1, 3, 8, 8] to have 2 channels, but got 3 channels", e.Message);
    }

    [Fact]
    public void DtypeMismatchThrows()
    {
        using var a = torch.zeros([2, 2], torch.float32);
        using var b = torch.zeros([2, 2], torch.float64);
        var e = Assert.Throws<TorchException>(() => a.mm(b));
        Assert.Contains("expected", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Double", e.Message);
    }

    [Fact]
    public void OutOfRangeIndexThrows()
    {
        using var a = torch.zeros([3, 2]);
        using var idx = torch.tensor(new long[] { 0, 7 });
        var e = Assert.Throws<TorchException>(() => a.index_select(0, idx));
        Assert.Contains("out of range", e.Message, StringComparison.OrdinalIgnoreCase);
        var e2 = Assert.Throws<TorchException>(() => a.select(0, 5));
        Assert.Contains("out of range", e2.Message);
    }

    [Fact]
    public void ProcessGoesOnAfterErrors()
    {
        using var x = torch.ones([2, 3]);
        Assert.Throws<TorchException>(() => x.view(4, 4));
        using var s = x.sum();
        Assert.Equal(6.0, s.item<double>());
    }
}
