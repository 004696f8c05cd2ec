using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Experiments;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// The JSON forms of a data entry and of training options in cell parameters, and their way back for executors.
/// Every option that changes a result is written out (defaults too), so a changed default changes the keys; names
/// (of the data entry, the model, the experiment) are not, so renaming reuses finished cells.
/// </summary>
public static class CellParameters
{
    public static JsonObject Data(DataEntry data) => new()
    {
        ["spec"] = data.Spec,
        ["image_size"] = data.ImageSize,
        ["normalize"] = data.Normalize,
        ["test_fraction"] = data.TestFraction,
        ["split_seed"] = data.SplitSeed,
    };

    public static (string Spec, DataSpecOptions Options) ReadData(JsonObject data) => (
        Required(data, "spec").GetValue<string>(),
        new DataSpecOptions
        {
            ImageSize = data["image_size"]?.GetValue<int>(),
            Normalize = Required(data, "normalize").GetValue<bool>(),
            TestFraction = Required(data, "test_fraction").GetValue<double>(),
            SplitSeed = Required(data, "split_seed").GetValue<ulong>(),
        });

    public static JsonObject Training(TrainingOptions options) => new()
    {
        ["optimizer"] = options.Optimizer,
        ["lr"] = options.LearningRate,
        ["momentum"] = options.Momentum,
        ["nesterov"] = options.Nesterov,
        ["weight_decay"] = options.WeightDecay,
        ["batch_size"] = options.BatchSize,
        ["epochs"] = options.Epochs,
        ["steps"] = options.Steps,
        ["seed"] = options.Seed,
        ["shuffle"] = options.Shuffle,
        ["schedule"] = options.Schedule,
        ["step_size"] = options.StepSize,
        ["gamma"] = options.Gamma,
        ["augment"] = new JsonObject
        {
            ["horizontal_flip"] = options.Augmentation.HorizontalFlip,
            ["vertical_flip"] = options.Augmentation.VerticalFlip,
            ["crop_padding"] = options.Augmentation.CropPadding,
        },
    };

    public static TrainingOptions ReadTraining(JsonObject training)
    {
        var augment = Required(training, "augment").AsObject();
        return new TrainingOptions
        {
            Optimizer = Required(training, "optimizer").GetValue<string>(),
            LearningRate = Required(training, "lr").GetValue<double>(),
            Momentum = Required(training, "momentum").GetValue<double>(),
            Nesterov = Required(training, "nesterov").GetValue<bool>(),
            WeightDecay = Required(training, "weight_decay").GetValue<double>(),
            BatchSize = Required(training, "batch_size").GetValue<int>(),
            Epochs = training["epochs"]?.GetValue<int>(),
            Steps = training["steps"]?.GetValue<long>(),
            Seed = Required(training, "seed").GetValue<ulong>(),
            Shuffle = Required(training, "shuffle").GetValue<bool>(),
            Schedule = Required(training, "schedule").GetValue<string>(),
            StepSize = Required(training, "step_size").GetValue<int>(),
            Gamma = Required(training, "gamma").GetValue<double>(),
            Augmentation = new Augmentation(Required(augment, "horizontal_flip").GetValue<bool>(),
                Required(augment, "vertical_flip").GetValue<bool>(), Required(augment, "crop_padding").GetValue<int>()),
        };
    }

    private static JsonNode Required(JsonObject json, string key) =>
        json[key] ?? throw new FormatException($"cell parameters lack '{key}': {CanonicalJson.Serialize(json)}");
}
