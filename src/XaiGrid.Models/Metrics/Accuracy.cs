namespace XaiGrid.Models.Metrics;

public static class Accuracy
{
    /// <summary>Fraction of samples whose predicted label equals the true label.</summary>
    public static double Compute(int[] yTrue, int[] yPred)
    {
        MetricInputs.CheckNotEmpty(yTrue, nameof(yTrue));
        MetricInputs.CheckNotEmpty(yPred, nameof(yPred));
        MetricInputs.CheckSameLength(yTrue.Length, nameof(yTrue), yPred.Length, nameof(yPred));
        int correct = 0;
        for (int i = 0; i < yTrue.Length; i++)
            if (yTrue[i] == yPred[i]) correct++;
        return (double)correct / yTrue.Length;
    }
}
