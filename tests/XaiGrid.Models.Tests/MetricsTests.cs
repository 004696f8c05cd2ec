using XaiGrid.Models.Metrics;

namespace XaiGrid.Models.Tests;

public class MetricsTests
{
    private const double Tol = 1e-12;

    // Worked 3-class example, 10 samples. Rows = true class, columns = predicted class:
    //   true 0 (4 samples): predicted 0,0,0,1  -> [3, 1, 0]
    //   true 1 (3 samples): predicted 1,1,2    -> [0, 2, 1]
    //   true 2 (3 samples): predicted 2,1,1    -> [0, 2, 1]
    private static readonly int[] WorkedTrue = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    private static readonly int[] WorkedPred = [0, 0, 0, 1, 1, 1, 2, 2, 1, 1];

    // Probabilities whose argmax gives WorkedPred, for the report tests.
    private static readonly double[][] WorkedProbabilities =
    [
        [0.7, 0.2, 0.1],
        [0.6, 0.3, 0.1],
        [0.5, 0.3, 0.2],
        [0.3, 0.6, 0.1],
        [0.1, 0.8, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.1, 0.2, 0.7],
        [0.2, 0.6, 0.2],
        [0.1, 0.5, 0.4],
    ];

    // Ids deliberately not in sample order, so ordering by id differs from ordering by index.
    private static readonly string[] WorkedIds = ["j", "i", "h", "c", "g", "f", "b", "e", "a", "d"];

    [Fact]
    public void WorkedExampleConfusionMatrixAndAccuracy()
    {
        var matrix = ConfusionMatrix.Compute(WorkedTrue, WorkedPred, 3);
        Assert.Equal(new[] { new[] { 3, 1, 0 }, new[] { 0, 2, 1 }, new[] { 0, 2, 1 } }, matrix);

        // Row-normalized: [3/4, 1/4, 0], [0, 2/3, 1/3], [0, 2/3, 1/3].
        AssertClose([[0.75, 0.25, 0], [0, 2.0 / 3, 1.0 / 3], [0, 2.0 / 3, 1.0 / 3]], ConfusionMatrix.Normalize(matrix));

        // Diagonal 3 + 2 + 1 = 6 of 10.
        Assert.Equal(0.6, Accuracy.Compute(WorkedTrue, WorkedPred), Tol);

        // Per-class accuracy = diagonal / row sum: 3/4, 2/3, 1/3; supports 4, 3, 3.
        var perClass = PerClassAccuracy.Compute(WorkedTrue, WorkedPred, 3);
        AssertClose([0.75, 2.0 / 3, 1.0 / 3], perClass.Accuracy);
        Assert.Equal([4, 3, 3], perClass.Support);

        // Largest off-diagonal entry: (true 2, predicted 1) with 2 samples.
        Assert.Equal(new MostConfusedPair(2, 1, 2), MostConfusedPair.Compute(WorkedTrue, WorkedPred, 3));
    }

    [Fact]
    public void WorkedExamplePrecisionRecallF1()
    {
        var m = PrecisionRecallF1.Compute(WorkedTrue, WorkedPred, 3);
        // Column sums (times predicted): 3, 5, 2. Precision = diagonal / column sum: 3/3, 2/5, 1/2.
        AssertClose([1.0, 0.4, 0.5], m.Precision);
        // Recall = diagonal / row sum: 3/4, 2/3, 1/3.
        AssertClose([0.75, 2.0 / 3, 1.0 / 3], m.Recall);
        // F1 = 2PR/(P+R): class 0: 2*1*0.75/1.75 = 6/7; class 1: 2*0.4*(2/3)/(0.4+2/3) = (1.6/3)/(3.2/3) = 1/2;
        // class 2: 2*0.5*(1/3)/(0.5+1/3) = (1/3)/(5/6) = 2/5.
        AssertClose([6.0 / 7, 0.5, 0.4], m.F1);
        // Macro: plain means over the 3 classes.
        Assert.Equal((1.0 + 0.4 + 0.5) / 3, m.MacroPrecision, Tol);   // 0.6333...
        Assert.Equal((0.75 + 2.0 / 3 + 1.0 / 3) / 3, m.MacroRecall, Tol); // 1.75/3
        Assert.Equal((6.0 / 7 + 0.5 + 0.4) / 3, m.MacroF1, Tol);
        // Weighted by supports 4, 3, 3 (total 10):
        // precision (4*1 + 3*0.4 + 3*0.5)/10 = 0.67; recall (3 + 2 + 1)/10 = 0.6 (= accuracy, as it must);
        // F1 (4*6/7 + 3*0.5 + 3*0.4)/10 = (24/7 + 2.7)/10.
        Assert.Equal(0.67, m.WeightedPrecision, Tol);
        Assert.Equal(0.6, m.WeightedRecall, Tol);
        Assert.Equal((24.0 / 7 + 2.7) / 10, m.WeightedF1, Tol);
    }

    [Fact]
    public void MostConfusedTiesGoToLowestTrueThenPredicted()
    {
        // (0,2) and (1,0) both have 2: lowest true class wins.
        int[][] acrossRows = [[1, 0, 2], [2, 1, 0], [0, 1, 1]];
        Assert.Equal(new MostConfusedPair(0, 2, 2), MostConfusedPair.FromConfusionMatrix(acrossRows));
        // (1,0) and (1,2) both have 3: lowest predicted class wins.
        int[][] withinRow = [[1, 0, 0], [3, 1, 3], [0, 1, 1]];
        Assert.Equal(new MostConfusedPair(1, 0, 3), MostConfusedPair.FromConfusionMatrix(withinRow));
        // Nothing misclassified: no pair.
        Assert.Null(MostConfusedPair.FromConfusionMatrix([[2, 0], [0, 3]]));
    }

    [Fact]
    public void RocWithTiedScoresHandComputed()
    {
        // Scores sorted descending: 0.9 (+), then 0.8 x3 (+, -, +), then 0.3 (-). P = 3, N = 2.
        // Thresholds and (FP, TP): +inf (0,0); 0.9 (0,1); 0.8 (1,3) one diagonal step for the tie; 0.3 (2,3).
        // Points (FPR, TPR): (0,0), (0,1/3), (1/2,1), (1,1).
        // Trapezoids: 0 + (1/2)(1/3 + 1)/2 + (1/2)(1 + 1)/2 = 1/3 + 1/2 = 5/6.
        // Mann–Whitney by hand: pairs (pos, neg) = (0.9,0.8) 1, (0.9,0.3) 1, (0.8,0.8) 1/2, (0.8,0.3) 1,
        // (0.8,0.8) 1/2, (0.8,0.3) 1 -> 5 of 6 pairs.
        var roc = RocCurve.Compute([true, true, false, true, false], [0.9, 0.8, 0.8, 0.8, 0.3]);
        Assert.Equal([double.PositiveInfinity, 0.9, 0.8, 0.3], roc.Thresholds);
        AssertClose([0, 0, 0.5, 1], roc.Fpr);
        AssertClose([0, 1.0 / 3, 1, 1], roc.Tpr);
        Assert.Equal(5.0 / 6, roc.Auc, Tol);
    }

    [Fact]
    public void RocAucEqualsMannWhitneyOnRandomTiedData()
    {
        foreach (int seed in new[] { 1, 2, 3, 4, 5 })
        {
            var rng = new Random(seed);
            int n = 40 + 30 * seed;
            var positive = new bool[n];
            var scores = new double[n];
            for (int i = 0; i < n; i++)
            {
                positive[i] = rng.NextDouble() < 0.4;
                // Eight score levels, shifted up for positives, so ties between classes are common.
                scores[i] = Math.Min(7, rng.Next(6) + (positive[i] ? rng.Next(3) : 0)) / 8.0;
            }
            Assert.Contains(true, positive);
            Assert.Contains(false, positive);

            var roc = RocCurve.Compute(positive, scores);
            Assert.Equal(MannWhitney(positive, scores), roc.Auc, Tol);
            Assert.InRange(roc.Auc, 0.5, 1.0); // positives were shifted up, so the curve is above chance

            // Shape: one point per distinct score plus the origin, from (0,0) to (1,1), monotone.
            Assert.Equal(scores.Distinct().Count() + 1, roc.Fpr.Length);
            Assert.Equal((0.0, 0.0), (roc.Fpr[0], roc.Tpr[0]));
            Assert.Equal((1.0, 1.0), (roc.Fpr[^1], roc.Tpr[^1]));
            for (int k = 1; k < roc.Fpr.Length; k++)
            {
                Assert.True(roc.Thresholds[k] < roc.Thresholds[k - 1]);
                Assert.True(roc.Fpr[k] >= roc.Fpr[k - 1] && roc.Tpr[k] >= roc.Tpr[k - 1]);
                Assert.True(roc.Fpr[k] > roc.Fpr[k - 1] || roc.Tpr[k] > roc.Tpr[k - 1]);
            }
        }
    }

    [Fact]
    public void RocPerfectReversedAndConstantScores()
    {
        bool[] positive = [true, false, true, false, false, true];
        double[] perfect = [0.9, 0.2, 0.8, 0.1, 0.3, 0.7];
        Assert.Equal(1.0, RocCurve.Compute(positive, perfect).Auc, Tol);
        Assert.Equal(0.0, RocCurve.Compute(positive, perfect.Select(s => 1 - s).ToArray()).Auc, Tol);

        // All scores tied: a single diagonal step from (0,0) to (1,1), area 1/2.
        var flat = RocCurve.Compute(positive, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
        Assert.Equal([0.0, 1.0], flat.Fpr);
        Assert.Equal([0.0, 1.0], flat.Tpr);
        Assert.Equal(0.5, flat.Auc, Tol);
    }

    [Fact]
    public void RocWithoutPositivesOrNegativesIsNaN()
    {
        var noPositives = RocCurve.Compute([false, false, false], [0.3, 0.2, 0.2]);
        Assert.True(double.IsNaN(noPositives.Auc));
        Assert.All(noPositives.Tpr, t => Assert.True(double.IsNaN(t)));
        Assert.Equal([0.0, 1.0 / 3, 1.0], noPositives.Fpr);

        var noNegatives = RocCurve.Compute([true, true], [0.3, 0.2]);
        Assert.True(double.IsNaN(noNegatives.Auc));
        Assert.All(noNegatives.Fpr, f => Assert.True(double.IsNaN(f)));
        Assert.Equal([0.0, 0.5, 1.0], noNegatives.Tpr);
    }

    [Fact]
    public void NeverPredictedClassHasPrecisionAndF1Zero()
    {
        // Class 2 has 2 samples, both predicted as 0; nothing is predicted as 2.
        int[] yTrue = [0, 0, 1, 1, 2, 2];
        int[] yPred = [0, 1, 1, 1, 0, 0];
        // Confusion matrix: [1,1,0], [0,2,0], [2,0,0]. Column sums 3, 3, 0.
        var m = PrecisionRecallF1.Compute(yTrue, yPred, 3);
        // Precision: 1/3, 2/3, 0 (never predicted: zero_division = 0). Recall: 1/2, 2/2, 0/2.
        AssertClose([1.0 / 3, 2.0 / 3, 0], m.Precision);
        AssertClose([0.5, 1, 0], m.Recall);
        // F1 = 2TP/(2TP+FP+FN): 2/(2+2+1) = 2/5, 4/(4+1+0) = 4/5, 0/(0+0+2) = 0.
        AssertClose([0.4, 0.8, 0], m.F1);
        Assert.Equal((0.4 + 0.8) / 3, m.MacroF1, Tol);
        // Supports 2, 2, 2: weighted = macro here.
        Assert.Equal((1.0 / 3 + 2.0 / 3) / 3, m.WeightedPrecision, Tol);
    }

    [Fact]
    public void ClassWithNoSamples()
    {
        // Class 2 has no samples but is predicted once (a false positive); class 3 neither has samples nor is predicted.
        int[] yTrue = [0, 0, 1, 1, 1];
        int[] yPred = [0, 2, 1, 1, 0];
        var matrix = ConfusionMatrix.Compute(yTrue, yPred, 4);
        // Rows: [1,0,1,0], [1,2,0,0], [0,0,0,0], [0,0,0,0].
        AssertClose([[0.5, 0, 0.5, 0], [1.0 / 3, 2.0 / 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], ConfusionMatrix.Normalize(matrix));

        var perClass = PerClassAccuracy.FromConfusionMatrix(matrix);
        Assert.Equal([2, 3, 0, 0], perClass.Support);
        Assert.Equal(0.5, perClass.Accuracy[0], Tol);
        Assert.Equal(2.0 / 3, perClass.Accuracy[1], Tol);
        Assert.True(double.IsNaN(perClass.Accuracy[2]) && double.IsNaN(perClass.Accuracy[3]));

        var m = PrecisionRecallF1.FromConfusionMatrix(matrix);
        // Column sums 2, 2, 1, 0. Precision 1/2, 2/2, 0/1, 0 (never predicted). Recall 1/2, 2/3, 0, 0.
        AssertClose([0.5, 1, 0, 0], m.Precision);
        AssertClose([0.5, 2.0 / 3, 0, 0], m.Recall);
        // F1: 2/(2+1+1) = 1/2, 4/(4+0+1) = 4/5, 0/(0+1+0) = 0, 0/0 -> 0.
        AssertClose([0.5, 0.8, 0, 0], m.F1);
        Assert.Equal((0.5 + 0.8) / 4, m.MacroF1, Tol);
        // Weights 2, 3, 0, 0: the empty classes drop out.
        Assert.Equal((2 * 0.5 + 3 * 1.0) / 5, m.WeightedPrecision, Tol);
        Assert.Equal((2 * 0.5 + 3 * 0.8) / 5, m.WeightedF1, Tol);
        Assert.Equal(0.6, m.WeightedRecall, Tol); // = accuracy 3/5
    }

    [Fact]
    public void ExamplesAreMostConfidentFirstWithTiesById()
    {
        var (successes, failures) = ClassificationExamples.Select(WorkedTrue, WorkedProbabilities, WorkedIds, 2);
        // Correct: sample 4 (id g, 0.8), then samples 0 (id j) and 7 (id e) tie at 0.7 -> e first.
        Assert.Equal(
            [new ClassificationExample("g", 1, 1, 0.8), new ClassificationExample("e", 2, 2, 0.7)],
            successes);
        // Wrong: samples 3 (c), 6 (b), 8 (a) tie at 0.6, sample 9 (d) has 0.5 -> a, b.
        Assert.Equal(
            [new ClassificationExample("a", 2, 1, 0.6), new ClassificationExample("b", 1, 2, 0.6)],
            failures);

        var (allSuccesses, allFailures) = ClassificationExamples.Select(WorkedTrue, WorkedProbabilities, WorkedIds, 100);
        Assert.Equal(["g", "e", "j", "i", "f", "h"], allSuccesses.Select(e => e.Id));
        Assert.Equal(["a", "b", "c", "d"], allFailures.Select(e => e.Id));
    }

    [Fact]
    public void ArgmaxTiesGoToLowestClass()
    {
        Assert.Equal([1, 0, 2], Probabilities.Argmax([[0.2, 0.4, 0.4], [0.5, 0.5, 0.0], [0.1, 0.2, 0.7]]));
    }

    [Fact]
    public void ReportHoldsTheWorkedExample()
    {
        var report = ClassificationReport.Compute(
            WorkedTrue, WorkedProbabilities, WorkedIds, ["cat", "dog", "fox"], examplesPerKind: 2);
        Assert.Equal(3, report.NumClasses);
        Assert.Equal(10, report.NumSamples);
        Assert.Equal(0.6, report.Accuracy, Tol);
        Assert.Equal(new[] { new[] { 3, 1, 0 }, new[] { 0, 2, 1 }, new[] { 0, 2, 1 } }, report.ConfusionMatrix);
        AssertClose([1.0, 0.4, 0.5], report.Precision);
        AssertClose([6.0 / 7, 0.5, 0.4], report.F1);
        Assert.Equal(0.67, report.WeightedPrecision, Tol);
        Assert.Equal(new MostConfusedPair(2, 1, 2), report.MostConfused);
        Assert.Equal(["g", "e"], report.Successes.Select(e => e.Id));
        Assert.Equal(["a", "b"], report.Failures.Select(e => e.Id));

        // Class 0: positives score 0.7, 0.6, 0.5, 0.3, negatives 0.1 or 0.2 -> perfectly separated.
        // Points at thresholds +inf, .7, .6, .5, .3, .2, .1: (0,0) (0,1/4) (0,1/2) (0,3/4) (0,1) (2/6,1) (1,1).
        AssertClose([0, 0, 0, 0, 0, 2.0 / 6, 1], report.Roc[0].Fpr);
        AssertClose([0, 0.25, 0.5, 0.75, 1, 1, 1], report.Roc[0].Tpr);
        Assert.Equal(1.0, report.Roc[0].Auc, Tol);
        // Class 1: positives 0.8, 0.5, 0.3; negatives 0.2, 0.3, 0.3, 0.6, 0.2, 0.6, 0.5.
        // Pairs won: 0.8 -> 7; 0.5 -> 4 + tie 1/2; 0.3 -> 2 + ties 2 * 1/2. Total 14.5 of 21 = 29/42.
        Assert.Equal(29.0 / 42, report.Roc[1].Auc, Tol);
        for (int c = 0; c < 3; c++)
        {
            int cls = c;
            Assert.Equal(
                MannWhitney(WorkedTrue.Select(y => y == cls).ToArray(), WorkedProbabilities.Select(r => r[cls]).ToArray()),
                report.Roc[c].Auc, Tol);
        }

        // The rectangular float overload gives the same report (the float values keep the same ties and order).
        var fromFloat = ClassificationReport.Compute(
            WorkedTrue, ToFloat2D(WorkedProbabilities), WorkedIds, ["cat", "dog", "fox"], examplesPerKind: 2);
        Assert.Equal(report.ConfusionMatrix, fromFloat.ConfusionMatrix);
        Assert.Equal(report.Roc.Select(r => r.Auc), fromFloat.Roc.Select(r => r.Auc));
        Assert.Equal(report.Failures.Select(e => e.Id), fromFloat.Failures.Select(e => e.Id));
    }

    [Fact]
    public void ReportJsonRoundTripKeepsNaNAndInfinity()
    {
        // Class 2 has no samples (and is never predicted): its AUC and TPRs are NaN.
        int[] yTrue = [0, 1, 0, 1];
        double[][] probabilities = [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.4, 0.5, 0.1], [0.5, 0.3, 0.2]];
        var report = ClassificationReport.Compute(yTrue, probabilities, classNames: ["a \"quoted\" name", "b", "c"]);
        Assert.True(double.IsNaN(report.Roc[2].Auc));

        string json = report.ToJson();
        foreach (var name in new[]
                 {
                     "accuracy", "per_class_accuracy", "confusion_matrix", "confusion_matrix_normalized", "roc",
                     "fpr", "tpr", "thresholds", "auc", "precision", "recall", "f1", "macro_precision", "macro_recall",
                     "macro_f1", "weighted_precision", "weighted_recall", "weighted_f1", "most_confused", "true",
                     "predicted", "count", "successes", "failures", "true_class", "predicted_class", "confidence",
                 })
            Assert.Contains($"\"{name}\":", json);
        Assert.Contains("\"auc\": \"NaN\"", json);
        Assert.Contains("\"Infinity\"", json);

        var back = ClassificationReport.FromJson(json);
        Assert.Equal(report.ClassNames, back.ClassNames);
        Assert.Equal(report.NumClasses, back.NumClasses);
        Assert.Equal(report.NumSamples, back.NumSamples);
        Assert.Equal(report.Accuracy, back.Accuracy);
        Assert.Equal(report.PerClassAccuracy.Accuracy, back.PerClassAccuracy.Accuracy); // contains NaN
        Assert.Equal(report.PerClassAccuracy.Support, back.PerClassAccuracy.Support);
        Assert.Equal(report.ConfusionMatrix, back.ConfusionMatrix);
        Assert.Equal(report.ConfusionMatrixNormalized, back.ConfusionMatrixNormalized);
        Assert.Equal(report.Roc.Length, back.Roc.Length);
        for (int c = 0; c < report.Roc.Length; c++)
        {
            Assert.Equal(report.Roc[c].Fpr, back.Roc[c].Fpr);
            Assert.Equal(report.Roc[c].Tpr, back.Roc[c].Tpr);
            Assert.Equal(report.Roc[c].Thresholds, back.Roc[c].Thresholds);
            Assert.Equal(report.Roc[c].Auc, back.Roc[c].Auc);
        }
        Assert.True(double.IsNaN(back.Roc[2].Auc));
        Assert.Equal(double.PositiveInfinity, back.Roc[0].Thresholds[0]);
        Assert.Equal(report.Precision, back.Precision);
        Assert.Equal(report.Recall, back.Recall);
        Assert.Equal(report.F1, back.F1);
        Assert.Equal(
            (report.MacroPrecision, report.MacroRecall, report.MacroF1, report.WeightedPrecision, report.WeightedRecall, report.WeightedF1),
            (back.MacroPrecision, back.MacroRecall, back.MacroF1, back.WeightedPrecision, back.WeightedRecall, back.WeightedF1));
        Assert.Equal(report.MostConfused, back.MostConfused);
        Assert.Equal(report.Successes, back.Successes);
        Assert.Equal(report.Failures, back.Failures);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void BadInputIsRejectedWithTheFieldNamed()
    {
        var e1 = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Compute([0, 3], [0, 1], 3));
        Assert.Contains("yTrue[1] = 3", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Accuracy.Compute([0, 1, 1], [0, 1]));
        Assert.Contains("yTrue has 3 samples but yPred has 2", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => RocCurve.OneVsRest([0, 1], [[0.5, 0.5], [double.NaN, 0.5]]));
        Assert.Contains("probabilities[1][0] = NaN", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => ClassificationReport.Compute([0, 1], [[0.5, 0.5], [0.5]]));
        Assert.Contains("probabilities[1] has 1 classes", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(
            () => ClassificationReport.Compute([0, 1], [[0.6, 0.4], [0.3, 0.7]], ids: ["x", "x"]));
        Assert.Contains("ids[1] = \"x\" repeats ids[0]", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(
            () => ClassificationReport.Compute([0, 1], [[0.6, 0.4], [0.3, 0.7]], classNames: ["only one"]));
        Assert.Contains("classNames has 1 names", e6.Message);
        var e7 = Assert.Throws<ArgumentException>(() => Accuracy.Compute([], []));
        Assert.Contains("yTrue is empty", e7.Message);
        var e8 = Assert.Throws<ArgumentException>(() => PrecisionRecallF1.FromConfusionMatrix([[1, 0], [0]]));
        Assert.Contains("confusionMatrix[1] has 1 columns", e8.Message);
    }

    /// <summary>P(score of a positive > score of a negative) over all pairs, ties counting 1/2.</summary>
    private static double MannWhitney(bool[] positive, double[] scores)
    {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (!positive[i]) continue;
            for (int j = 0; j < scores.Length; j++)
            {
                if (positive[j]) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    private static float[,] ToFloat2D(double[][] rows)
    {
        var result = new float[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++)
                result[i, j] = (float)rows[i][j];
        return result;
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], Tol);
    }

    private static void AssertClose(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i]);
    }
}
