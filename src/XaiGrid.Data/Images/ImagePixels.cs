using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data;

/// <summary>A decoded image: float32 values in [0, 1], channel-major (C, H, W), as <see cref="ImageFile.Decode"/> returns it.</summary>
public sealed record ImagePixels(float[] Values, int Channels, int Height, int Width)
{
    public long[] Shape => [Channels, Height, Width];

    public Tensor ToTensor() => torch.tensor(Values, Shape);
}
