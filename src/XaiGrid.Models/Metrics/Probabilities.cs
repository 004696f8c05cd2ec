using System.Numerics;

namespace XaiGrid.Models.Metrics;

/// <summary>
/// Class probabilities (softmax outputs) as rows: <c>probabilities[sample][class]</c>. Metrics take
/// <c>double[][]</c>; <see cref="ToRows{T}"/> converts the rectangular float/double arrays a model
/// output is usually copied into.
/// </summary>
public static class Probabilities
{
    public static double[][] ToRows<T>(T[,] probabilities) where T : INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        int n = probabilities.GetLength(0), c = probabilities.GetLength(1);
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new double[c];
            for (int j = 0; j < c; j++)
                rows[i][j] = double.CreateChecked(probabilities[i, j]);
        }
        return rows;
    }

    /// <summary>
    /// Checks the shape and that every value is finite, and returns the number of classes (columns).
    /// Values are not required to sum to 1: float32 softmax rows rarely do exactly, and ROC curves
    /// only need an ordering.
    /// </summary>
    public static int NumClasses(double[][] probabilities)
    {
        const string paramName = nameof(probabilities);
        MetricInputs.CheckNotEmpty(probabilities, paramName);
        int numClasses = -1;
        for (int i = 0; i < probabilities.Length; i++)
        {
            var row = probabilities[i]
                ?? throw new ArgumentException($"{paramName}[{i}] is null.", paramName);
            if (i == 0)
            {
                numClasses = row.Length;
                if (numClasses == 0)
                    throw new ArgumentException($"{paramName}[0] has no classes.", paramName);
            }
            else if (row.Length != numClasses)
                throw new ArgumentException(
                    $"{paramName}[{i}] has {row.Length} classes but {paramName}[0] has {numClasses}.", paramName);
            for (int c = 0; c < row.Length; c++)
                if (!double.IsFinite(row[c]))
                    throw new ArgumentException($"{paramName}[{i}][{c}] = {row[c]} is not finite.", paramName);
        }
        return numClasses;
    }

    /// <summary>Predicted class per sample; equal maxima go to the lowest class index, as numpy and torch argmax do.</summary>
    public static int[] Argmax(double[][] probabilities)
    {
        NumClasses(probabilities);
        var predicted = new int[probabilities.Length];
        for (int i = 0; i < probabilities.Length; i++)
        {
            var row = probabilities[i];
            int best = 0;
            for (int c = 1; c < row.Length; c++)
                if (row[c] > row[best]) best = c;
            predicted[i] = best;
        }
        return predicted;
    }
}
