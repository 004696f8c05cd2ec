using System.Text.Json;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Models.Training;

/// <summary>Where a run keeps its weights: the last ones at <c>W</c>, the best (by test accuracy) beside it, and a resume file while it runs.</summary>
public sealed record CheckpointPaths(string Last)
{
    public string Best => Path.ChangeExtension(Last, null) + ".best.safetensors";

    /// <summary>Written when a run is interrupted; the next run with the same settings continues from it.</summary>
    public string Resume => Path.ChangeExtension(Last, null) + ".resume.safetensors";
}

/// <summary>Progress of a run, reported after every step.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, int Epoch, double LastLoss, EpochRecord? LastEpoch);

public sealed record TrainingResult(IReadOnlyList<EpochRecord> History, int BestEpoch, double BestTestAccuracy, long Steps,
    bool Completed, bool Resumed);

/// <summary>
/// Trains a classifier with cross-entropy. Every random draw is seeded by the run's seed and the step (shuffling
/// by epoch, augmentation by batch, dropout by step), so an interrupted run resumed from its checkpoint ends with
/// the same weights as an uninterrupted one.
/// </summary>
public static class Trainer
{
    private const long DropoutStream = 2;

    /// <summary>
    /// Batches of fewer input elements than this train on one intra-op thread. libtorch forks its threads for every
    /// convolution (oneDNN) and GEMM (MKL), and for element-wise ops over more than 32768 elements (its grain size): a
    /// step of a batch this small (MNIST-1D's 100 x 40) is ~45 parallel regions of a few tens of µs each. A second thread
    /// gave no step faster even at its best (mnist1d-cnn, 2 cores), and on a busy machine every region waits for a
    /// thread the OS has not scheduled (steps of 15 to 60 ms instead of 1.5).
    /// </summary>
    private const long OneThreadBelow = 32768;

    public static TrainingResult Train(Classifier model, DatasetSplit data, TrainingOptions options, CheckpointPaths? checkpoints = null,
        Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        using (var first = data.Train.Inputs.narrow(0, 0, 1)) model.CheckInput(first);
        var loader = new DataLoader(data.Train, options.BatchSize, options.Shuffle, options.Seed, augmentation: options.Augmentation);
        long batchesPerEpoch = loader.BatchesPerEpoch;
        long totalSteps = options.Steps ?? options.Epochs!.Value * batchesPerEpoch;
        int totalEpochs = (int)((totalSteps + batchesPerEpoch - 1) / batchesPerEpoch);

        var parameters = model.parameters().ToList();
        using FlatOptimizer optimizer = options.Optimizer == "sgd"
            ? new FlatSgd(parameters, options.LearningRate, options.Momentum, options.WeightDecay, options.Nesterov)
            : new FlatAdam(parameters, options.LearningRate, weightDecay: options.WeightDecay);
        optim.lr_scheduler.LRScheduler? scheduler = options.Schedule switch
        {
            "step" => optim.lr_scheduler.StepLR(optimizer, options.StepSize, options.Gamma),
            "cosine" => optim.lr_scheduler.CosineAnnealingLR(optimizer, totalEpochs),
            _ => null,
        };
        var dropouts = model.modules().OfType<SeededDropout>().ToList();

        using var threads = options.BatchSize * model.InputShape.Aggregate(1L, (n, d) => n * d) < OneThreadBelow ? IntraOpThreads.AtMost(1) : null;

        var state = new RunState { Fingerprint = Fingerprint(model, data, options) };
        bool resumed = checkpoints is not null && File.Exists(checkpoints.Resume);
        if (resumed) state = Resume(checkpoints!.Resume, state.Fingerprint, model, optimizer, scheduler);

        model.train();
        while (state.Step < totalSteps)
        {
            if (cancel.IsCancellationRequested)
            {
                if (checkpoints is not null) Save(checkpoints.Resume, state, model, optimizer);
                return new TrainingResult(state.History, state.BestEpoch, state.BestAccuracy, state.Step, false, resumed);
            }
            int epoch = (int)(state.Step / batchesPerEpoch);
            double loss = TrainStep(model, loader, optimizer, dropouts, options.Seed, state.Step, epoch, state);
            state.Step++;

            EpochRecord? record = null;
            if (state.Step % batchesPerEpoch == 0 || state.Step == totalSteps)
            {
                record = EndEpoch(model, data.Test, options, optimizer, epoch, state);
                scheduler?.step();
                if (record.TestAccuracy > state.BestAccuracy || state.BestEpoch < 0)
                {
                    state.BestAccuracy = record.TestAccuracy;
                    state.BestEpoch = epoch;
                    if (checkpoints is not null) SaveWeights(checkpoints.Best, model);
                }
            }
            progress?.Invoke(new TrainingProgress(state.Step, totalSteps, epoch, loss, record));
        }

        if (checkpoints is not null)
        {
            SaveWeights(checkpoints.Last, model);
            File.Delete(checkpoints.Resume);
        }
        return new TrainingResult(state.History, state.BestEpoch, state.BestAccuracy, state.Step, true, resumed);
    }

    private static double TrainStep(Classifier model, DataLoader loader, FlatOptimizer optimizer, List<SeededDropout> dropouts,
        ulong seed, long step, int epoch, RunState state)
    {
        using var scope = torch.NewDisposeScope();
        var (inputs, labels) = loader.Batch(epoch, step % loader.BatchesPerEpoch);
        scope.Attach(inputs, labels);
        using var dropoutGenerator = dropouts.Count > 0 ? Seeds.Generator(seed, DropoutStream, step) : null;
        foreach (var d in dropouts) d.generator = dropoutGenerator;
        Tensor logits;
        double value;
        try
        {
            logits = model.call(inputs);
            var loss = torch.nn.functional.cross_entropy(logits, labels);
            // Training runs in float32: item<float> reads the loss without TorchSharp's conversion through a native Scalar.
            value = loss.item<float>();
            if (!double.IsFinite(value)) throw new TrainingDivergedException(value, step, epoch);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        finally
        {
            // The generator is disposed with this step, also when it throws; a module must not keep it.
            foreach (var d in dropouts) d.generator = null;
        }

        long n = labels.size(0);
        using (torch.no_grad())
            state.EpochCorrect += logits.argmax(1).eq(labels).sum().item<long>();
        state.EpochLossSum += value * n;
        state.EpochCount += n;
        return value;
    }

    private static EpochRecord EndEpoch(Classifier model, LabeledDataset test, TrainingOptions options, FlatOptimizer optimizer,
        int epoch, RunState state)
    {
        var predictions = Evaluation.Predict(model, test, options.EvalBatchSize);
        var record = new EpochRecord(epoch, state.Step, optimizer.LearningRate, state.EpochLossSum / state.EpochCount,
            (double)state.EpochCorrect / state.EpochCount, predictions.MeanLoss, predictions.Accuracy,
            state.Seconds);
        state.History.Add(record);
        state.EpochLossSum = 0;
        state.EpochCorrect = 0;
        state.EpochCount = 0;
        return record;
    }

    /// <summary>Saves the weights as safetensors under PyTorch's state-dict names (see <see cref="WeightFiles"/>).</summary>
    public static void SaveWeights(string path, nn.Module model) => WeightFiles.Save(path, model);

    /// <summary>Loads weights saved by <see cref="SaveWeights"/> or by PyTorch under the same names (see <see cref="WeightFiles"/>).</summary>
    public static void LoadWeights(string path, nn.Module model) => WeightFiles.Load(path, model);

    // ---- interruption and resume ----

    private sealed class RunState
    {
        public string Fingerprint = "";
        public long Step;
        public List<EpochRecord> History = new();
        public double EpochLossSum;
        public long EpochCorrect;
        public long EpochCount;
        public int BestEpoch = -1;
        public double BestAccuracy;
        public double SecondsBefore;
        public System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

        /// <summary>Training time so far, across interruptions.</summary>
        public double Seconds => SecondsBefore + Clock.Elapsed.TotalSeconds;
    }

    private sealed record SavedState(string Fingerprint, long Step, List<EpochRecord> History, double EpochLossSum, long EpochCorrect,
        long EpochCount, int BestEpoch, double BestAccuracy, double Seconds);

    // The optimizer's state (step count, moments or momentum buffer) is kept in the resume file beside the model's tensors.
    private const string OptimizerPrefix = "optimizer.";

    private static string Fingerprint(Classifier model, DatasetSplit data, TrainingOptions options) =>
        JsonSerializer.Serialize(new { model.Arch, model.InputShape, TrainCount = data.Train.Count, TestCount = data.Test.Count, options });

    private static void Save(string path, RunState state, Classifier model, FlatOptimizer optimizer)
    {
        using var scope = NewDisposeScope();
        // state_dict() holds the model's own parameters (not copies): they are not disposed here.
        var tensors = model.state_dict().ToDictionary(kv => "model." + kv.Key, kv => kv.Value);
        // The optimizer's tensors are copies, disposed with this scope.
        foreach (var (name, t) in optimizer.StateTensors()) tensors[OptimizerPrefix + name] = t;
        var saved = new SavedState(state.Fingerprint, state.Step, state.History, state.EpochLossSum, state.EpochCorrect,
            state.EpochCount, state.BestEpoch, state.BestAccuracy, state.Seconds);
        // Written beside and then moved, so an interruption while saving never leaves a half-written file.
        var temporary = path + ".tmp";
        SafeTensors.save_file(tensors, temporary, new Dictionary<string, string> { ["run"] = JsonSerializer.Serialize(saved) });
        File.Move(temporary, path, overwrite: true);
    }

    private static RunState Resume(string path, string fingerprint, Classifier model, FlatOptimizer optimizer,
        optim.lr_scheduler.LRScheduler? scheduler)
    {
        var tensors = SafeTensors.load_file(path, out var metadata);
        try
        {
            if (!metadata.TryGetValue("run", out var json)) throw new InvalidDataException($"{path} is not a training resume file (no run metadata)");
            SavedState? saved;
            try
            {
                saved = JsonSerializer.Deserialize<SavedState>(json);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: the run metadata is not valid: {e.Message}", e);
            }
            if (saved is null) throw new InvalidDataException($"{path}: the run metadata is empty");
            if (saved.Fingerprint != fingerprint)
                throw new InvalidOperationException(
                    $"{path} was written by a run with other settings (model, data or options); delete it to start afresh");
            var optimizerState = Strip(tensors, OptimizerPrefix);
            if (optimizerState.Count == 0) throw new InvalidDataException($"{path} is not a training resume file (no optimizer state)");
            WeightFiles.Apply(model, Strip(tensors, "model."), path);
            optimizer.LoadStateTensors(optimizerState, path);
            // TorchSharp's schedulers keep no state of their own to save: stepping a new one once per finished epoch
            // repeats the arithmetic of the interrupted run, and so sets the optimizer's learning rate it had.
            for (int i = 0; i < saved.History.Count; i++) scheduler?.step();
            var state = new RunState
            {
                Fingerprint = fingerprint, Step = saved.Step, History = saved.History, EpochLossSum = saved.EpochLossSum,
                EpochCorrect = saved.EpochCorrect, EpochCount = saved.EpochCount, BestEpoch = saved.BestEpoch,
                BestAccuracy = saved.BestAccuracy, SecondsBefore = saved.Seconds,
            };
            return state;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static Dictionary<string, Tensor> Strip(IEnumerable<KeyValuePair<string, Tensor>> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
