namespace XaiGrid.Models.Metrics;

/// <summary>One sample shown as an example; Confidence is the probability of the predicted class.</summary>
public sealed record ClassificationExample(string Id, int TrueClass, int PredictedClass, double Confidence);

public static class ClassificationExamples
{
    /// <summary>
    /// The k most confident correct predictions and the k most confident wrong ones (confident
    /// mistakes are the informative failures). Predictions are the argmax of each row; equal
    /// confidences are ordered by id (ordinal string order), so the choice does not depend on the
    /// order the samples came in. Ids must be unique for that reason.
    /// </summary>
    public static (ClassificationExample[] Successes, ClassificationExample[] Failures) Select(
        int[] yTrue, double[][] probabilities, string[] ids, int k)
    {
        int numClasses = Probabilities.NumClasses(probabilities);
        MetricInputs.CheckLabels(yTrue, numClasses, nameof(yTrue));
        MetricInputs.CheckSameLength(yTrue.Length, nameof(yTrue), probabilities.Length, nameof(probabilities));
        CheckIds(ids, yTrue.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(k);

        var predicted = Probabilities.Argmax(probabilities);
        var examples = Enumerable.Range(0, yTrue.Length)
            .Select(i => new ClassificationExample(ids[i], yTrue[i], predicted[i], probabilities[i][predicted[i]]))
            .OrderByDescending(e => e.Confidence)
            .ThenBy(e => e.Id, StringComparer.Ordinal)
            .ToArray();
        return (
            examples.Where(e => e.TrueClass == e.PredictedClass).Take(k).ToArray(),
            examples.Where(e => e.TrueClass != e.PredictedClass).Take(k).ToArray());
    }

    private static void CheckIds(string[] ids, int numSamples)
    {
        ArgumentNullException.ThrowIfNull(ids);
        MetricInputs.CheckSameLength(numSamples, "yTrue", ids.Length, nameof(ids));
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] is null) throw new ArgumentException($"ids[{i}] is null.", nameof(ids));
            if (!firstIndex.TryAdd(ids[i], i))
                throw new ArgumentException($"ids[{i}] = \"{ids[i]}\" repeats ids[{firstIndex[ids[i]]}]; ids must be unique.", nameof(ids));
        }
    }
}
