namespace XaiGrid.Models.Training;

/// <summary>The loss became NaN or infinite: training stops rather than go on with broken weights.</summary>
public sealed class TrainingDivergedException(double loss, long step, int epoch)
    : Exception($"training diverged: the loss is {loss} at step {step} (epoch {epoch}); try a lower learning rate")
{
    public double Loss { get; } = loss;
    public long Step { get; } = step;
    public int Epoch { get; } = epoch;
}
