namespace XaiGrid.Explain.Compression;

/// <summary>
/// One-vs-rest counts for class <see cref="Class"/>: a prediction says "c" or "not c". Recall and precision follow
/// scikit-learn's zero_division=0 (as <c>PrecisionRecallF1</c>): 0 when their denominator is 0.
/// </summary>
public sealed record ClassCounts(int Class, long TruePositives, long FalsePositives, long FalseNegatives)
{
    /// <summary>TP / (TP + FN): the share of the class's instances predicted as the class.</summary>
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>TP / (TP + FP): the share of predictions of the class that are right.</summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    public static ClassCounts Count(IReadOnlyList<long> predictions, IReadOnlyList<long> labels, int cls)
    {
        if (predictions.Count != labels.Count) throw new ArgumentException($"{predictions.Count} predictions for {labels.Count} labels");
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            bool said = predictions[i] == cls, truly = labels[i] == cls;
            if (said && truly) tp++;
            else if (said) fp++;
            else if (truly) fn++;
        }
        return new ClassCounts(cls, tp, fp, fn);
    }

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0.0 : (double)numerator / denominator;
}
