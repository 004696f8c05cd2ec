namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class optim
    {
        public static partial class lr_scheduler
        {
            /// <summary>
            /// Sets an optimizer's learning rate by epoch, as PyTorch's schedulers: made at epoch 0 with the optimizer's
            /// lr as base_lr, then <see cref="step"/> once per epoch (after the optimizer's steps) sets the next lr.
            /// </summary>
            public abstract class LRScheduler
            {
                protected readonly Optimizer optimizer;

                private protected LRScheduler(Optimizer optimizer)
                {
                    this.optimizer = optimizer;
                    base_lr = optimizer.lr;
                    last_lr = optimizer.lr;
                }

                /// <summary>The optimizer's lr when the scheduler was made (PyTorch's base_lrs[0]).</summary>
                public double base_lr { get; private set; }

                public long last_epoch { get; private set; }

                private double last_lr;

                /// <summary>The lr for <see cref="last_epoch"/>, computed from the optimizer's current lr or in closed form.</summary>
                protected abstract double get_lr();

                public void step()
                {
                    last_epoch++;
                    last_lr = get_lr();
                    optimizer.lr = last_lr;
                }

                /// <summary>The lr this scheduler set last (one value: the optimizer has one parameter group).</summary>
                public double get_last_lr() => last_lr;

                /// <summary>last_epoch, base_lr and last_lr, for a checkpoint (restore the optimizer's state as well).</summary>
                public Dictionary<string, double> state_dict() =>
                    new() { ["last_epoch"] = last_epoch, ["base_lr"] = base_lr, ["last_lr"] = last_lr };

                public void load_state_dict(IReadOnlyDictionary<string, double> state_dict)
                {
                    string[] keys = ["last_epoch", "base_lr", "last_lr"];
                    var missing = keys.Where(k => !state_dict.ContainsKey(k)).ToList();
                    var unexpected = state_dict.Keys.Where(k => !keys.Contains(k)).ToList();
                    if (missing.Count > 0 || unexpected.Count > 0)
                        throw new TorchException($"error loading a state dict into {GetType().Name}: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]");
                    double epoch = state_dict["last_epoch"];
                    if (epoch < 0 || epoch != Math.Floor(epoch))
                        throw new TorchException($"error loading a state dict into {GetType().Name}: last_epoch {epoch} is not a whole number >= 0");
                    last_epoch = (long)epoch;
                    base_lr = state_dict["base_lr"];
                    last_lr = state_dict["last_lr"];
                }
            }

            /// <summary>Multiplies the lr by <paramref name="gamma"/> every <paramref name="step_size"/> epochs.</summary>
            public static Modules.StepLR StepLR(Optimizer optimizer, long step_size, double gamma = 0.1) => new(optimizer, step_size, gamma);

            /// <summary>Anneals the lr from its base value to <paramref name="eta_min"/> along a half cosine over <paramref name="T_max"/> epochs.</summary>
            public static Modules.CosineAnnealingLR CosineAnnealingLR(Optimizer optimizer, long T_max, double eta_min = 0) =>
                new(optimizer, T_max, eta_min);
        }
    }
}
