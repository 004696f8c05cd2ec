namespace XaiGrid.Torch.Modules;

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingLR: lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2,
/// which past T_max rises again (the cosine's period is 2 T_max).
/// </summary>
public sealed class CosineAnnealingLR : torch.optim.lr_scheduler.LRScheduler
{
    public long T_max { get; }
    public double eta_min { get; }

    internal CosineAnnealingLR(torch.optim.Optimizer optimizer, long T_max, double eta_min) : base(optimizer)
    {
        if (T_max <= 0) throw new ArgumentOutOfRangeException(nameof(T_max), T_max, "CosineAnnealingLR: T_max must be positive");
        this.T_max = T_max;
        this.eta_min = eta_min;
    }

    // The closed form PyTorch documents (its _get_closed_form_lr), not the recursive form its step() uses: the two
    // agree mathematically, the closed form does not accumulate rounding, and it depends on nothing but the epoch.
    protected override double get_lr() =>
        eta_min + (base_lr - eta_min) * (1 + Math.Cos(Math.PI * last_epoch / T_max)) / 2;
}
