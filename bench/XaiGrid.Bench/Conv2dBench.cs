using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using F = TorchSharp.torch.nn.functional;

namespace XaiGrid.Bench;

/// <summary>
/// conv2d forward+backward: x 32x3x150x150, w 32x3x3x3, bias 32, padding 1, float32, gradients for x, w and b
/// (input gradients are what the explanation methods need). The python side is bench/python/conv2d.py.
/// </summary>
public static class Conv2dBench
{
    public static int Run(BenchOptions o)
    {
        using var g = new torch.Generator(0);
        using var x = torch.randn([32, 3, 150, 150], generator: g).requires_grad_();
        using var w = torch.randn([32, 3, 3, 3], generator: g).requires_grad_();
        using var b = torch.randn([32], generator: g).requires_grad_();

        void Step()
        {
            x.grad = w.grad = b.grad = null;
            using var scope = torch.NewDisposeScope();
            F.conv2d(x, w, b, padding: [1]).sum().backward();
        }

        return Measure.Compare("conv2d forward+backward, x 32x3x150x150, w 32x3x3x3, padding 1, float32", o, Step, "conv2d.py");
    }
}
