using XaiGrid.Torch.Native;
using static XaiGrid.Torch.Native.LibTorch;

namespace XaiGrid.Torch;

// Elementwise math, comparisons, matrix products and reductions.
public sealed partial class Tensor
{
    private Tensor Unary(UnaryOp op) => new(xg_unary((int)op, Handle));

    internal Tensor Binary(BinaryOp op, Tensor other) => new(xg_binary((int)op, Handle, other.Handle));

    // Whole-number scalars keep integer tensors integral, as a Python int does in PyTorch.
    internal Tensor Binary(BinaryOp op, double scalar) =>
        new(xg_binary_scalar((int)op, Handle, scalar, IsWhole(scalar) && dtype.IsIntegral() ? 1 : 0));

    private static bool IsWhole(double v) => Math.Abs(v) < 9.2e18 && v == Math.Floor(v);

    public Tensor neg() => Unary(UnaryOp.Neg);
    public Tensor abs() => Unary(UnaryOp.Abs);
    public Tensor exp() => Unary(UnaryOp.Exp);
    public Tensor log() => Unary(UnaryOp.Log);
    public Tensor sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor square() => Unary(UnaryOp.Square);
    public Tensor relu() => Unary(UnaryOp.Relu);
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor tanh() => Unary(UnaryOp.Tanh);
    public Tensor sign() => Unary(UnaryOp.Sign);
    public Tensor floor() => Unary(UnaryOp.Floor);
    public Tensor ceil() => Unary(UnaryOp.Ceil);
    public Tensor round() => Unary(UnaryOp.Round);
    public Tensor sin() => Unary(UnaryOp.Sin);
    public Tensor cos() => Unary(UnaryOp.Cos);
    public Tensor log1p() => Unary(UnaryOp.Log1p);
    public Tensor expm1() => Unary(UnaryOp.Expm1);
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot);
    public Tensor isnan() => Unary(UnaryOp.IsNan);
    public Tensor isinf() => Unary(UnaryOp.IsInf);
    public Tensor isfinite() => Unary(UnaryOp.IsFinite);

    public Tensor add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor add(double other) => Binary(BinaryOp.Add, other);
    public Tensor sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor sub(double other) => Binary(BinaryOp.Sub, other);
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor mul(double other) => Binary(BinaryOp.Mul, other);
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor div(double other) => Binary(BinaryOp.Div, other);
    public Tensor pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor remainder(double other) => Binary(BinaryOp.Remainder, other);
    public Tensor maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor logical_and(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Binary(BinaryOp.LogicalOr, other);

    public Tensor eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor eq(double other) => Binary(BinaryOp.Eq, other);
    public Tensor ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor ne(double other) => Binary(BinaryOp.Ne, other);
    public Tensor lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor lt(double other) => Binary(BinaryOp.Lt, other);
    public Tensor le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor le(double other) => Binary(BinaryOp.Le, other);
    public Tensor gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor gt(double other) => Binary(BinaryOp.Gt, other);
    public Tensor ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor ge(double other) => Binary(BinaryOp.Ge, other);

    public Tensor matmul(Tensor other) => Binary(BinaryOp.Matmul, other);
    public Tensor mm(Tensor other) => Binary(BinaryOp.Mm, other);
    public Tensor bmm(Tensor other) => Binary(BinaryOp.Bmm, other);

    // Whole bounds keep an integer tensor integral; a fractional one promotes it, as in PyTorch.
    public Tensor clamp(double? min = null, double? max = null) =>
        new(xg_clamp(Handle, min ?? 0, min.HasValue ? 1 : 0, max ?? 0, max.HasValue ? 1 : 0,
            IsWhole(min ?? 0) && IsWhole(max ?? 0) && dtype.IsIntegral() ? 1 : 0));

    public Tensor clamp_min(double min) => clamp(min: min);
    public Tensor clamp_max(double max) => clamp(max: max);

    // ---- in place (return this, as PyTorch's x.add_(y) returns x) ----
    public Tensor add_(Tensor other, double alpha = 1) => InPlace(BinaryOp.Add, other, alpha);
    public Tensor sub_(Tensor other, double alpha = 1) => InPlace(BinaryOp.Sub, other, alpha);
    public Tensor mul_(Tensor other) => InPlace(BinaryOp.Mul, other, 1);
    public Tensor div_(Tensor other) => InPlace(BinaryOp.Div, other, 1);
    public Tensor add_(double other) => InPlace(BinaryOp.Add, other);
    public Tensor sub_(double other) => InPlace(BinaryOp.Sub, other);
    public Tensor mul_(double other) => InPlace(BinaryOp.Mul, other);
    public Tensor div_(double other) => InPlace(BinaryOp.Div, other);

    public Tensor zero_()
    {
        Check(xg_zero_(Handle));
        return this;
    }

    public Tensor fill_(double value)
    {
        Check(xg_fill_(Handle, value));
        return this;
    }

    public Tensor copy_(Tensor source)
    {
        Check(xg_copy_(Handle, source.Handle));
        return this;
    }

    private Tensor InPlace(BinaryOp op, Tensor other, double alpha)
    {
        Check(xg_inplace((int)op, Handle, other.Handle, alpha));
        return this;
    }

    private Tensor InPlace(BinaryOp op, double other)
    {
        Check(xg_inplace_scalar((int)op, Handle, other, IsWhole(other) && dtype.IsIntegral() ? 1 : 0));
        return this;
    }

    // ---- reductions ----
    private unsafe Tensor Reduce(ReduceOp op, long[] dims, bool keepdim)
    {
        fixed (long* p = dims) return new(xg_reduce((int)op, Handle, p, dims.Length, keepdim ? 1 : 0));
    }

    public Tensor sum() => Reduce(ReduceOp.Sum, [], false);
    public Tensor sum(long dim, bool keepdim = false) => Reduce(ReduceOp.Sum, [dim], keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Sum, dims, keepdim);
    public Tensor mean() => Reduce(ReduceOp.Mean, [], false);
    public Tensor mean(long dim, bool keepdim = false) => Reduce(ReduceOp.Mean, [dim], keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Mean, dims, keepdim);
    public Tensor prod() => Reduce(ReduceOp.Prod, [], false);
    public Tensor all() => Reduce(ReduceOp.All, [], false);
    public Tensor any() => Reduce(ReduceOp.Any, [], false);
    public Tensor amax(params long[] dims) => Reduce(ReduceOp.Amax, dims, false);
    public Tensor amax(long[] dims, bool keepdim) => Reduce(ReduceOp.Amax, dims, keepdim);
    public Tensor amin(params long[] dims) => Reduce(ReduceOp.Amin, dims, false);
    public Tensor amin(long[] dims, bool keepdim) => Reduce(ReduceOp.Amin, dims, keepdim);

    /// <summary>The largest element, as a 0-d tensor.</summary>
    public Tensor max() => Reduce(ReduceOp.Amax, [], false);

    /// <summary>The smallest element, as a 0-d tensor.</summary>
    public Tensor min() => Reduce(ReduceOp.Amin, [], false);

    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) => MaxMin(dim, keepdim, false);

    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) => MaxMin(dim, keepdim, true);

    private unsafe (Tensor, Tensor) MaxMin(long dim, bool keepdim, bool isMin)
    {
        IntPtr v, i;
        Check(xg_max_dim(Handle, dim, keepdim ? 1 : 0, isMin ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax() => new(xg_argmax(Handle, 0, 0, 0, 0));
    public Tensor argmax(long dim, bool keepdim = false) => new(xg_argmax(Handle, dim, 1, keepdim ? 1 : 0, 0));
    public Tensor argmin() => new(xg_argmax(Handle, 0, 0, 0, 1));
    public Tensor argmin(long dim, bool keepdim = false) => new(xg_argmax(Handle, dim, 1, keepdim ? 1 : 0, 1));

    private unsafe Tensor Var(long[] dims, bool unbiased, bool keepdim, bool isStd)
    {
        fixed (long* p = dims) return new(xg_var(Handle, p, dims.Length, unbiased ? 1 : 0, keepdim ? 1 : 0, isStd ? 1 : 0));
    }

    public Tensor std(bool unbiased = true) => Var([], unbiased, false, true);
    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => Var([dim], unbiased, keepdim, true);
    public Tensor std(long[] dims, bool unbiased = true, bool keepdim = false) => Var(dims, unbiased, keepdim, true);
    public Tensor var(bool unbiased = true) => Var([], unbiased, false, false);
    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => Var([dim], unbiased, keepdim, false);
    public Tensor var(long[] dims, bool unbiased = true, bool keepdim = false) => Var(dims, unbiased, keepdim, false);

    public unsafe (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        IntPtr v, i;
        Check(xg_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    public unsafe (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false, bool stable = false)
    {
        IntPtr v, i;
        Check(xg_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, &v, &i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argsort(long dim = -1, bool descending = false, bool stable = false)
    {
        var (values, indices) = sort(dim, descending, stable);
        values.Dispose();
        return indices;
    }

    public Tensor cumsum(long dim) => new(xg_cumsum(Handle, dim));

    // ---- operators ----
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(double a, Tensor b) => b.Binary(BinaryOp.RSub, a);
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    public static Tensor operator /(double a, Tensor b) => b.Binary(BinaryOp.RDiv, a);
    public static Tensor operator -(Tensor a) => a.neg();
}
