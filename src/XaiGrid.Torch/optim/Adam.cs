using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch.Modules
{
    /// <summary>
    /// Adam (Kingma and Ba 2015) with torch.optim.Adam's update rule: weight decay is added to the gradient (this is not
    /// AdamW), optional AMSGrad and maximize. State per parameter: "step", "exp_avg", "exp_avg_sq" and, with amsgrad,
    /// "max_exp_avg_sq".
    /// </summary>
    public sealed class Adam : torch.optim.Optimizer
    {
        private const string ExpAvg = "exp_avg", ExpAvgSq = "exp_avg_sq", MaxExpAvgSq = "max_exp_avg_sq";

        public (double beta1, double beta2) betas { get; }
        public double eps { get; }
        public double weight_decay { get; }
        public bool amsgrad { get; }
        public bool maximize { get; }

        internal Adam(IEnumerable<Tensor> parameters, double lr, (double, double) betas, double eps, double weight_decay, bool amsgrad,
            bool maximize) : base(parameters, lr)
        {
            if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, "invalid epsilon value: it can't be negative");
            if (betas.Item1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(betas), betas.Item1, "invalid beta parameter at index 0: it must be in [0, 1)");
            if (betas.Item2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(betas), betas.Item2, "invalid beta parameter at index 1: it must be in [0, 1)");
            if (weight_decay < 0) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "invalid weight_decay value: it can't be negative");
            this.betas = betas;
            this.eps = eps;
            this.weight_decay = weight_decay;
            this.amsgrad = amsgrad;
            this.maximize = maximize;
        }

        private protected override IReadOnlyList<string> StateNames => amsgrad ? [ExpAvg, ExpAvgSq, MaxExpAvgSq] : [ExpAvg, ExpAvgSq];

        private protected override bool CountsSteps => true;

        public override unsafe void step()
        {
            // PyTorch counts steps per parameter, and only when it has a gradient; the bias corrections depend on the
            // count, so parameters with equal counts (usually all of them) share one native call.
            var byStep = new SortedDictionary<long, List<int>>();
            for (int i = 0; i < parameters.Count; i++)
            {
                if (!HasGrad(parameters[i])) continue;
                var s = state[i] ??= NewState(parameters[i]);
                s.step++;
                if (!byStep.TryGetValue(s.step, out var group)) byStep[s.step] = group = new List<int>();
                group.Add(i);
            }
            foreach (var (step, group) in byStep)
            {
                var p = group.Select(i => parameters[i].RawHandle).ToArray();
                var m = group.Select(i => state[i]!.tensors[ExpAvg].RawHandle).ToArray();
                var v = group.Select(i => state[i]!.tensors[ExpAvgSq].RawHandle).ToArray();
                var vmax = amsgrad ? group.Select(i => state[i]!.tensors[MaxExpAvgSq].RawHandle).ToArray() : null;
                fixed (IntPtr* pp = p)
                fixed (IntPtr* pm = m)
                fixed (IntPtr* pv = v)
                fixed (IntPtr* pvmax = vmax)
                    Check(xg_adam_step(pp, pm, pv, pvmax, group.Count, step, lr, betas.beta1, betas.beta2, eps, weight_decay,
                        amsgrad ? 1 : 0, maximize ? 1 : 0));
            }
            GC.KeepAlive(parameters);
            GC.KeepAlive(state);
        }

        private ParameterState NewState(Tensor parameter)
        {
            var s = new ParameterState();
            foreach (var name in StateNames) s.tensors[name] = Own(torch.zeros_like(parameter));
            return s;
        }
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class optim
        {
            /// <summary>torch.optim.Adam over <paramref name="parameters"/> (usually <c>model.parameters()</c>).</summary>
            public static Modules.Adam Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null,
                double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false) =>
                new(parameters, lr, betas ?? (0.9, 0.999), eps, weight_decay, amsgrad, maximize);
        }
    }
}
