using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Metrics;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Planning;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>A training run: weights (safetensors), test accuracy, history and the classification report.</summary>
internal static class TrainExecutor
{
    public static CellOutput Run(WorkItem item, JsonObject p, WorkerContext context, CancellationToken cancel)
    {
        var split = context.Data(p["data"]!.AsObject());
        var options = CellParameters.ReadTraining(p["training"]!.AsObject());
        using var generator = new torch.Generator(options.Seed);
        using var model = ModelZoo.Create(p["arch"]!.GetValue<string>(), split.Train.NumClasses, split.Train.InputShape, generator);
        // Initialised on the CPU from the seeded generator (the same weights on every device), then moved.
        model.to(context.Device);
        var result = Trainer.Train(model, split, options, cancel: cancel);
        cancel.ThrowIfCancellationRequested();

        var report = Evaluation.Report(model, split.Test);
        // state_dict() hands out the model's own tensors: never dispose them. The writer copies them to the CPU.
        var bytes = SafeTensors.save(model.state_dict());
        var output = new CellOutput();
        output.Artifacts["weights"] = new ArtifactBytes(bytes, ArtifactBytes.SafeTensors);
        output.Scalars["test_accuracy"] = report.Accuracy;
        output.Scalars["best_test_accuracy"] = result.BestTestAccuracy;
        output.Scalars["best_epoch"] = result.BestEpoch;
        output.Tables["history"] = JsonSerializer.Serialize(result.History.Select(e => new
        {
            epoch = e.Epoch, step = e.Step, lr = e.LearningRate, train_loss = e.TrainLoss, train_accuracy = e.TrainAccuracy,
            test_loss = e.TestLoss, test_accuracy = e.TestAccuracy,
        }));
        output.Tables["classification"] = report.ToJson();
        output.Artifacts["examples"] = ExplainExecutor.Npy(Examples(split.Test, report));
        return output;
    }

    /// <summary>The test inputs of the report's successes, then its failures: a report draws them from the store alone.</summary>
    private static Tensor Examples(LabeledDataset test, ClassificationReport report)
    {
        var position = new Dictionary<string, long>();
        for (long i = 0; i < test.Ids.Length; i++) position[test.Ids[i].ToString(CultureInfo.InvariantCulture)] = i;
        using var index = torch.tensor(report.Successes.Concat(report.Failures).Select(e => position[e.Id]).ToArray(), device: test.Inputs.device);
        return test.Inputs.index_select(0, index);
    }
}
