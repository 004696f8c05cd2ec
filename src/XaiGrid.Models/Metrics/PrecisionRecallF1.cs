namespace XaiGrid.Models.Metrics;

/// <summary>
/// Precision, recall and F1 per class, with their macro means (over all classes, each counting
/// once) and weighted means (each class weighted by its support, so classes with no samples drop
/// out).
/// Undefined ratios follow scikit-learn's <c>zero_division=0</c>: a class that is never predicted
/// has precision 0, a class with no samples has recall 0, and F1 = 2TP / (2TP + FP + FN) is 0
/// when that denominator is 0. Unlike scikit-learn's default, which averages only over the labels
/// present in y_true or y_pred, the macro means here average over all <c>numClasses</c> classes,
/// as scikit-learn does when given <c>labels=range(numClasses)</c>.
/// </summary>
public sealed record PrecisionRecallF1(
    double[] Precision,
    double[] Recall,
    double[] F1,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    double WeightedPrecision,
    double WeightedRecall,
    double WeightedF1)
{
    public static PrecisionRecallF1 Compute(int[] yTrue, int[] yPred, int numClasses) =>
        FromConfusionMatrix(ConfusionMatrix.Compute(yTrue, yPred, numClasses));

    public static PrecisionRecallF1 FromConfusionMatrix(int[][] confusionMatrix)
    {
        int n = ConfusionMatrix.Check(confusionMatrix, nameof(confusionMatrix));
        var precision = new double[n];
        var recall = new double[n];
        var f1 = new double[n];
        var support = new long[n];
        for (int c = 0; c < n; c++)
        {
            long truePositives = confusionMatrix[c][c];
            long predicted = 0;
            for (int t = 0; t < n; t++) predicted += confusionMatrix[t][c];
            foreach (int count in confusionMatrix[c]) support[c] += count;
            precision[c] = Ratio(truePositives, predicted);
            recall[c] = Ratio(truePositives, support[c]);
            // predicted + support = (TP + FP) + (TP + FN), F1's denominator in count form.
            f1[c] = Ratio(2 * truePositives, predicted + support[c]);
        }
        return new PrecisionRecallF1(
            precision, recall, f1,
            precision.Average(), recall.Average(), f1.Average(),
            Weighted(precision, support), Weighted(recall, support), Weighted(f1, support));
    }

    private static double Ratio(long numerator, long denominator) =>
        denominator == 0 ? 0.0 : (double)numerator / denominator;

    private static double Weighted(double[] values, long[] weights)
    {
        double sum = 0;
        long total = 0;
        for (int c = 0; c < values.Length; c++)
        {
            sum += weights[c] * values[c];
            total += weights[c];
        }
        return sum / total;
    }
}
