namespace XaiGrid.Models.Training;

/// <summary>
/// One row of the training history. Train loss and accuracy are means over the epoch's batches as they were
/// trained (train mode, dropout on); test loss and accuracy are measured after the epoch in eval mode.
/// </summary>
public sealed record EpochRecord(
    int Epoch,
    long Step,
    double LearningRate,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    double Seconds);
