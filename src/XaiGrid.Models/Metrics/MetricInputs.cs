namespace XaiGrid.Models.Metrics;

/// <summary>Argument checks shared by the metrics, so every metric rejects bad labels with the same message.</summary>
internal static class MetricInputs
{
    public static void CheckNumClasses(int numClasses)
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be at least 1.");
    }

    public static void CheckNotEmpty<T>(T[] values, string paramName)
    {
        ArgumentNullException.ThrowIfNull(values, paramName);
        if (values.Length == 0)
            throw new ArgumentException($"{paramName} is empty; metrics need at least one sample.", paramName);
    }

    public static void CheckLabels(int[] labels, int numClasses, string paramName)
    {
        CheckNotEmpty(labels, paramName);
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)numClasses)
                throw new ArgumentException(
                    $"{paramName}[{i}] = {labels[i]} is outside the class range [0, {numClasses}).", paramName);
    }

    public static void CheckSameLength(int expected, string expectedName, int actual, string actualName)
    {
        if (expected != actual)
            throw new ArgumentException(
                $"{expectedName} has {expected} samples but {actualName} has {actual}.", actualName);
    }

    public static void CheckLabelPair(int[] yTrue, int[] yPred, int numClasses)
    {
        CheckNumClasses(numClasses);
        CheckLabels(yTrue, numClasses, nameof(yTrue));
        CheckLabels(yPred, numClasses, nameof(yPred));
        CheckSameLength(yTrue.Length, nameof(yTrue), yPred.Length, nameof(yPred));
    }
}
