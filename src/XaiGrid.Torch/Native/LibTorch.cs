using System.Runtime.InteropServices;

namespace XaiGrid.Torch.Native;

/// <summary>
/// The C ABI of native/ (libxaigrid_native.so). Calls that make a tensor return its handle, or zero with
/// an error pending; calls that return int give 0 or -1 with an error pending. <see cref="Check(IntPtr)"/>
/// turns a pending error into a <see cref="TorchException"/>.
/// </summary>
internal static unsafe partial class LibTorch
{
    private const string Lib = "xaigrid_native";

    internal static IntPtr Check(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw TakeError() ?? new TorchException("native call returned no tensor");
        return handle;
    }

    internal static void Check(int status)
    {
        if (status != 0) throw TakeError() ?? new TorchException("native call failed");
    }

    /// <summary>The pending error of this thread, cleared, or null if there is none.</summary>
    internal static TorchException? TakeError()
    {
        Span<byte> buffer = stackalloc byte[4096];
        long length;
        fixed (byte* p = buffer) length = xg_take_error(p, buffer.Length);
        if (length < 0) return null;
        int n = (int)Math.Min(length, buffer.Length - 1);
        return new TorchException(System.Text.Encoding.UTF8.GetString(buffer[..n]));
    }

    [LibraryImport(Lib)] internal static partial long xg_take_error(byte* buffer, long capacity);
    [LibraryImport(Lib)] internal static partial void xg_free(IntPtr t);

    // metadata
    [LibraryImport(Lib)] internal static partial int xg_ndim(TensorHandle t);
    [LibraryImport(Lib)] internal static partial void xg_shape(TensorHandle t, long* shape);
    [LibraryImport(Lib)] internal static partial int xg_dtype(TensorHandle t);
    [LibraryImport(Lib)] internal static partial long xg_numel(TensorHandle t);
    [LibraryImport(Lib)] internal static partial void xg_device(TensorHandle t, int* type, int* index);
    [LibraryImport(Lib)] internal static partial int xg_requires_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_set_requires_grad(TensorHandle t, int value);
    [LibraryImport(Lib)] internal static partial int xg_is_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_is_leaf(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_item(TensorHandle t, double* value);
    [LibraryImport(Lib)] internal static partial int xg_item_long(TensorHandle t, long* value);

    // data
    [LibraryImport(Lib)] internal static partial IntPtr xg_from_data(void* data, long* shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial int xg_copy_to(TensorHandle t, void* data, long nbytes);

    // factories
    [LibraryImport(Lib)] internal static partial IntPtr xg_empty(long* shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_zeros(long* shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_ones(long* shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_full(long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_arange(double start, double end, double step, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_linspace(double start, double end, long steps, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_eye(long n, int dtype, int deviceType, int deviceIndex);

    // generators and random draws
    [LibraryImport(Lib)] internal static partial IntPtr xg_generator_new(ulong seed);
    [LibraryImport(Lib)] internal static partial void xg_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial ulong xg_generator_initial_seed(GeneratorHandle g);
    [LibraryImport(Lib)] internal static partial int xg_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr xg_rand(long* shape, int ndim, IntPtr g, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_randn(long* shape, int ndim, IntPtr g, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_randint(long low, long high, long* shape, int ndim, IntPtr g, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_randperm(long n, IntPtr g, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_bernoulli(TensorHandle p, IntPtr g);
    [LibraryImport(Lib)] internal static partial IntPtr xg_normal(double mean, double std, long* shape, int ndim, IntPtr g, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial int xg_seeded_rows(ulong* seeds, long n, IntPtr* outs, int* kinds, long* lows, long* highs, int count);

    // conversion and copies
    [LibraryImport(Lib)] internal static partial IntPtr xg_to(TensorHandle t, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_clone(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr xg_detach(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr xg_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr xg_alias(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int xg_zero_(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_fill_(TensorHandle t, double value);

    // shape and views
    [LibraryImport(Lib)] internal static partial IntPtr xg_view(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_reshape(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_permute(TensorHandle t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_transpose(TensorHandle t, long a, long b);
    [LibraryImport(Lib)] internal static partial IntPtr xg_flatten(TensorHandle t, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr xg_unsqueeze(TensorHandle t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_squeeze(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr xg_squeeze_dim(TensorHandle t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_expand(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_repeat(TensorHandle t, long* repeats, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_narrow(TensorHandle t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr xg_select(TensorHandle t, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr xg_index_select(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial IntPtr xg_gather(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial IntPtr xg_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle src);
    [LibraryImport(Lib)] internal static partial IntPtr xg_masked_fill(TensorHandle t, TensorHandle mask, double value);
    [LibraryImport(Lib)] internal static partial IntPtr xg_masked_select(TensorHandle t, TensorHandle mask);
    [LibraryImport(Lib)] internal static partial IntPtr xg_flip(TensorHandle t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_roll(TensorHandle t, long* shifts, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr xg_cat(IntPtr* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_stack(IntPtr* tensors, int n, long dim);

    // math
    [LibraryImport(Lib)] internal static partial IntPtr xg_unary(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial IntPtr xg_binary(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr xg_binary_scalar(int op, TensorHandle a, double s, int integral);
    [LibraryImport(Lib)] internal static partial int xg_inplace(int op, TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Lib)] internal static partial int xg_inplace_scalar(int op, TensorHandle a, double s, int integral);
    [LibraryImport(Lib)] internal static partial IntPtr xg_clamp(TensorHandle a, double lo, int hasLo, double hi, int hasHi, int integral);
    [LibraryImport(Lib)] internal static partial IntPtr xg_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr xg_addmm(TensorHandle bias, TensorHandle a, TensorHandle b);

    // reductions
    [LibraryImport(Lib)] internal static partial IntPtr xg_reduce(int op, TensorHandle a, long* dims, int ndims, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_var(TensorHandle a, long* dims, int ndims, int unbiased, int keepdim, int isStd);
    [LibraryImport(Lib)] internal static partial int xg_max_dim(TensorHandle a, long dim, int keepdim, int isMin, IntPtr* values, IntPtr* indices);
    [LibraryImport(Lib)] internal static partial IntPtr xg_argmax(TensorHandle a, long dim, int hasDim, int keepdim, int isMin);
    [LibraryImport(Lib)] internal static partial int xg_topk(TensorHandle a, long k, long dim, int largest, int sorted, IntPtr* values, IntPtr* indices);
    [LibraryImport(Lib)] internal static partial int xg_sort(TensorHandle a, long dim, int descending, int stable, IntPtr* values, IntPtr* indices);
    [LibraryImport(Lib)] internal static partial IntPtr xg_cumsum(TensorHandle a, long dim);

    // autograd
    [LibraryImport(Lib)] internal static partial int xg_backward(TensorHandle t, IntPtr grad, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial IntPtr xg_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_set_grad(TensorHandle t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int xg_retain_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int xg_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int xg_is_grad_enabled();
    [LibraryImport(Lib)] internal static partial int xg_autograd_grad(IntPtr* outputs, int nOut, IntPtr* inputs, int nIn, IntPtr* gradOutputs, int retainGraph, int createGraph, int allowUnused, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int xg_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int xg_get_num_threads();
    [LibraryImport(Lib)] internal static partial int xg_cuda_is_available();

    // network programs (program.cpp)
    [LibraryImport(Lib)] internal static partial IntPtr xg_program_new(int n, int* kinds, long* parameters, int oneD);
    [LibraryImport(Lib)] internal static partial void xg_program_free(IntPtr program);
    [LibraryImport(Lib)] internal static partial int xg_program_run(IntPtr program, TensorHandle x, int n, IntPtr* weights, IntPtr* biases, IntPtr seed, long at, IntPtr* logits, IntPtr* activation, IntPtr* gradient);

    // nn.functional
    [LibraryImport(Lib)] internal static partial IntPtr xg_conv1d(TensorHandle x, TensorHandle w, IntPtr b, long stride, long padding, int paddingMode, long dilation, long groups);
    [LibraryImport(Lib)] internal static partial IntPtr xg_conv2d(TensorHandle x, TensorHandle w, IntPtr b, long* stride, long* padding, int paddingMode, long* dilation, long groups);
    [LibraryImport(Lib)] internal static partial int xg_max_pool(int n, TensorHandle x, long* kernel, long* stride, long* padding, long* dilation, int ceilMode, IntPtr* output, IntPtr* indices);
    [LibraryImport(Lib)] internal static partial IntPtr xg_avg_pool(int n, TensorHandle x, long* kernel, long* stride, long* padding, int ceilMode, int countIncludePad);
    [LibraryImport(Lib)] internal static partial IntPtr xg_adaptive_avg_pool(int n, TensorHandle x, long* size);
    [LibraryImport(Lib)] internal static partial IntPtr xg_linear(TensorHandle x, TensorHandle w, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr xg_softmax(TensorHandle x, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_log_softmax(TensorHandle x, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr xg_cross_entropy(TensorHandle x, TensorHandle target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing);
    [LibraryImport(Lib)] internal static partial IntPtr xg_nll_loss(TensorHandle x, TensorHandle target, IntPtr weight, int reduction, long ignoreIndex);
    [LibraryImport(Lib)] internal static partial IntPtr xg_mse_loss(TensorHandle x, TensorHandle target, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr xg_batch_norm(TensorHandle x, IntPtr weight, IntPtr bias, IntPtr runningMean, IntPtr runningVar, int training, double momentum, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr xg_interpolate(TensorHandle x, long* size, int n, int mode, int alignCorners);
    [LibraryImport(Lib)] internal static partial IntPtr xg_pad(TensorHandle x, long* pads, int n, int mode, double value);

    // optim
    [LibraryImport(Lib)] internal static partial int xg_sgd_step(IntPtr* parameters, IntPtr* buffers, int n, double lr, double momentum, double dampening, double weightDecay, int nesterov, int maximize);
    [LibraryImport(Lib)] internal static partial int xg_adam_step(IntPtr* parameters, IntPtr* expAvg, IntPtr* expAvgSq, IntPtr* maxExpAvgSq, int n, long step, double lr, double beta1, double beta2, double eps, double weightDecay, int amsgrad, int maximize);
}
