namespace XaiGrid.Models.Metrics;

/// <summary>
/// Accuracy within each true class (the fraction of class c's samples predicted as c, i.e. the
/// recall of c) and the class's support (its number of samples). A class with no samples gets
/// NaN, not 0: its accuracy is undefined and a 0 would read as "always wrong".
/// <see cref="PrecisionRecallF1"/> reports 0 there instead, following scikit-learn.
/// </summary>
public sealed record PerClassAccuracy(double[] Accuracy, int[] Support)
{
    public static PerClassAccuracy Compute(int[] yTrue, int[] yPred, int numClasses) =>
        FromConfusionMatrix(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    public static PerClassAccuracy FromConfusionMatrix(int[][] confusionMatrix)
    {
        int n = ConfusionMatrix.Check(confusionMatrix, nameof(confusionMatrix));
        var accuracy = new double[n];
        var support = new int[n];
        for (int c = 0; c < n; c++)
        {
            support[c] = confusionMatrix[c].Sum();
            accuracy[c] = support[c] == 0 ? double.NaN : (double)confusionMatrix[c][c] / support[c];
        }
        return new PerClassAccuracy(accuracy, support);
    }
}
