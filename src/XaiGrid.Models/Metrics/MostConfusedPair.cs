namespace XaiGrid.Models.Metrics;

/// <summary>The (true, predicted) class pair with the most misclassified samples.</summary>
public sealed record MostConfusedPair(int True, int Predicted, int Count)
{
    public static MostConfusedPair? Compute(int[] yTrue, int[] yPred, int numClasses) =>
        FromConfusionMatrix(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    /// <summary>
    /// Largest off-diagonal entry of the raw confusion matrix; equal counts go to the lowest
    /// (true, predicted) pair in row-major order. Null when nothing is misclassified, since no pair
    /// is then confused at all.
    /// </summary>
    public static MostConfusedPair? FromConfusionMatrix(int[][] confusionMatrix)
    {
        int n = ConfusionMatrix.Check(confusionMatrix, nameof(confusionMatrix));
        MostConfusedPair? best = null;
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
                if (t != p && confusionMatrix[t][p] > (best?.Count ?? 0))
                    best = new MostConfusedPair(t, p, confusionMatrix[t][p]);
        return best;
    }
}
