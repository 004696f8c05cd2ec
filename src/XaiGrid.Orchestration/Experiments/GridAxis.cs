using System.Globalization;
using XaiGrid.Models.Training;

namespace XaiGrid.Orchestration.Experiments;

/// <summary>
/// A training option written as a list: its key as in the experiment file and its values (string for optimizer,
/// double for lr, momentum and weight_decay, int for batch_size and epochs, long for steps).
/// </summary>
public sealed record GridAxis(string Key, IReadOnlyList<object> Values)
{
    /// <summary>The options that may be lists, in the order the grid nests them (the last varies fastest).</summary>
    public static readonly string[] Keys = ["optimizer", "lr", "momentum", "weight_decay", "batch_size", "epochs", "steps"];

    /// <summary><paramref name="options"/> with the option <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public static TrainingOptions Set(TrainingOptions options, string key, object value) => key switch
    {
        "optimizer" => options with { Optimizer = (string)value },
        "lr" => options with { LearningRate = (double)value },
        "momentum" => options with { Momentum = (double)value },
        "weight_decay" => options with { WeightDecay = (double)value },
        "batch_size" => options with { BatchSize = (int)value },
        "epochs" => options with { Epochs = (int)value },
        "steps" => options with { Steps = (long)value },
        _ => throw new ArgumentException($"'{key}' is not a grid option; grid options: {string.Join(", ", Keys)}"),
    };

    public static string Format(object value) => value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : value.ToString()!;
}
