namespace XaiGrid.Models.Metrics;

/// <summary>
/// Exact ROC curve: one point per distinct score, from (0, 0) at threshold +Infinity to (1, 1) at
/// the lowest score. Point k counts as positive every sample with score &gt;= Thresholds[k], so
/// samples with equal scores enter together and make one diagonal step (no collinear points are
/// dropped, unlike scikit-learn's default <c>drop_intermediate=True</c>).
/// Auc is the trapezoid area under these points, which equals the Mann–Whitney probability that a
/// random positive scores above a random negative, ties counting 1/2.
/// When there are no positives (or no negatives) the TPR (or FPR) axis is undefined: those values
/// and the AUC are NaN, as scikit-learn does.
/// </summary>
public sealed record RocCurve(double[] Fpr, double[] Tpr, double[] Thresholds, double Auc)
{
    public static RocCurve Compute(bool[] isPositive, double[] scores)
    {
        MetricInputs.CheckNotEmpty(isPositive, nameof(isPositive));
        MetricInputs.CheckNotEmpty(scores, nameof(scores));
        MetricInputs.CheckSameLength(isPositive.Length, nameof(isPositive), scores.Length, nameof(scores));
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"scores[{i}] = {scores[i]} is not finite.", nameof(scores));

        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]));

        var truePositives = new List<long> { 0 };
        var falsePositives = new List<long> { 0 };
        var thresholds = new List<double> { double.PositiveInfinity };
        long tp = 0, fp = 0;
        for (int i = 0; i < n;)
        {
            double score = scores[order[i]];
            for (; i < n && scores[order[i]] == score; i++)
                if (isPositive[order[i]]) tp++; else fp++;
            truePositives.Add(tp);
            falsePositives.Add(fp);
            thresholds.Add(score);
        }
        long positives = tp, negatives = fp;

        // Twice the trapezoid area in count units is an integer, so the AUC is exact up to the final division.
        long twiceArea = 0;
        for (int k = 1; k < truePositives.Count; k++)
            twiceArea += (falsePositives[k] - falsePositives[k - 1]) * (truePositives[k] + truePositives[k - 1]);
        double auc = positives == 0 || negatives == 0 ? double.NaN : twiceArea / (2.0 * positives * negatives);

        return new RocCurve(
            Rates(falsePositives, negatives), Rates(truePositives, positives), thresholds.ToArray(), auc);
    }

    /// <summary>One-vs-rest curve for every class c: positives are the samples labelled c, scores are probabilities[i][c].</summary>
    public static RocCurve[] OneVsRest(int[] yTrue, double[][] probabilities)
    {
        int numClasses = Probabilities.NumClasses(probabilities);
        MetricInputs.CheckLabels(yTrue, numClasses, nameof(yTrue));
        MetricInputs.CheckSameLength(yTrue.Length, nameof(yTrue), probabilities.Length, nameof(probabilities));
        var curves = new RocCurve[numClasses];
        for (int c = 0; c < numClasses; c++)
        {
            int cls = c;
            curves[c] = Compute(yTrue.Select(y => y == cls).ToArray(), probabilities.Select(row => row[cls]).ToArray());
        }
        return curves;
    }

    private static double[] Rates(List<long> counts, long total) =>
        counts.Select(count => total == 0 ? double.NaN : (double)count / total).ToArray();
}
