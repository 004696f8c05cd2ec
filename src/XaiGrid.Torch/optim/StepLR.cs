namespace XaiGrid.Torch.Modules;

/// <summary>torch.optim.lr_scheduler.StepLR: lr = base_lr * gamma^floor(epoch / step_size).</summary>
public sealed class StepLR : torch.optim.lr_scheduler.LRScheduler
{
    public long step_size { get; }
    public double gamma { get; }

    internal StepLR(torch.optim.Optimizer optimizer, long step_size, double gamma) : base(optimizer)
    {
        if (step_size <= 0) throw new ArgumentOutOfRangeException(nameof(step_size), step_size, "StepLR: step_size must be positive");
        this.step_size = step_size;
        this.gamma = gamma;
    }

    // PyTorch's chainable form (what its step() uses): multiply the current lr at each multiple of step_size, so the
    // sequence matches PyTorch's to the last bit rather than the closed form's rounding.
    protected override double get_lr() =>
        last_epoch == 0 || last_epoch % step_size != 0 ? optimizer.lr : optimizer.lr * gamma;
}
