namespace XaiGrid.Models.Metrics;

/// <summary>Confusion matrix as <c>matrix[true][predicted]</c> (rows = true class, columns = predicted class).</summary>
public static class ConfusionMatrix
{
    public static int[][] Compute(int[] yTrue, int[] yPred, int numClasses)
    {
        MetricInputs.CheckLabelPair(yTrue, yPred, numClasses);
        var matrix = new int[numClasses][];
        for (int c = 0; c < numClasses; c++) matrix[c] = new int[numClasses];
        for (int i = 0; i < yTrue.Length; i++) matrix[yTrue[i]][yPred[i]]++;
        return matrix;
    }

    /// <summary>
    /// Each row divided by its sum, so entry (t, p) is the fraction of class t predicted as p.
    /// A class with no samples has an all-zero row: the fractions are undefined there, and zeros
    /// (not NaN) keep heatmaps and sums usable while the support count says the row is empty.
    /// </summary>
    public static double[][] Normalize(int[][] confusionMatrix)
    {
        int n = Check(confusionMatrix, nameof(confusionMatrix));
        var normalized = new double[n][];
        for (int t = 0; t < n; t++)
        {
            normalized[t] = new double[n];
            long rowSum = 0;
            for (int p = 0; p < n; p++) rowSum += confusionMatrix[t][p];
            if (rowSum == 0) continue;
            for (int p = 0; p < n; p++) normalized[t][p] = (double)confusionMatrix[t][p] / rowSum;
        }
        return normalized;
    }

    /// <summary>Checks the matrix is square, non-negative and counts at least one sample; returns the number of classes.</summary>
    internal static int Check(int[][] confusionMatrix, string paramName)
    {
        MetricInputs.CheckNotEmpty(confusionMatrix, paramName);
        int n = confusionMatrix.Length;
        long total = 0;
        for (int t = 0; t < n; t++)
        {
            var row = confusionMatrix[t] ?? throw new ArgumentException($"{paramName}[{t}] is null.", paramName);
            if (row.Length != n)
                throw new ArgumentException(
                    $"{paramName}[{t}] has {row.Length} columns but the matrix has {n} rows; it must be square.", paramName);
            for (int p = 0; p < n; p++)
            {
                if (row[p] < 0)
                    throw new ArgumentException($"{paramName}[{t}][{p}] = {row[p]} is a negative count.", paramName);
                total += row[p];
            }
        }
        if (total == 0)
            throw new ArgumentException($"{paramName} counts no samples; metrics need at least one.", paramName);
        return n;
    }
}
