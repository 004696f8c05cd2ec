using System.CommandLine;
using TorchSharp;
using XaiGrid.Data;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Cli.Commands;

/// <summary><c>--device cpu|cuda[:N]</c> of train, explain, evaluate and run: where every tensor of the work lives.</summary>
internal static class DeviceOption
{
    public const string Name = "--device";

    public static Option<string> Create() => new(Name)
    {
        Description = $"where the tensors live: {Devices.Allowed} (cuda needs a TorchBackend=cuda build and a GPU)",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device the option names; a clear error for a misspelt one or one this process cannot use.</summary>
    public static Device Resolve(ParseResult parse, Option<string> option) => Devices.Resolve(parse.GetValue(option)!, Name);

    /// <summary><paramref name="split"/> itself on the CPU, else a copy on <paramref name="device"/> (the CPU one is disposed).</summary>
    public static DatasetSplit Move(DatasetSplit split, Device device)
    {
        if (device.type == DeviceType.CPU) return split;
        using (split)
            return new DatasetSplit(Move(split.Train, device), Move(split.Test, device));
    }

    private static LabeledDataset Move(LabeledDataset set, Device device) =>
        new(set.Inputs.to(device), set.Labels.to(device), set.ClassNames, set.Ids);
}
