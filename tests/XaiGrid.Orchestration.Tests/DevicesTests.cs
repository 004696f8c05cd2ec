using TorchSharp;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Orchestration.Tests;

/// <summary>The device names of --device and worker.device (XaiGrid.TorchExtras.Devices).</summary>
public class DevicesTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData(" CPU ", "cpu")]
    [InlineData("cuda", "cuda:0")]
    [InlineData("cuda:0", "cuda:0")]
    [InlineData("Cuda:3", "cuda:3")]
    public void AcceptsCpuCudaAndCudaN(string text, string canonical) => Assert.Equal(canonical, Devices.Name(Devices.Parse(text)));

    [Theory]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:")]
    [InlineData("cuda:+1")]
    [InlineData("gpu")]
    [InlineData("mps")]
    [InlineData("")]
    public void RefusesAnythingElseNamingTheOption(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Parse(text, "--device"));
        Assert.Equal($"--device: unknown device '{text}': expected cpu, cuda or cuda:N", e.Message);
        Assert.Throws<ArgumentException>(() => Devices.Resolve(text, "--device"));
    }

    [Fact]
    public void TheCpuIsAlwaysAvailable() => Assert.Equal(DeviceType.CPU, Devices.Resolve("cpu", "--device").type);

    [Fact]
    public void CudaWithoutCudaIsAClearError()
    {
        if (torch.cuda.is_available()) return; // a machine with CUDA resolves it instead
        var e = Assert.Throws<NotSupportedException>(() => Devices.Resolve("cuda:1", "worker.device"));
        Assert.StartsWith("worker.device cuda:1: CUDA is not available to this process", e.Message);
    }
}
