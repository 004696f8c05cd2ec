using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

public static partial class torch
{
    /// <summary>HDF5 datasets through OpenCV's hdf module (read only).</summary>
    public static class hdf5
    {
        /// <summary>
        /// One dataset as a CPU tensor of the same shape; float64 stays float64, uint8 stays uint8 (also int32
        /// and float32). <paramref name="dataset"/> is the dataset's path inside the file, e.g. "data1".
        /// </summary>
        public static Tensor read(string path, string dataset)
        {
            // HDF5 reports a missing file as a long error stack on stderr; say it plainly before calling it.
            if (!File.Exists(path)) throw new FileNotFoundException($"HDF5 file not found: {path}", path);
            return new Tensor(xg_hdf5_read(path, dataset));
        }
    }
}
