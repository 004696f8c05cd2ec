using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.TorchExtras;

/// <summary>
/// The device names a command line option or a configuration key accepts: <c>cpu</c>, <c>cuda</c> (device 0) or
/// <c>cuda:N</c>. <see cref="Parse"/> checks only the spelling; <see cref="Resolve"/> also checks that this process can
/// use the device (a CUDA build of libtorch and a GPU with that index).
/// </summary>
public static class Devices
{
    public const string Allowed = "cpu, cuda or cuda:N";

    /// <summary>
    /// The device <paramref name="text"/> names (case-insensitive, as the old binding's Device.Parse); the error starts with
    /// <paramref name="option"/> (e.g. "--device") when given, a configuration loader adds the key's line and column instead.
    /// </summary>
    public static Device Parse(string text, string? option = null)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return torch.CPU;
        if (t == "cuda") return new Device(DeviceType.CUDA, 0);
        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return new Device(DeviceType.CUDA, index);
        throw new ArgumentException((option is null ? "" : option + ": ") + $"unknown device '{text}': expected {Allowed}");
    }

    /// <summary>The canonical name of a parsed device: cpu or cuda:N.</summary>
    public static string Name(Device device) => device.type == DeviceType.CPU ? "cpu" : $"cuda:{Math.Max(device.index, 0)}";

    /// <summary><see cref="Parse"/>, then an error naming <paramref name="option"/> when this process cannot use the device.</summary>
    public static Device Resolve(string text, string option)
    {
        var device = Parse(text, option);
        if (device.type == DeviceType.CPU) return device;
        if (!torch.cuda.is_available())
            throw new NotSupportedException(
                $"{option} {Name(device)}: CUDA is not available to this process (the CPU build of libtorch, or no GPU or driver); use cpu, or a TorchBackend=cuda build on a machine with a GPU");
        int count = torch.cuda.device_count();
        if (device.index >= count)
            throw new NotSupportedException($"{option} {Name(device)}: this machine has {count} CUDA device(s) (cuda:0 to cuda:{count - 1})");
        return device;
    }
}
