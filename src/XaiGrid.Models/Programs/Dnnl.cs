using System.Runtime.InteropServices;

namespace XaiGrid.Models.Programs;

/// <summary>
/// The part of oneDNN's C API (v2.x, Debian's <c>libdnnl2</c>: <c>libdnnl.so.2</c>) that <see cref="NetworkProgram"/>
/// uses, declared from <c>oneapi/dnnl/dnnl.h</c> and <c>dnnl_types.h</c> of 2.6. Memory and operation descriptors
/// are C structs that only the library reads and writes: they live in opaque blocks of
/// <see cref="MemoryDescBytes"/> and <see cref="OpDescBytes"/> bytes, larger than the structs of any 2.x release.
/// </summary>
internal static unsafe partial class Dnnl
{
    private const string Lib = "libdnnl.so.2";

    public const int MemoryDescBytes = 4096;  // sizeof(dnnl_memory_desc_t) is under 1 KB in 2.x
    public const int OpDescBytes = 32768;     // a convolution descriptor holds 6 memory descriptors

    public const int Success = 0;
    public const int F32 = 3;                 // dnnl_f32
    public const int TagAny = 1, TagA = 2, TagAb = 3, TagAbc = 4, TagAbcd = 5;  // dnnl_format_tag_any, dnnl_a, ..., dnnl_abcd
    public const int ForwardTraining = 64;    // dnnl_forward_training
    public const int ConvolutionDirect = 0x1; // dnnl_convolution_direct
    public const int EltwiseReluUseDstForBwd = 0x100;
    public const int PoolingMax = 0x1ff, PoolingAvgExcludePadding = 0x3ff;
    public const int EngineCpu = 1;           // dnnl_cpu
    public const uint StreamDefault = 1;      // dnnl_stream_in_order
    public const int QuerySrcMd = 129, QueryDiffSrcMd = 130, QueryWeightsMd = 131, QueryDstMd = 133, QueryDiffDstMd = 134, QueryWorkspaceMd = 135;
    public const int ArgSrc = 1, ArgDst = 17, ArgWeights = 33, ArgBias = 41, ArgWorkspace = 64, ArgDiffSrc = 129, ArgDiffDst = 145;
    public static readonly IntPtr Allocate = new(-1);  // DNNL_MEMORY_ALLOCATE

    [StructLayout(LayoutKind.Sequential)]
    public struct ExecArg
    {
        public int Arg;
        public IntPtr Memory;
    }

    [LibraryImport(Lib)] public static partial int dnnl_engine_create(out IntPtr engine, int kind, nuint index);
    [LibraryImport(Lib)] public static partial int dnnl_stream_create(out IntPtr stream, IntPtr engine, uint flags);
    [LibraryImport(Lib)] public static partial int dnnl_stream_wait(IntPtr stream);
    [LibraryImport(Lib)] public static partial int dnnl_stream_destroy(IntPtr stream);

    [LibraryImport(Lib)] public static partial int dnnl_memory_desc_init_by_tag(void* md, int ndims, long* dims, int dataType, int tag);
    [LibraryImport(Lib)] public static partial int dnnl_memory_desc_equal(void* lhs, void* rhs);
    [LibraryImport(Lib)] public static partial nuint dnnl_memory_desc_get_size(void* md);
    [LibraryImport(Lib)] public static partial int dnnl_memory_create(out IntPtr memory, void* md, IntPtr engine, IntPtr handle);
    [LibraryImport(Lib)] public static partial int dnnl_memory_set_data_handle(IntPtr memory, IntPtr handle);
    [LibraryImport(Lib)] public static partial int dnnl_memory_get_data_handle(IntPtr memory, out IntPtr handle);
    [LibraryImport(Lib)] public static partial int dnnl_memory_destroy(IntPtr memory);

    [LibraryImport(Lib)]
    public static partial int dnnl_convolution_forward_desc_init(void* desc, int propKind, int algKind, void* src, void* weights,
        void* bias, void* dst, long* strides, long* paddingL, long* paddingR);
    [LibraryImport(Lib)]
    public static partial int dnnl_convolution_backward_data_desc_init(void* desc, int algKind, void* diffSrc, void* weights,
        void* diffDst, long* strides, long* paddingL, long* paddingR);
    [LibraryImport(Lib)] public static partial int dnnl_eltwise_forward_desc_init(void* desc, int propKind, int algKind, void* data, float alpha, float beta);
    [LibraryImport(Lib)] public static partial int dnnl_eltwise_backward_desc_init(void* desc, int algKind, void* diffData, void* data, float alpha, float beta);
    [LibraryImport(Lib)] public static partial int dnnl_inner_product_forward_desc_init(void* desc, int propKind, void* src, void* weights, void* bias, void* dst);
    [LibraryImport(Lib)] public static partial int dnnl_inner_product_backward_data_desc_init(void* desc, void* diffSrc, void* weights, void* diffDst);
    [LibraryImport(Lib)]
    public static partial int dnnl_pooling_forward_desc_init(void* desc, int propKind, int algKind, void* src, void* dst, long* strides,
        long* kernel, long* paddingL, long* paddingR);
    [LibraryImport(Lib)]
    public static partial int dnnl_pooling_backward_desc_init(void* desc, int algKind, void* diffSrc, void* diffDst, long* strides,
        long* kernel, long* paddingL, long* paddingR);

    [LibraryImport(Lib)] public static partial int dnnl_primitive_desc_create(out IntPtr pd, void* opDesc, IntPtr attr, IntPtr engine, IntPtr hintForward);
    [LibraryImport(Lib)] public static partial int dnnl_reorder_primitive_desc_create(out IntPtr pd, void* src, IntPtr srcEngine, void* dst, IntPtr dstEngine, IntPtr attr);
    [LibraryImport(Lib)] public static partial void* dnnl_primitive_desc_query_md(IntPtr pd, int what, int index);
    [LibraryImport(Lib)] public static partial int dnnl_primitive_desc_destroy(IntPtr pd);
    [LibraryImport(Lib)] public static partial int dnnl_primitive_create(out IntPtr primitive, IntPtr pd);
    [LibraryImport(Lib)] public static partial int dnnl_primitive_execute(IntPtr primitive, IntPtr stream, int nargs, ExecArg* args);
    [LibraryImport(Lib)] public static partial int dnnl_primitive_destroy(IntPtr primitive);

    /// <summary>Throws unless <paramref name="status"/> is dnnl_success, naming the call.</summary>
    public static void Check(int status, string what)
    {
        if (status != Success)
            throw new InvalidOperationException($"oneDNN: {what} failed with status {status} ({StatusName(status)})");
    }

    private static string StatusName(int status) => status switch
    {
        1 => "out of memory",
        2 => "invalid arguments",
        3 => "unimplemented",
        4 => "iterator ends",
        5 => "runtime error",
        6 => "not required",
        _ => "unknown",
    };
}

/// <summary>TorchSharp's native library: a tensor's data pointer (TorchSharp 0.107 has no public accessor for it).</summary>
internal static partial class TorchNative
{
    [LibraryImport("LibTorchSharp")] public static partial IntPtr THSTensor_data(IntPtr tensor);
}

/// <summary>
/// The system's GNU OpenMP runtime, the one Debian's libdnnl links (libtorch brings its own, under another name, so
/// <c>torch.set_num_threads</c> does not reach oneDNN's threads).
/// </summary>
internal static partial class Gomp
{
    [LibraryImport("libgomp.so.1")] public static partial void omp_set_num_threads(int n);
    [LibraryImport("libgomp.so.1")] public static partial int omp_get_max_threads();
}
