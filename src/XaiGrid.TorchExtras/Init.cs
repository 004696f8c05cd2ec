using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

/// <summary>
/// PyTorch's default initialization of Linear and Conv layers (their reset_parameters) drawn from a generator, so a
/// model built with a generator seeded s holds the same float32 weights as PyTorch's after torch.manual_seed(s).
/// TorchSharp's constructors draw from the global generator, and its <c>nn.init.kaiming_uniform_</c> takes no
/// generator while <c>nn.init.uniform_</c> takes one and ignores it; <c>Tensor.uniform_(from, to, generator)</c> is
/// libtorch's own uniform_ with the generator, which is what PyTorch's init calls.
/// </summary>
public static class Init
{
    /// <summary>
    /// kaiming_uniform_(weight, a = sqrt(5)), which is uniform on +-1/sqrt(fan_in), then the bias uniform on
    /// +-1/sqrt(fan_in), fan_in = weight.size(1) x receptive field.
    /// </summary>
    public static void reset_parameters(Tensor weight, Tensor? bias, Generator? generator)
    {
        long fanIn = weight.shape.Skip(1).Aggregate(1L, (n, d) => n * d);
        // kaiming_uniform_'s bound, in the order of PyTorch's double arithmetic so that it rounds as PyTorch's does:
        // gain = sqrt(2 / (1 + a^2)) for leaky_relu with a = sqrt(5), std = gain / sqrt(fan_in), bound = sqrt(3) * std.
        double a = Math.Sqrt(5);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double weightBound = fanIn > 0 ? Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn)) : 0;
        double biasBound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        using (no_grad())
        {
            if (weight.numel() > 0) weight.uniform_(-weightBound, weightBound, generator);
            bias?.uniform_(-biasBound, biasBound, generator);
        }
    }

    /// <summary>
    /// Re-initializes <paramref name="module"/> if it is a Linear, Conv1d or Conv2d, then every one below it, in
    /// registration order (PyTorch's construction order when modules are registered as they are built); returns it.
    /// </summary>
    public static T reset_parameters<T>(T module, Generator? generator) where T : nn.Module
    {
        foreach (var m in module.modules().Prepend(module))
        {
            switch (m)
            {
                case TorchSharp.Modules.Linear l: reset_parameters(l.weight!, l.bias, generator); break;
                case TorchSharp.Modules.Conv1d c: reset_parameters(c.weight!, c.bias, generator); break;
                case TorchSharp.Modules.Conv2d c: reset_parameters(c.weight!, c.bias, generator); break;
            }
        }
        return module;
    }
}
