using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace XaiGrid.Models.Metrics;

/// <summary>
/// All classification metrics of one model on one labelled set, computed from the true labels and
/// the class probabilities (predictions are their argmax). Serializes to JSON with snake_case names;
/// NaN and ±Infinity (an undefined AUC, the ROC's first threshold) are written as the strings
/// "NaN", "Infinity" and "-Infinity" and read back as numbers.
/// </summary>
public sealed record ClassificationReport(
    int NumClasses,
    string[] ClassNames,
    int NumSamples,
    double Accuracy,
    PerClassAccuracy PerClassAccuracy,
    int[][] ConfusionMatrix,
    double[][] ConfusionMatrixNormalized,
    RocCurve[] Roc,
    double[] Precision,
    double[] Recall,
    double[] F1,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1,
    double WeightedPrecision,
    double WeightedRecall,
    double WeightedF1,
    MostConfusedPair? MostConfused,
    ClassificationExample[] Successes,
    ClassificationExample[] Failures)
{
    public const int DefaultExamplesPerKind = 5;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <param name="yTrue">True class per sample, in [0, number of probability columns).</param>
    /// <param name="probabilities">probabilities[sample][class], e.g. softmax outputs.</param>
    /// <param name="ids">Unique sample ids for the examples; the sample indices when null.</param>
    /// <param name="classNames">One name per class; the class indices when null.</param>
    /// <param name="examplesPerKind">How many successes and how many failures to keep.</param>
    public static ClassificationReport Compute(
        int[] yTrue,
        double[][] probabilities,
        string[]? ids = null,
        string[]? classNames = null,
        int examplesPerKind = DefaultExamplesPerKind)
    {
        int numClasses = Probabilities.NumClasses(probabilities);
        MetricInputs.CheckLabels(yTrue, numClasses, nameof(yTrue));
        MetricInputs.CheckSameLength(yTrue.Length, nameof(yTrue), probabilities.Length, nameof(probabilities));
        classNames ??= IndexStrings(numClasses);
        if (classNames.Length != numClasses)
            throw new ArgumentException(
                $"classNames has {classNames.Length} names but probabilities have {numClasses} classes.", nameof(classNames));
        if (Array.IndexOf(classNames, null) is var missing and >= 0)
            throw new ArgumentException($"classNames[{missing}] is null.", nameof(classNames));

        var yPred = Probabilities.Argmax(probabilities);
        var matrix = Metrics.ConfusionMatrix.Compute(yTrue, yPred, numClasses);
        var prf = PrecisionRecallF1.FromConfusionMatrix(matrix);
        var (successes, failures) = ClassificationExamples.Select(
            yTrue, probabilities, ids ?? IndexStrings(yTrue.Length), examplesPerKind);
        return new ClassificationReport(
            numClasses,
            classNames,
            yTrue.Length,
            Metrics.Accuracy.Compute(yTrue, yPred),
            PerClassAccuracy.FromConfusionMatrix(matrix),
            matrix,
            Metrics.ConfusionMatrix.Normalize(matrix),
            RocCurve.OneVsRest(yTrue, probabilities),
            prf.Precision,
            prf.Recall,
            prf.F1,
            prf.MacroPrecision,
            prf.MacroRecall,
            prf.MacroF1,
            prf.WeightedPrecision,
            prf.WeightedRecall,
            prf.WeightedF1,
            MostConfusedPair.FromConfusionMatrix(matrix),
            successes,
            failures);
    }

    /// <summary>Same as the jagged overload, for probabilities copied out of a [samples, classes] float or double array.</summary>
    public static ClassificationReport Compute<T>(
        int[] yTrue,
        T[,] probabilities,
        string[]? ids = null,
        string[]? classNames = null,
        int examplesPerKind = DefaultExamplesPerKind) where T : INumberBase<T> =>
        Compute(yTrue, Probabilities.ToRows(probabilities), ids, classNames, examplesPerKind);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ClassificationReport FromJson(string json) =>
        JsonSerializer.Deserialize<ClassificationReport>(json, JsonOptions)
        ?? throw new JsonException("The JSON text is null, not a classification report.");

    private static string[] IndexStrings(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
}
