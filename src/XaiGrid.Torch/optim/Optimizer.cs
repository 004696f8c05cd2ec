using System.Globalization;

namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Updates a list of parameters (one parameter group) from their gradients. Its per-parameter state (momentum
        /// buffers, moment estimates, step counts) is owned and disposed by the optimizer, and round-trips through
        /// <see cref="state_dict"/> / <see cref="load_state_dict"/> so a training run can checkpoint and resume bit-exactly.
        /// </summary>
        public abstract class Optimizer : IDisposable
        {
            private readonly Tensor[] parameters_;
            private double lr_;
            private bool disposed;

            /// <summary>State of parameter i, created on its first step with a gradient (as PyTorch's lazy state).</summary>
            private protected readonly ParameterState?[] state;

            private protected sealed class ParameterState : IDisposable
            {
                /// <summary>Steps taken with a gradient; only optimizers with <see cref="CountsSteps"/> keep it.</summary>
                public long step;

                public readonly Dictionary<string, Tensor> tensors = new();

                public void Dispose()
                {
                    foreach (var t in tensors.Values) t.Dispose();
                    tensors.Clear();
                }
            }

            private protected Optimizer(IEnumerable<Tensor> parameters, double lr)
            {
                parameters_ = parameters.ToArray();
                if (parameters_.Length == 0) throw new ArgumentException($"{GetType().Name} got an empty parameter list");
                for (int i = 0; i < parameters_.Length; i++)
                    if (!parameters_[i].is_leaf)
                        throw new ArgumentException($"{GetType().Name} can't optimize parameter {i}: it is not a leaf tensor");
                state = new ParameterState?[parameters_.Length];
                this.lr = lr;
            }

            public IReadOnlyList<Tensor> parameters => parameters_;

            /// <summary>The learning rate; a scheduler sets it between steps.</summary>
            public double lr
            {
                get => lr_;
                set => lr_ = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(lr), value, "invalid learning rate: it can't be negative");
            }

            /// <summary>Drops the parameters' gradients (PyTorch's zero_grad with set_to_none=True).</summary>
            public void zero_grad()
            {
                foreach (var p in parameters_) p.grad = null;
            }

            /// <summary>One update of every parameter that has a gradient; the others are left alone.</summary>
            public abstract void step();

            /// <summary>Names of the state tensors each parameter gets, in the order they are exported.</summary>
            private protected abstract IReadOnlyList<string> StateNames { get; }

            /// <summary>Whether the state holds a per-parameter step count (Adam's bias correction needs it).</summary>
            private protected abstract bool CountsSteps { get; }

            private protected static bool HasGrad(Tensor p)
            {
                using var g = p.grad;
                return g is not null;
            }

            /// <summary>A new state tensor owned by the optimizer, whatever dispose scope is open.</summary>
            private protected static Tensor Own(Tensor t) => t.DetachFromDisposeScope();

            /// <summary>
            /// "lr" (a float64 scalar) and, for each parameter i with state, "state.i.NAME" (PyTorch's optimizer state
            /// names, flattened): "step" as an int64 scalar where the optimizer counts steps, and its buffers. Buffer
            /// entries share storage with the optimizer's: save or clone them before the next step. The caller
            /// disposes the returned tensors.
            /// </summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var dict = new Dictionary<string, Tensor> { ["lr"] = scalar_tensor(lr, float64) };
                for (int i = 0; i < state.Length; i++)
                {
                    if (state[i] is not { } s) continue;
                    if (CountsSteps) dict[Key(i, "step")] = scalar_tensor(s.step, int64);
                    foreach (var name in StateNames) dict[Key(i, name)] = s.tensors[name].detach();
                }
                return dict;
            }

            private static string Key(int index, string name) => $"state.{index.ToString(CultureInfo.InvariantCulture)}.{name}";

            /// <summary>
            /// Replaces the learning rate and all state with copies of the entries of <paramref name="state_dict"/>
            /// (made by <see cref="state_dict"/> of an optimizer of the same kind over parameters of the same shapes).
            /// Everything is checked before anything changes.
            /// </summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state_dict)
            {
                var problems = new List<string>();
                var names = CountsSteps ? StateNames.Prepend("step").ToArray() : StateNames.ToArray();
                var present = new HashSet<int>();
                if (!state_dict.ContainsKey("lr")) problems.Add("missing key: lr");
                foreach (var key in state_dict.Keys)
                {
                    if (key == "lr") continue;
                    var parts = key.Split('.');
                    if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
                        || i >= parameters_.Length || !names.Contains(parts[2]))
                        problems.Add($"unexpected key: {key}");
                    else
                        present.Add(i);
                }
                foreach (int i in present.Order())
                {
                    long[] want = parameters_[i].shape;
                    foreach (var name in names)
                    {
                        if (!state_dict.TryGetValue(Key(i, name), out var t))
                            problems.Add($"missing key: {Key(i, name)}");
                        else if (name == "step" && t.numel() != 1)
                            problems.Add($"{Key(i, name)}: checkpoint has shape [{string.Join(", ", t.shape)}] but a step count is a scalar");
                        else if (name != "step" && !t.shape.SequenceEqual(want))
                            problems.Add($"{Key(i, name)}: checkpoint has shape [{string.Join(", ", t.shape)}] but the parameter has [{string.Join(", ", want)}]");
                    }
                }
                if (problems.Count > 0)
                    throw new TorchException($"error(s) loading a state dict into {GetType().Name}:\n\t{string.Join("\n\t", problems)}");

                double newLr = state_dict["lr"].item<double>();
                if (newLr < 0) throw new TorchException($"error loading a state dict into {GetType().Name}: lr {newLr} is negative");
                ClearState();
                lr = newLr;
                using var noGrad = no_grad();
                foreach (int i in present)
                {
                    var s = state[i] = new ParameterState();
                    if (CountsSteps) s.step = state_dict[Key(i, "step")].item<long>();
                    foreach (var name in StateNames)
                    {
                        var copy = Own(zeros_like(parameters_[i]));
                        copy.copy_(state_dict[Key(i, name)]);
                        s.tensors[name] = copy;
                    }
                }
            }

            private void ClearState()
            {
                for (int i = 0; i < state.Length; i++)
                {
                    state[i]?.Dispose();
                    state[i] = null;
                }
            }

            public void Dispose()
            {
                if (disposed) return;
                disposed = true;
                ClearState();
            }
        }
    }
}
