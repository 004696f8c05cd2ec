namespace XaiGrid.TorchExtras.Tests;

/// <summary>
/// TorchSharp's native library loads (on Debian 12 only once the build has marked its GLIBCXX_3.4.32 requirement
/// weak, see build/TorchSharpGlibcxx.targets) and libtorch's autograd runs.
/// </summary>
public class LibTorchTests
{
    [Fact]
    public void BackwardOfASumOfSquaresIsTwiceTheInput()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { -1.5f, 0, 2, 3.25f }).requires_grad_();
        x.mul(x).sum().backward();
        Assert.Equal(new float[] { -3, 0, 4, 6.5f }, x.grad!.data<float>().ToArray());
    }
}
