namespace XaiGrid.Torch;

/// <summary>An error raised by libtorch inside the native shim, carrying its message.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
}
