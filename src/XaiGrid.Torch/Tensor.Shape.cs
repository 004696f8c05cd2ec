using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

// Views, reshapes and indexing. Views share storage with their source, as in PyTorch.
public sealed partial class Tensor
{
    public unsafe Tensor view(params long[] shape)
    {
        fixed (long* p = shape) return new(xg_view(Handle, p, shape.Length));
    }

    public unsafe Tensor reshape(params long[] shape)
    {
        fixed (long* p = shape) return new(xg_reshape(Handle, p, shape.Length));
    }

    public unsafe Tensor permute(params long[] dims)
    {
        fixed (long* p = dims) return new(xg_permute(Handle, p, dims.Length));
    }

    public Tensor transpose(long dim0, long dim1) => new(xg_transpose(Handle, dim0, dim1));

    public Tensor t() => transpose(0, 1);

    public Tensor flatten(long start_dim = 0, long end_dim = -1) => new(xg_flatten(Handle, start_dim, end_dim));

    public Tensor unsqueeze(long dim) => new(xg_unsqueeze(Handle, dim));

    public Tensor squeeze() => new(xg_squeeze(Handle));

    public Tensor squeeze(long dim) => new(xg_squeeze_dim(Handle, dim));

    public unsafe Tensor expand(params long[] shape)
    {
        fixed (long* p = shape) return new(xg_expand(Handle, p, shape.Length));
    }

    public Tensor expand_as(Tensor other) => expand(other.shape);

    public unsafe Tensor repeat(params long[] repeats)
    {
        fixed (long* p = repeats) return new(xg_repeat(Handle, p, repeats.Length));
    }

    public Tensor narrow(long dim, long start, long length) => new(xg_narrow(Handle, dim, start, length));

    public Tensor select(long dim, long index) => new(xg_select(Handle, dim, index));

    /// <summary>The sub-tensor at <paramref name="index"/> along dimension 0, as <c>x[i]</c> in PyTorch.</summary>
    public Tensor this[long index] => select(0, index);

    public Tensor index_select(long dim, Tensor index) => new(xg_index_select(Handle, dim, index.Handle));

    public Tensor gather(long dim, Tensor index) => new(xg_gather(Handle, dim, index.Handle));

    public Tensor scatter(long dim, Tensor index, Tensor src) => new(xg_scatter(Handle, dim, index.Handle, src.Handle));

    public Tensor masked_fill(Tensor mask, double value) => new(xg_masked_fill(Handle, mask.Handle, value));

    public Tensor masked_select(Tensor mask) => new(xg_masked_select(Handle, mask.Handle));

    public unsafe Tensor flip(params long[] dims)
    {
        fixed (long* p = dims) return new(xg_flip(Handle, p, dims.Length));
    }

    public unsafe Tensor roll(long[] shifts, long[] dims)
    {
        if (shifts.Length != dims.Length) throw new ArgumentException("roll takes one shift per dim");
        fixed (long* s = shifts)
        fixed (long* d = dims)
            return new(xg_roll(Handle, s, d, dims.Length));
    }

    /// <summary>Splits into pieces of <paramref name="split_size"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] split(long split_size, long dim = 0)
    {
        if (split_size <= 0) throw new ArgumentOutOfRangeException(nameof(split_size), split_size, "split size must be positive");
        long n = size((int)dim);
        var sizes = new List<long>();
        for (long start = 0; start < n; start += split_size) sizes.Add(Math.Min(split_size, n - start));
        return split(sizes.ToArray(), dim);
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/>; they must add up to its length.</summary>
    public Tensor[] split(long[] split_sizes, long dim = 0)
    {
        long n = size((int)dim);
        if (split_sizes.Sum() != n)
            throw new TorchException($"split sizes [{string.Join(", ", split_sizes)}] do not add up to {n}, the length of dim {dim}");
        var parts = new Tensor[split_sizes.Length];
        long start = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = narrow(dim, start, split_sizes[i]);
            start += split_sizes[i];
        }
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces of equal size (ceil), as torch.chunk.</summary>
    public Tensor[] chunk(long chunks, long dim = 0)
    {
        if (chunks <= 0) throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "chunks must be positive");
        long n = size((int)dim);
        return split(Math.Max(1, (n + chunks - 1) / chunks), dim);
    }
}
