using TorchSharp;
using XaiGrid.TorchExtras;

namespace XaiGrid.Cli.Tests;

/// <summary><c>--device</c> of train, explain, evaluate and run, and <c>worker.device</c>: spelling, availability, and cpu end to end.</summary>
public class DeviceOptionTests(SmallMnist1D data) : IClassFixture<SmallMnist1D>
{
    public static TheoryData<string, string> Misspelt => new()
    {
        { "train", "cuda:x" }, { "train", "gpu" }, { "explain", "cuda:-1" }, { "evaluate", "tpu" }, { "run", "cuda:x" },
    };

    [Theory]
    [MemberData(nameof(Misspelt))]
    public void AMisspeltDeviceIsOneErrorLineNamingTheOption(string command, string device)
    {
        using var dir = new TempDir();
        var run = Cli.Run(Arguments(command, dir, device));
        Assert.Equal($"error: --device: unknown device '{device}': expected cpu, cuda or cuda:N", run.SingleErrorLine());
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("train", "cuda", "cuda:0")]
    [InlineData("explain", "cuda:1", "cuda:1")]
    [InlineData("run", "CUDA:0", "cuda:0")]
    public void CudaWithoutCudaIsOneErrorLine(string command, string device, string canonical)
    {
        if (torch.cuda.is_available()) return; // this test is about machines without CUDA (the CPU build of libtorch)
        using var dir = new TempDir();
        var run = Cli.Run(Arguments(command, dir, device));
        Assert.StartsWith($"error: --device {canonical}: CUDA is not available to this process", run.SingleErrorLine());
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void AWorkerConfiguredForCudaWithoutCudaIsOneErrorLine()
    {
        if (torch.cuda.is_available()) return;
        using var dir = new TempDir();
        var config = dir.File("worker.yaml");
        // The device is checked before the broker is contacted: no broker is needed for this error.
        File.WriteAllText(config, "broker:\n  host: 127.0.0.1\n  port: 1\n  user: u\n  password: p\nworker:\n  device: cuda:0\n");
        var run = Cli.Run("worker", "--config", config);
        Assert.StartsWith("error: worker.device cuda:0: CUDA is not available to this process", run.SingleErrorLine());
    }

    [Fact]
    public void OnTheCpuTrainAndExplainGiveWhatTheDefaultGives()
    {
        using var dir = new TempDir();
        string[] train = ["train", "--arch", "mnist1d-cnn", "--data", data.Folder, "--steps", "3", "--threads", "1"];
        var byDefault = Cli.Run([.. train, "--out", dir.File("a.safetensors")]);
        Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
        var onCpu = Cli.Run([.. train, "--device", "cpu", "--out", dir.File("b.safetensors")]);
        Assert.True(onCpu.ExitCode == 0, onCpu.ToString());
        Assert.Equal(File.ReadAllBytes(dir.File("a.safetensors")), File.ReadAllBytes(dir.File("b.safetensors")));

        var inputs = dir.File("x.npy");
        using (var generator = new torch.Generator(3))
        using (var x = torch.randn([4, 1, 40], generator: generator)) Npy.save(inputs, x);
        string[] explain = ["explain", "--arch", "mnist1d-cnn", "--weights", dir.File("a.safetensors"), "--inputs", inputs, "--method", "gradient"];
        var mapsByDefault = Cli.Run([.. explain, "--out", dir.File("m1.npy")]);
        Assert.True(mapsByDefault.ExitCode == 0, mapsByDefault.ToString());
        var mapsOnCpu = Cli.Run([.. explain, "--device", "cpu", "--out", dir.File("m2.npy")]);
        Assert.True(mapsOnCpu.ExitCode == 0, mapsOnCpu.ToString());
        Assert.Equal(File.ReadAllBytes(dir.File("m1.npy")), File.ReadAllBytes(dir.File("m2.npy")));
    }

    private string[] Arguments(string command, TempDir dir, string device) => command switch
    {
        "train" => ["train", "--arch", "mnist1d-logistic", "--data", data.Folder, "--epochs", "1", "--device", device, "--out", dir.File("w.safetensors")],
        "explain" => ["explain", "--arch", "mnist1d-cnn", "--weights", dir.File("w.safetensors"), "--inputs", dir.File("x.npy"),
            "--method", "gradient", "--device", device, "--out", dir.File("maps.npy")],
        "evaluate" => ["evaluate", "--arch", "mnist1d-cnn", "--weights", dir.File("w.safetensors"), "--inputs", dir.File("x.npy"),
            "--targets", dir.File("y.npy"), "--maps", dir.File("m.npy"), "--metric", "drop-increase", "--device", device, "--json", dir.File("r.json")],
        "run" => ["run", "experiments-that-do-not-exist.yaml", "--db", dir.File("x.db"), "--device", device],
        _ => throw new ArgumentException(command),
    };
}
