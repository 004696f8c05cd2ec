using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    /// <summary>Restores the previous grad mode of this thread when disposed.</summary>
    public sealed class GradMode : IDisposable
    {
        private readonly int previous;
        private bool disposed;

        internal GradMode(bool enabled) => previous = xg_set_grad_enabled(enabled ? 1 : 0);

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            xg_set_grad_enabled(previous);
        }
    }

    /// <summary><c>using (torch.no_grad()) { ... }</c>: no autograd graph is recorded inside.</summary>
    public static GradMode no_grad() => new(false);

    public static GradMode enable_grad() => new(true);

    public static GradMode set_grad_enabled(bool enabled) => new(enabled);

    public static bool is_grad_enabled() => xg_is_grad_enabled() != 0;

    public static class autograd
    {
        /// <summary>
        /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, as torch.autograd.grad.
        /// An entry is null where an input is unused (only with <paramref name="allow_unused"/>).
        /// </summary>
        public static unsafe Tensor?[] grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
            IReadOnlyList<Tensor?>? grad_outputs = null, bool? retain_graph = null, bool create_graph = false,
            bool allow_unused = false)
        {
            if (grad_outputs is not null && grad_outputs.Count != outputs.Count)
                throw new TorchException($"autograd.grad: {outputs.Count} outputs but {grad_outputs.Count} grad_outputs");
            var outs = outputs.Select(t => t.RawHandle).ToArray();
            var ins = inputs.Select(t => t.RawHandle).ToArray();
            var gouts = grad_outputs?.Select(t => t?.RawHandle ?? IntPtr.Zero).ToArray();
            var results = new IntPtr[ins.Length];
            fixed (IntPtr* o = outs)
            fixed (IntPtr* i = ins)
            fixed (IntPtr* g = gouts)
            fixed (IntPtr* r = results)
            {
                Check(xg_autograd_grad(o, outs.Length, i, ins.Length, gouts is null ? null : g,
                    retain_graph is null ? -1 : retain_graph.Value ? 1 : 0, create_graph ? 1 : 0, allow_unused ? 1 : 0, r));
            }
            GC.KeepAlive(outputs);
            GC.KeepAlive(inputs);
            GC.KeepAlive(grad_outputs);
            return results.Select(h => h == IntPtr.Zero ? null : new Tensor(h)).ToArray();
        }
    }
}
