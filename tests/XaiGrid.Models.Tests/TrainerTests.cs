using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;

namespace XaiGrid.Models.Tests;

public class TrainerTests
{
    private static readonly TrainingOptions SmallAdam = new() { Optimizer = "adam", LearningRate = 1e-2, BatchSize = 50, Epochs = 5, Seed = 3 };

    [Fact]
    public void LossDecreasesAndTheHistoryHasOneRecordPerEpoch()
    {
        using var data = TrainingData.Mnist1D(1000, 200);
        var options = SmallAdam with { Epochs = 8, BatchSize = 100 };
        using var model = TrainingData.Model("mnist1d-cnn", data, options.Seed);
        var progress = new List<TrainingProgress>();
        var result = Trainer.Train(model, data, options, progress: progress.Add);

        Assert.True(result.Completed);
        Assert.False(result.Resumed);
        Assert.Equal(80, result.Steps);
        Assert.Equal(Enumerable.Range(1, 80).Select(s => (long)s), progress.Select(p => p.Step));
        Assert.All(progress, p => Assert.Equal(80, p.TotalSteps));
        Assert.Equal(Enumerable.Range(0, 8), result.History.Select(r => r.Epoch));
        Assert.Equal(Enumerable.Range(1, 8).Select(e => 10L * e), result.History.Select(r => r.Step));
        // The progress of an epoch's last step carries that epoch's record, and no other step does.
        Assert.Equal(result.History, progress.Where(p => p.LastEpoch is not null).Select(p => p.LastEpoch!));
        Assert.All(progress, p => Assert.Equal((int)((p.Step - 1) / 10), p.Epoch));

        // An epoch's train loss is the mean of its batch losses (equal batches of 100).
        for (int e = 0; e < 8; e++)
            Assert.Equal(progress.Skip(10 * e).Take(10).Average(p => p.LastLoss), result.History[e].TrainLoss, 1e-12);
        Assert.All(result.History, r => Assert.Equal(1e-2, r.LearningRate));
        Assert.True(result.History[^1].TrainLoss < 0.7 * result.History[0].TrainLoss,
            $"train loss {result.History[0].TrainLoss} -> {result.History[^1].TrainLoss}");
        Assert.True(result.History[^1].TestLoss < result.History[0].TestLoss, string.Join("\n", result.History));
        Assert.True(result.History[^1].TestAccuracy > 0.35, string.Join("\n", result.History));

        // The last record describes the returned weights.
        var predictions = Evaluation.Predict(model, data.Test);
        Assert.Equal(predictions.Accuracy, result.History[^1].TestAccuracy);
        Assert.Equal(predictions.MeanLoss, result.History[^1].TestLoss);
        int best = result.History.Select((r, i) => (r.TestAccuracy, i)).OrderByDescending(t => t.TestAccuracy).ThenBy(t => t.i).First().i;
        Assert.Equal(best, result.BestEpoch);
        Assert.Equal(result.History[best].TestAccuracy, result.BestTestAccuracy);
    }

    [Fact]
    public void StepsModeRecordsEpochBoundariesAndTheEndAndTheScheduleSetsTheLearningRate()
    {
        using var data = TrainingData.Mnist1D(300, 100);
        var options = SmallAdam with { Epochs = null, Steps = 14, Schedule = "step", StepSize = 1, Gamma = 0.5 };
        var (model, result) = TrainingData.Train("mnist1d-logistic", data, options);
        using var _ = model;

        Assert.Equal(14, result.Steps);
        Assert.Equal(new long[] { 6, 12, 14 }, result.History.Select(r => r.Step));
        Assert.Equal(new[] { 0, 1, 2 }, result.History.Select(r => r.Epoch));
        // StepLR with step size 1 halves the rate after every epoch; a record holds the rate its epoch trained with.
        Assert.Equal(new[] { 1e-2, 5e-3, 2.5e-3 }, result.History.Select(r => r.LearningRate));
    }

    [Fact]
    public void TheSameSeedGivesBitwiseIdenticalWeightsAndAnotherSeedDoesNot()
    {
        using var data = TrainingData.Mnist1D(200, 50);
        var options = SmallAdam with { Epochs = 2 };
        var (a, resultA) = TrainingData.Train("mnist1d-cnn", data, options);
        var (b, resultB) = TrainingData.Train("mnist1d-cnn", data, options);
        var (c, _) = TrainingData.Train("mnist1d-cnn", data, options with { Seed = options.Seed + 1 });
        using (a)
        using (b)
        using (c)
        {
            AssertSameWeights(a, b);
            Assert.Equal(WithoutTimes(resultA.History), WithoutTimes(resultB.History));
            var wa = ModelAssert.StateValues(a);
            var wc = ModelAssert.StateValues(c);
            Assert.All(wa.Keys, k => Assert.NotEqual(wa[k], wc[k]));
        }
    }

    [Fact]
    public void ShufflingDependsOnTheSeedOnly()
    {
        // The seed shuffles the batches: with a fixed initialization, two seeds give different weights, and without
        // shuffling (and no other randomness) the seed no longer matters.
        using var data = TrainingData.Mnist1D(200, 50);
        float[] Trained(ulong seed, bool shuffle)
        {
            using var model = TrainingData.Model("mnist1d-logistic", data, 0);
            Trainer.Train(model, data, SmallAdam with { Epochs = 2, Seed = seed, Shuffle = shuffle });
            return ModelAssert.StateValues(model)["linear.weight"];
        }
        Assert.NotEqual(Trained(1, shuffle: true), Trained(2, shuffle: true));
        Assert.Equal(Bits(Trained(1, shuffle: false)), Bits(Trained(2, shuffle: false)));
    }

    public static TheoryData<long[]> AdamInterruptions => new() { new long[] { 12 }, new long[] { 5, 13 } };

    [Theory]
    [MemberData(nameof(AdamInterruptions))]
    public void AnInterruptedAdamRunResumesToTheWeightsOfAnUninterruptedOne(long[] stops)
    {
        using var data = TrainingData.Mnist1D(300, 100);
        var options = SmallAdam with { Epochs = null, Steps = 20 };
        AssertResumeIsExact("mnist1d-cnn", data, options, stops);
    }

    [Fact]
    public void AnInterruptedSgdRunWithDropoutShuffleAugmentationAndScheduleResumesExactly()
    {
        using var data = TrainingData.Mnist(96, 40);
        var options = new TrainingOptions
        {
            Optimizer = "sgd", LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4, BatchSize = 16, Epochs = 3,
            Seed = 11, Shuffle = true, Augmentation = new Augmentation(true, true, 2), Schedule = "step", StepSize = 1, Gamma = 0.5,
        };
        using (var model = TrainingData.Model("mnist-cnn", data, 0))
            Assert.NotEmpty(model.modules().OfType<SeededDropout>());
        AssertResumeIsExact("mnist-cnn", data, options, [4, 11]);
    }

    /// <summary>
    /// Stops a run after each step in <paramref name="stops"/> and resumes it (with a model initialized differently, so
    /// only the resume file can carry the weights over); the end must be bitwise the uninterrupted run's.
    /// </summary>
    private static void AssertResumeIsExact(string arch, DatasetSplit data, TrainingOptions options, long[] stops)
    {
        using var dir = new TempDir();
        var interrupted = new CheckpointPaths(dir.File("interrupted.safetensors"));
        var straight = new CheckpointPaths(dir.File("straight.safetensors"));
        var (reference, expected) = TrainingData.Train(arch, data, options, straight);
        using var _ = reference;

        ulong initSeed = options.Seed;
        foreach (long stop in stops)
        {
            using var model = TrainingData.Model(arch, data, initSeed++);
            using var cancel = new CancellationTokenSource();
            var partial = Trainer.Train(model, data, options, interrupted, p => { if (p.Step == stop) cancel.Cancel(); }, cancel.Token);
            Assert.False(partial.Completed);
            Assert.Equal(stop, partial.Steps);
            Assert.Equal(stop != stops[0], partial.Resumed);
            Assert.True(File.Exists(interrupted.Resume), $"no resume file after stopping at step {stop}");
            Assert.False(File.Exists(interrupted.Last));
        }

        using var resumedModel = TrainingData.Model(arch, data, initSeed);
        var resumed = Trainer.Train(resumedModel, data, options, interrupted);
        Assert.True(resumed.Completed);
        Assert.True(resumed.Resumed);
        Assert.False(File.Exists(interrupted.Resume));

        AssertSameWeights(reference, resumedModel);
        Assert.Equal(WithoutTimes(expected.History), WithoutTimes(resumed.History));
        Assert.Equal(expected.BestEpoch, resumed.BestEpoch);
        Assert.Equal(expected.BestTestAccuracy, resumed.BestTestAccuracy);
        Assert.Equal(expected.Steps, resumed.Steps);
        Assert.Equal(File.ReadAllBytes(straight.Last), File.ReadAllBytes(interrupted.Last));
        Assert.Equal(File.ReadAllBytes(straight.Best), File.ReadAllBytes(interrupted.Best));
    }

    [Fact]
    public void AResumeFileOfOtherSettingsIsRefused()
    {
        using var data = TrainingData.Mnist1D(100, 50);
        using var dir = new TempDir();
        var paths = new CheckpointPaths(dir.File("w.safetensors"));
        var options = SmallAdam with { Epochs = 2 };
        using (var model = TrainingData.Model("mnist1d-logistic", data, 0))
        {
            using var cancel = new CancellationTokenSource();
            Trainer.Train(model, data, options, paths, p => { if (p.Step == 1) cancel.Cancel(); }, cancel.Token);
        }
        Assert.True(File.Exists(paths.Resume));

        using var other = TrainingData.Model("mnist1d-logistic", data, 0);
        var e = Assert.Throws<InvalidOperationException>(() => Trainer.Train(other, data, options with { LearningRate = 2e-2 }, paths));
        Assert.Contains(paths.Resume, e.Message);
        Assert.Contains("other settings", e.Message);
        // The refused file is kept: the run it belongs to can still resume from it.
        Assert.True(File.Exists(paths.Resume));

        using var mlp = TrainingData.Model("mnist1d-mlp", data, 0);
        Assert.Throws<InvalidOperationException>(() => Trainer.Train(mlp, data, options, paths));
    }

    [Fact]
    public void AWeightsFileAtTheResumePathIsNotTakenForAResumeFile()
    {
        using var data = TrainingData.Mnist1D(100, 50);
        using var dir = new TempDir();
        var paths = new CheckpointPaths(dir.File("w.safetensors"));
        using var model = TrainingData.Model("mnist1d-logistic", data, 0);
        Trainer.SaveWeights(paths.Resume, model);
        var e = Assert.Throws<InvalidDataException>(() => Trainer.Train(model, data, SmallAdam with { Epochs = 1 }, paths));
        Assert.Contains(paths.Resume, e.Message);
        Assert.Contains("not a training resume file", e.Message);

        using (var zero = torch.zeros([1]))
            SafeTensors.save_file(new Dictionary<string, Tensor> { ["x"] = zero }, paths.Resume,
                new Dictionary<string, string> { ["run"] = "{\"Step\": " });
        e = Assert.Throws<InvalidDataException>(() => Trainer.Train(model, data, SmallAdam with { Epochs = 1 }, paths));
        Assert.StartsWith($"{paths.Resume}: the run metadata is not valid", e.Message);
    }

    [Fact]
    public void CancellingWithoutCheckpointsStopsWithoutWritingAnything()
    {
        using var data = TrainingData.Mnist1D(300, 50);
        using var model = TrainingData.Model("mnist1d-logistic", data, 0);
        using var cancel = new CancellationTokenSource();
        var result = Trainer.Train(model, data, SmallAdam, progress: p => { if (p.Step == 3) cancel.Cancel(); }, cancel: cancel.Token);
        Assert.False(result.Completed);
        Assert.Equal(3, result.Steps);
        Assert.Empty(result.History);
    }

    [Fact]
    public void AHugeLearningRateStopsTrainingWithTheStepItDivergedAt()
    {
        using var data = TrainingData.Mnist1D(300, 50);
        using var model = TrainingData.Model("mnist1d-cnn", data, 0);
        var steps = new List<long>();
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Train(model, data, new TrainingOptions { Optimizer = "sgd", LearningRate = 1e6, Momentum = 0, Epochs = 50, BatchSize = 50 },
                progress: p => steps.Add(p.Step)));
        Assert.False(double.IsFinite(e.Loss));
        // Steps are counted from 0 in the exception and from 1 (steps done) in the progress: the step after the last
        // reported one diverged.
        Assert.Equal(steps.Count, e.Step);
        Assert.Equal((int)(e.Step / 6), e.Epoch);
        Assert.Contains($"step {e.Step}", e.Message);
    }

    [Fact]
    public void ANaNInputStopsTrainingAtTheBatchThatHoldsIt()
    {
        using var clean = TrainingData.Mnist(64, 16);
        var pixels = clean.Train.Inputs.data<float>().ToArray();
        pixels[40 * 28 * 28 + 300] = float.NaN; // item 40: the third batch of 16 in order
        using var data = new DatasetSplit(
            new LabeledDataset(torch.tensor(pixels, clean.Train.Inputs.shape), clean.Train.Labels.clone(), clean.Train.ClassNames),
            new LabeledDataset(clean.Test.Inputs.clone(), clean.Test.Labels.clone(), clean.Test.ClassNames));
        using var model = TrainingData.Model("mnist-cnn", data, 0);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Train(model, data, new TrainingOptions { BatchSize = 16, Epochs = 1, Shuffle = false }));
        Assert.Equal(2, e.Step);
        Assert.Equal(0, e.Epoch);
        Assert.True(double.IsNaN(e.Loss));
        Assert.Contains("step 2", e.Message);

        // The model stays usable in training mode: its dropout holds no generator of the aborted step.
        Assert.All(model.modules().OfType<SeededDropout>(), d => Assert.Null(d.generator));
        model.train();
        using var x = clean.Train.Inputs.narrow(0, 0, 4);
        using var logits = model.call(x);
        Assert.Equal(new long[] { 4, 10 }, logits.shape);
    }

    [Fact]
    public void BestAndLastCheckpointsHoldTheWeightsTheyNameAndReload()
    {
        using var data = TrainingData.Mnist1D(300, 200);
        using var dir = new TempDir();
        // The folder does not exist yet: saving creates it.
        var paths = new CheckpointPaths(Path.Combine(dir.Path, "run", "w.safetensors"));
        Assert.Equal(Path.Combine(dir.Path, "run", "w.best.safetensors"), paths.Best);
        var (model, result) = TrainingData.Train("mnist1d-cnn", data, SmallAdam, paths);
        using var trained = model;
        Assert.True(File.Exists(paths.Last));
        Assert.True(File.Exists(paths.Best));
        Assert.False(File.Exists(paths.Resume));

        using var x = data.Test.Inputs.narrow(0, 0, 32);
        using var last = TrainingData.Model("mnist1d-cnn", data, 99);
        Trainer.LoadWeights(paths.Last, last);
        AssertSameWeights(model, last);
        Assert.Equal(Bits(ModelAssert.EvalLogits(model, x, out _)), Bits(ModelAssert.EvalLogits(last, x, out _)));

        using var best = TrainingData.Model("mnist1d-cnn", data, 99);
        Trainer.LoadWeights(paths.Best, best);
        Assert.Equal(result.BestTestAccuracy, Evaluation.Predict(best, data.Test).Accuracy);
        Assert.Equal(result.History[result.BestEpoch].TestLoss, Evaluation.Predict(best, data.Test).MeanLoss);
    }

    [Fact]
    public void LoadingWeightsOfAnotherArchitectureNamesTheFileAndTheMismatch()
    {
        using var dir = new TempDir();
        using var mlp = ModelZoo.Create("mnist1d-mlp");
        using var cnn = ModelZoo.Create("mnist1d-cnn");
        using var cnn4 = ModelZoo.Create("mnist1d-cnn", 4);
        var mlpFile = dir.File("mlp.safetensors");
        var cnn4File = dir.File("cnn4.safetensors");
        Trainer.SaveWeights(mlpFile, mlp);
        Trainer.SaveWeights(cnn4File, cnn4);
        var before = ModelAssert.StateValues(cnn);

        var e = Assert.Throws<InvalidDataException>(() => Trainer.LoadWeights(mlpFile, cnn));
        Assert.Contains(mlpFile, e.Message);
        Assert.Contains("missing keys: conv1.weight", e.Message);
        Assert.Contains("unexpected keys:", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Trainer.LoadWeights(cnn4File, cnn));
        Assert.Contains(cnn4File, e.Message);
        Assert.Contains("linear.weight: checkpoint has shape [4, 125] but the model has [10, 125]", e.Message);

        // A refused file changes nothing.
        var after = ModelAssert.StateValues(cnn);
        Assert.All(before.Keys, k => Assert.Equal(Bits(before[k]), Bits(after[k])));

        var missing = dir.File("nope.safetensors");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Trainer.LoadWeights(missing, cnn)).Message);
    }

    [Fact]
    public void PredictGivesSoftmaxRowsTheirArgmaxAccuracyAndTheMeanCrossEntropy()
    {
        using var data = TrainingData.Mnist1D(300, 203);
        var (model, _) = TrainingData.Train("mnist1d-cnn", data, SmallAdam with { Epochs = 2 });
        using var _m = model;
        model.train();
        // 203 items in batches of 64: the last batch is partial.
        var predictions = Evaluation.Predict(model, data.Test, batchSize: 64);
        Assert.True(model.training, "Predict must restore training mode");

        var logits = ModelAssert.EvalLogits(model, data.Test.Inputs, out var shape);
        var labels = data.Test.LabelArray();
        Assert.Equal(new long[] { 203, 10 }, shape);
        Assert.Equal(labels.Select(l => (int)l), predictions.Labels);
        int correct = 0;
        double lossSum = 0;
        for (int i = 0; i < 203; i++)
        {
            var row = logits.AsSpan(i * 10, 10).ToArray().Select(v => (double)v).ToArray();
            double max = row.Max();
            double logSumExp = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            lossSum += logSumExp - row[labels[i]];
            if (Array.IndexOf(row, max) == labels[i]) correct++;

            Assert.Equal(1.0, predictions.Probabilities[i].Sum(), 1e-6);
            for (int k = 0; k < 10; k++) Assert.Equal(Math.Exp(row[k] - logSumExp), predictions.Probabilities[i][k], 1e-6);
        }
        Assert.Equal((double)correct / 203, predictions.Accuracy);
        Assert.Equal(lossSum / 203, predictions.MeanLoss, 1e-5);

        var report = Evaluation.Report(model, data.Test);
        Assert.Equal(predictions.Accuracy, report.Accuracy);
    }

    public static TheoryData<TrainingOptions, string> InvalidOptions => new()
    {
        { new TrainingOptions { Epochs = 1, Optimizer = "rmsprop" }, "unknown optimizer 'rmsprop'; allowed: sgd, adam" },
        { new TrainingOptions { Epochs = 1, Schedule = "linear" }, "unknown schedule 'linear'" },
        { new TrainingOptions { Epochs = 1, LearningRate = 0 }, "learning rate must be positive" },
        { new TrainingOptions { Epochs = 1, LearningRate = double.NaN }, "learning rate must be positive" },
        { new TrainingOptions { Epochs = 1, WeightDecay = -1 }, "weight decay must be >= 0" },
        { new TrainingOptions { Epochs = 1, BatchSize = 0 }, "batch size must be positive" },
        { new TrainingOptions(), "give exactly one of epochs and steps" },
        { new TrainingOptions { Epochs = 1, Steps = 5 }, "give exactly one of epochs and steps" },
        { new TrainingOptions { Steps = 0 }, "epochs and steps must be positive" },
        { new TrainingOptions { Epochs = 1, StepSize = 0 }, "step size must be positive" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionsAreRefusedBeforeTraining(TrainingOptions options, string message)
    {
        using var data = TrainingData.Mnist1D(20, 10);
        using var model = TrainingData.Model("mnist1d-logistic", data, 0);
        var before = ModelAssert.StateValues(model)["linear.weight"];
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Trainer.Train(model, data, options)).Message);
        Assert.Equal(Bits(before), Bits(ModelAssert.StateValues(model)["linear.weight"]));
    }

    [Fact]
    public void DataOfTheWrongShapeIsRefusedNamingBothShapes()
    {
        using var data = TrainingData.Mnist(20, 10);
        using var model = ModelZoo.Create("mnist1d-cnn");
        var e = Assert.Throws<ArgumentException>(() => Trainer.Train(model, data, SmallAdam));
        Assert.Contains("mnist1d-cnn takes inputs (N, 1, 40), got [1, 1, 28, 28]", e.Message);
    }

    private static void AssertSameWeights(torch.nn.Module expected, torch.nn.Module actual)
    {
        var a = ModelAssert.StateValues(expected);
        var b = ModelAssert.StateValues(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(Bits(a[k]).SequenceEqual(Bits(b[k])), $"{k} differs");
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static List<EpochRecord> WithoutTimes(IEnumerable<EpochRecord> history) => history.Select(r => r with { Seconds = 0 }).ToList();
}
