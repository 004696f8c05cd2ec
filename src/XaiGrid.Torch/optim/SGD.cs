using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch.Modules
{
    /// <summary>
    /// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, weight decay (L2, added to
    /// the gradient) and maximize, with torch.optim.SGD's update rule. State: "momentum_buffer" per parameter.
    /// </summary>
    public sealed class SGD : torch.optim.Optimizer
    {
        private const string MomentumBuffer = "momentum_buffer";

        public double momentum { get; }
        public double dampening { get; }
        public double weight_decay { get; }
        public bool nesterov { get; }
        public bool maximize { get; }

        internal SGD(IEnumerable<Tensor> parameters, double lr, double momentum, double dampening, double weight_decay, bool nesterov,
            bool maximize) : base(parameters, lr)
        {
            if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "invalid momentum value: it can't be negative");
            if (weight_decay < 0) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "invalid weight_decay value: it can't be negative");
            if (nesterov && (momentum <= 0 || dampening != 0))
                throw new ArgumentException($"Nesterov momentum requires a momentum and zero dampening (got momentum {momentum}, dampening {dampening})");
            this.momentum = momentum;
            this.dampening = dampening;
            this.weight_decay = weight_decay;
            this.nesterov = nesterov;
            this.maximize = maximize;
        }

        private protected override IReadOnlyList<string> StateNames => [MomentumBuffer];

        private protected override bool CountsSteps => false;

        public override unsafe void step()
        {
            int n = parameters.Count;
            var handles = new IntPtr[n];
            var buffers = new IntPtr[n];
            for (int i = 0; i < n; i++)
            {
                handles[i] = parameters[i].RawHandle;
                buffers[i] = state[i]?.tensors[MomentumBuffer].RawHandle ?? IntPtr.Zero;
            }
            try
            {
                fixed (IntPtr* p = handles)
                fixed (IntPtr* b = buffers)
                    Check(xg_sgd_step(p, b, n, lr, momentum, dampening, weight_decay, nesterov ? 1 : 0, maximize ? 1 : 0));
            }
            finally
            {
                // The native step creates a parameter's momentum buffer on its first step with a gradient and hands it
                // back in the array; take ownership of every new one, also when a later parameter failed.
                for (int i = 0; i < n; i++)
                {
                    if (state[i] is not null || buffers[i] == IntPtr.Zero) continue;
                    var s = state[i] = new ParameterState();
                    s.tensors[MomentumBuffer] = Own(new Tensor(buffers[i]));
                }
                GC.KeepAlive(parameters);
                GC.KeepAlive(state);
            }
        }
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class optim
        {
            /// <summary>torch.optim.SGD over <paramref name="parameters"/> (usually <c>model.parameters()</c>).</summary>
            public static Modules.SGD SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
                double weight_decay = 0, bool nesterov = false, bool maximize = false) =>
                new(parameters, lr, momentum, dampening, weight_decay, nesterov, maximize);
        }
    }
}
