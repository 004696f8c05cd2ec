using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static XaiGrid.Models.Programs.Dnnl;

namespace XaiGrid.Models.Programs;

/// <summary>
/// A straight-line 1-D network (Conv1d with zero padding, groups 1 and dilation 1; ReLU; Flatten right before a
/// Linear; Linear; Dropout as the identity, since programs run in eval mode) run by oneDNN directly, through its C API
/// in Debian's libdnnl.so.2: the forward pass, and the backward-data pass of a given dQ/dlogits down to the input or to
/// any layer's output, without autograd. libtorch's convolutions rebuild their oneDNN primitives and reorder weights
/// and activations on every call; on MNIST-1D sizes (25 channels, length 40) that glue costs several times the
/// arithmetic. Here the primitives are built once per input shape, activations stay in the layouts oneDNN chose
/// (<c>format_tag any</c>), ReLUs run in place and are differentiated from their output, and weights are reordered once
/// per change of the parameters: each run compares the parameter tensors with a private copy (a memcmp of a few
/// tens of KB), which sees any change (optimizer step, load_state_dict, in-place edit, a new tensor), where
/// TorchSharp exposes no version counter. Biases are read in place. Tensors are handed to oneDNN by their data
/// pointers (contiguous float32 CPU), results are written into new tensors.
/// </summary>
public sealed unsafe class NetworkProgram : IDisposable
{
    private enum Kind { Conv, Relu, Flatten, Linear }

    private sealed class Step
    {
        public Kind Kind;
        public Convolution? Conv;
        public Linear? Linear;
        public WeightCopy? Weight;
        public long Stride = 1, PadLeft, PadRight;

        public Tensor? WeightTensor => Conv?.weight ?? Linear?.weight;
        public Tensor? BiasTensor => Conv is not null ? Conv.bias : Linear?.bias;
    }

    /// <summary>A private copy of a weight tensor's values; <see cref="Version"/> counts the changes seen.</summary>
    private sealed class WeightCopy : IDisposable
    {
        public IntPtr Data;
        public long Bytes;
        public int Version;

        public void Refresh(Tensor w)
        {
            long bytes = w.numel() * sizeof(float);
            var source = TorchNative.THSTensor_data(w.Handle);
            if (Data != IntPtr.Zero && bytes == Bytes &&
                new ReadOnlySpan<byte>((void*)source, checked((int)bytes)).SequenceEqual(new ReadOnlySpan<byte>((void*)Data, (int)bytes)))
                return;
            if (bytes != Bytes)
            {
                if (Data != IntPtr.Zero) NativeMemory.Free((void*)Data);
                Data = (IntPtr)NativeMemory.Alloc((nuint)bytes);
                Bytes = bytes;
            }
            Buffer.MemoryCopy((void*)source, (void*)Data, bytes, bytes);
            Version++;
        }

        public void Dispose()
        {
            if (Data != IntPtr.Zero) NativeMemory.Free((void*)Data);
            Data = IntPtr.Zero;
        }
    }

    private static readonly Lazy<IntPtr> Engine = new(CreateEngine);

    private static IntPtr CreateEngine()
    {
        try
        {
            Check(dnnl_engine_create(out var engine, EngineCpu, 0), "dnnl_engine_create");
            return engine;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"warning: oneDNN (libdnnl.so.2, Debian package libdnnl2) is not usable ({e.Message.Split('\n')[0].Trim()}); " +
                                    "explanation passes of 1-D networks run through autograd, which is slower");
            return IntPtr.Zero;
        }
    }

    /// <summary>Whether libdnnl.so.2 loads (a warning is written once when it does not).</summary>
    public static bool Available => Engine.Value != IntPtr.Zero;

    private readonly Step[] steps;
    private readonly Dictionary<string, int> outputOf;
    private readonly Dictionary<string, Plan> plans = new();
    private readonly Lock gate = new();
    private readonly IntPtr stream;
    private bool disposed;

    [ThreadStatic] private static int ompThreads;

    private NetworkProgram(Step[] steps, Dictionary<string, int> outputOf)
    {
        this.steps = steps;
        this.outputOf = outputOf;
        Check(dnnl_stream_create(out stream, Engine.Value, StreamDefault), "dnnl_stream_create");
    }

    /// <summary>
    /// The program of <paramref name="steps"/> for inputs of <paramref name="inputDims"/> dimensions, or null when
    /// the inputs are not (N, C, L), a step is not supported, or oneDNN is not there (the caller runs the modules).
    /// </summary>
    public static NetworkProgram? TryCompile(IReadOnlyList<ProgramStep> steps, int inputDims)
    {
        if (inputDims != 3 || steps.Count == 0) return null;
        var list = new List<Step>();
        var outputOf = new Dictionary<string, int>();
        foreach (var step in steps)
        {
            switch (step.Op, step.Module)
            {
                case (ProgramStep.Operation.Relu, null) or (_, ReLU):
                    list.Add(new Step { Kind = Kind.Relu });
                    break;
                case (ProgramStep.Operation.Flatten, null):
                    list.Add(new Step { Kind = Kind.Flatten });
                    break;
                case (_, Flatten f) when f.start_dim == 1 && f.end_dim == -1:
                    list.Add(new Step { Kind = Kind.Flatten });
                    break;
                case (_, Dropout or XaiGrid.TorchExtras.SeededDropout):
                    break;  // the identity in eval mode; its output is its predecessor's
                case (_, Conv1d c) when !c.transposed && c.groups == 1 && c.dilation.All(d => d == 1) && c.padding_mode == PaddingModes.Zeros
                                        && c.kernel_size.Length == 1 && c.stride.Length == 1:
                {
                    long left, right;
                    if (c.padding_type is Padding.Same)
                    {
                        long total = c.kernel_size[0] - 1;
                        left = total / 2;
                        right = total - left;
                    }
                    else if (c.padding_type is Padding.Valid) left = right = 0;
                    else if (c.padding is { Length: 1 } p) left = right = p[0];
                    else return null;
                    list.Add(new Step { Kind = Kind.Conv, Conv = c, Weight = new WeightCopy(), Stride = c.stride[0], PadLeft = left, PadRight = right });
                    break;
                }
                case (_, Linear l):
                    list.Add(new Step { Kind = Kind.Linear, Linear = l, Weight = new WeightCopy() });
                    break;
                default:
                    return null;
            }
            if (step.Layer is not null) outputOf[step.Layer] = list.Count - 1;
        }
        if (list.Count == 0 || list[^1].Kind != Kind.Linear) return null;
        for (int i = 0; i < list.Count; i++)
            if (list[i].Kind == Kind.Flatten && (i + 1 == list.Count || list[i + 1].Kind != Kind.Linear)) return null;
        if (!Available) return null;
        return new NetworkProgram(list.ToArray(), outputOf);
    }

    /// <summary>Whether <paramref name="layer"/> is a step whose output the program can return.</summary>
    public bool HasLayer(string layer) => outputOf.TryGetValue(layer, out int i) && i >= 0;

    /// <summary>The logits (N, K) of a float32 batch, or null when a parameter is not contiguous float32 on the CPU.</summary>
    public Tensor? TryForward(Tensor x) => Run(x, null, -1, out var logits, out _, out _) ? logits : null;

    /// <summary>
    /// The logits, and dQ/dx for Q = sum over rows r and classes k of seed[r, k] S_k(x_r), seed float32 (N, K); with
    /// <paramref name="layer"/>, the layer's output z and dQ/dz instead. False when a parameter is not contiguous
    /// float32 on the CPU (the caller runs the modules).
    /// </summary>
    public bool TryBackward(Tensor x, Tensor seed, string? layer, out (Tensor logits, Tensor? activation, Tensor gradient) result)
    {
        int at = -1;
        if (layer is not null && !(outputOf.TryGetValue(layer, out at) && at >= 0))
            throw new ArgumentException($"the program has no step for layer '{layer}'; it has {string.Join(", ", outputOf.Keys)}");
        result = default;
        if (!Run(x, seed, at, out var logits, out var activation, out var gradient)) return false;
        result = (logits!, activation, gradient!);
        return true;
    }

    private static bool Usable(Tensor? t) =>
        t is null || t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU && t.is_contiguous();

    private bool Run(Tensor x, Tensor? seed, int at, out Tensor? logits, out Tensor? activation, out Tensor? gradient)
    {
        logits = activation = gradient = null;
        foreach (var s in steps)
            if (!Usable(s.WeightTensor) || !Usable(s.BiasTensor)) return false;
        if (x.ndim != 3)
            throw new ArgumentException($"a 1-D program takes inputs (N, C, L), got [{string.Join(", ", x.shape)}]");
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            int threads = torch.get_num_threads();
            if (threads != ompThreads)
            {
                Gomp.omp_set_num_threads(threads);
                ompThreads = threads;
            }
            using var scope = NewDisposeScope();
            var input = x.is_contiguous() ? x : x.contiguous();
            var plan = PlanFor(input.shape, threads);
            if (seed is not null && (seed.ndim != 2 || seed.size(0) != x.size(0) || seed.size(1) != plan.Classes))
                throw new ArgumentException($"dQ/dlogits must be ({x.size(0)}, {plan.Classes}), got [{string.Join(", ", seed.shape)}]");
            var seed32 = seed is null ? null : seed.dtype == ScalarType.Float32 && seed.is_contiguous() ? seed : seed.to(ScalarType.Float32).contiguous();

            // Weights: reordered into the primitives' layouts when their values changed.
            for (int i = 0; i < steps.Length; i++)
            {
                var s = steps[i];
                if (s.Weight is null) continue;
                s.Weight.Refresh(s.WeightTensor!);
                var p = plan.Steps[i];
                if (p.PackedVersion != s.Weight.Version)
                {
                    Check(dnnl_memory_set_data_handle(p.WeightsPlain, s.Weight.Data), "set weights");
                    Execute(p.FwdWeightsReorder, p.WeightsPlain, p.FwdWeights);
                    Execute(p.BwdWeightsReorder, p.WeightsPlain, p.BwdWeights);
                    p.PackedVersion = s.Weight.Version;
                }
                if (s.BiasTensor is { } b) Check(dnnl_memory_set_data_handle(p.Bias, TorchNative.THSTensor_data(b.Handle)), "set bias");
            }

            Check(dnnl_memory_set_data_handle(plan.X, TorchNative.THSTensor_data(input.Handle)), "set input");
            Tensor? act = null;
            for (int i = 0; i < steps.Length; i++)
            {
                var p = plan.Steps[i];
                if (steps[i].Kind != Kind.Flatten)
                {
                    if (p.InReorder != IntPtr.Zero) Execute(p.InReorder, p.PrevOut, p.In);
                    switch (steps[i].Kind)
                    {
                        case Kind.Relu:
                            Execute(p.Fwd, (ArgSrc, p.In), (ArgDst, p.Out));
                            break;
                        default:
                            if (p.Bias != IntPtr.Zero && steps[i].BiasTensor is not null)
                                Execute(p.Fwd, (ArgSrc, p.In), (ArgWeights, p.FwdWeights), (ArgBias, p.Bias), (ArgDst, p.Out));
                            else
                                Execute(p.Fwd, (ArgSrc, p.In), (ArgWeights, p.FwdWeights), (ArgDst, p.Out));
                            break;
                    }
                }
                // Read now: a ReLU after this step overwrites its output.
                if (i == at) act = Export(plan, ("act", i), p.Out, p.OutMd, p.MdDims, p.Shape);
            }
            var lastStep = plan.Steps[^1];
            var l = Export(plan, ("logits", 0), lastStep.Out, lastStep.OutMd, lastStep.MdDims, lastStep.Shape);
            Tensor? grad = null;
            if (seed32 is not null)
            {
                Check(dnnl_memory_set_data_handle(plan.Seed, TorchNative.THSTensor_data(seed32.Handle)), "set seed");
                for (int i = steps.Length - 1; i > at; i--)
                {
                    var p = plan.Steps[i];
                    if (steps[i].Kind == Kind.Flatten) continue;
                    if (p.DiffDstReorder != IntPtr.Zero) Execute(p.DiffDstReorder, p.DiffOut, p.DiffDst);
                    if (steps[i].Kind == Kind.Relu)
                        Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgDst, p.Out), (ArgDiffSrc, p.DiffSrc));
                    else
                        Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgWeights, p.BwdWeights), (ArgDiffSrc, p.DiffSrc));
                }
                grad = at >= 0
                    ? Export(plan, ("grad", at), plan.Steps[at].DiffOut, plan.Steps[at].DiffOutMd, plan.Steps[at].MdDims, plan.Steps[at].Shape)
                    : Export(plan, ("grad", -1), plan.InputDiff, plan.InputDiffMd, plan.InDims, plan.InDims);
            }
            Check(dnnl_stream_wait(stream), "dnnl_stream_wait");
            logits = scope.MoveToOuter(l);
            activation = act is null ? null : scope.MoveToOuter(act);
            gradient = grad is null ? null : scope.MoveToOuter(grad);
            GC.KeepAlive(x);
            GC.KeepAlive(seed);
            return true;
        }
    }

    // ---- execution helpers

    private void Execute(IntPtr primitive, params ReadOnlySpan<(int arg, IntPtr memory)> args)
    {
        var exec = stackalloc ExecArg[args.Length];
        for (int i = 0; i < args.Length; i++) exec[i] = new ExecArg { Arg = args[i].arg, Memory = args[i].memory };
        Check(dnnl_primitive_execute(primitive, stream, args.Length, exec), "dnnl_primitive_execute");
    }

    private void Execute(IntPtr reorder, IntPtr from, IntPtr to) => Execute(reorder, (ArgSrc, from), (ArgDst, to));

    /// <summary>A new tensor of <paramref name="shape"/> holding <paramref name="memory"/> in plain layout.</summary>
    private Tensor Export(Plan plan, (string, int) key, IntPtr memory, void* md, long[] mdDims, long[] shape)
    {
        if (!plan.Exports.TryGetValue(key, out var e))
        {
            var plain = plan.Md(mdDims, PlainTag(mdDims));
            e = (plan.UserMemory(plain), plan.Reorder(md, plain));
            plan.Exports[key] = e;
        }
        var t = torch.empty(shape, ScalarType.Float32);
        Check(dnnl_memory_set_data_handle(e.memory, TorchNative.THSTensor_data(t.Handle)), "set output");
        Execute(e.reorder, memory, e.memory);
        return t;
    }

    private static int PlainTag(long[] dims) => dims.Length switch { 1 => TagA, 2 => TagAb, 3 => TagAbc, _ => throw new ArgumentException($"{dims.Length} dimensions") };

    // ---- plans: primitives and buffers for one input shape

    private sealed class StepPlan
    {
        public long[] MdDims = [], Shape = [];  // the output's dimensions as oneDNN sees them, and as PyTorch does (flatten)
        public IntPtr Fwd, Bwd;
        public IntPtr PrevOut, In, InReorder, Out;
        public void* OutMd;
        public IntPtr WeightsPlain, FwdWeights, BwdWeights, FwdWeightsReorder, BwdWeightsReorder, Bias;
        public int PackedVersion = -1;
        public IntPtr DiffOut, DiffDst, DiffDstReorder, DiffSrc;  // DiffOut: dQ/d(this step's output), as it comes
        public void* DiffOutMd, DiffDstMd, DiffSrcMd;
    }

    private sealed class Plan : IDisposable
    {
        private readonly IntPtr engine;
        private readonly List<IntPtr> memories = new(), primitives = new(), descriptors = new();
        private readonly List<IntPtr> blocks = new();
        public long[] InDims = [];
        public long Classes;
        public StepPlan[] Steps = [];
        public IntPtr X, Seed, InputDiff;
        public void* InputDiffMd;
        public readonly Dictionary<(string, int), (IntPtr memory, IntPtr reorder)> Exports = new();

        public Plan(IntPtr engine) => this.engine = engine;

        public void* Block(int bytes)
        {
            var p = NativeMemory.AllocZeroed((nuint)bytes);
            blocks.Add((IntPtr)p);
            return p;
        }

        public void* Md(long[] dims, int tag)
        {
            var md = Block(MemoryDescBytes);
            fixed (long* d = dims) Check(dnnl_memory_desc_init_by_tag(md, dims.Length, d, F32, tag), $"memory descriptor [{string.Join(", ", dims)}]");
            return md;
        }

        public IntPtr Buffer(void* md)
        {
            Check(dnnl_memory_create(out var m, md, engine, Allocate), "dnnl_memory_create");
            memories.Add(m);
            return m;
        }

        public IntPtr UserMemory(void* md)
        {
            Check(dnnl_memory_create(out var m, md, engine, IntPtr.Zero), "dnnl_memory_create");
            memories.Add(m);
            return m;
        }

        public IntPtr Descriptor(void* op, IntPtr hint, string what)
        {
            Check(dnnl_primitive_desc_create(out var pd, op, IntPtr.Zero, engine, hint), what);
            descriptors.Add(pd);
            return pd;
        }

        public IntPtr Primitive(IntPtr pd)
        {
            Check(dnnl_primitive_create(out var p, pd), "dnnl_primitive_create");
            primitives.Add(p);
            return p;
        }

        public IntPtr Reorder(void* from, void* to)
        {
            Check(dnnl_reorder_primitive_desc_create(out var pd, from, engine, to, engine, IntPtr.Zero), "reorder");
            descriptors.Add(pd);
            return Primitive(pd);
        }

        /// <summary><paramref name="memory"/> (layout <paramref name="md"/>) as <paramref name="wanted"/>: itself, or a buffer and the reorder that fills it.</summary>
        public (IntPtr memory, IntPtr reorder) As(IntPtr memory, void* md, void* wanted) =>
            dnnl_memory_desc_equal(md, wanted) != 0 ? (memory, IntPtr.Zero) : (Buffer(wanted), Reorder(md, wanted));

        public void Dispose()
        {
            foreach (var p in primitives) dnnl_primitive_destroy(p);
            foreach (var pd in descriptors) dnnl_primitive_desc_destroy(pd);
            foreach (var m in memories) dnnl_memory_destroy(m);
            foreach (var b in blocks) NativeMemory.Free((void*)b);
            primitives.Clear();
            descriptors.Clear();
            memories.Clear();
            blocks.Clear();
        }
    }

    // oneDNN's kernels split their work for the thread count of the moment their primitive is made, and always run
    // that many OpenMP threads: a plan made at 2 threads kept 2 (spinning on each other) after the process went down
    // to 1, RISE on mnist1d-cnn 12x slower. So a plan is per input shape and thread count.
    private Plan PlanFor(long[] dims, int threads)
    {
        var key = $"{string.Join(",", dims)} on {threads}";
        if (plans.TryGetValue(key, out var found)) return found;
        var plan = new Plan(Engine.Value);
        try
        {
            Build(plan, dims);
        }
        catch
        {
            plan.Dispose();
            throw;
        }
        plans[key] = plan;
        return plan;
    }

    private static string Shape(long[] d) => $"[{string.Join(", ", d)}]";

    private void Build(Plan plan, long[] dims)
    {
        plan.InDims = dims;
        plan.Steps = new StepPlan[steps.Length];
        void* xMd = plan.Md(dims, TagAbc);
        plan.X = plan.UserMemory(xMd);
        IntPtr current = plan.X;
        void* currentMd = xMd;
        long[] inDims = dims;
        var op = plan.Block(OpDescBytes);
        var bwdOp = plan.Block(OpDescBytes);
        for (int i = 0; i < steps.Length; i++)
        {
            var s = steps[i];
            var p = plan.Steps[i] = new StepPlan { PrevOut = current };
            switch (s.Kind)
            {
                case Kind.Conv:
                {
                    var w = s.Conv!.weight;
                    if (inDims.Length != 3 || w.ndim != 3 || w.size(1) != inDims[1])
                        throw new ArgumentException($"step {i}: convolution weight {Shape(w.shape)} does not fit an input {Shape(inDims)}");
                    long k = w.size(2), length = (inDims[2] + s.PadLeft + s.PadRight - k) / s.Stride + 1;
                    if (inDims[2] + s.PadLeft + s.PadRight < k)
                        throw new ArgumentException($"step {i}: input {Shape(inDims)} is shorter than the kernel {k}");
                    p.MdDims = p.Shape = [inDims[0], w.size(0), length];
                    long[] wDims = [w.size(0), w.size(1), k];
                    long stride = s.Stride, left = s.PadLeft, right = s.PadRight;
                    void* src = plan.Md(inDims, TagAny), wt = plan.Md(wDims, TagAny), dst = plan.Md(p.MdDims, TagAny);
                    void* bias = s.Conv.bias is null ? null : plan.Md([wDims[0]], TagA);
                    Check(dnnl_convolution_forward_desc_init(op, ForwardTraining, ConvolutionDirect, src, wt, bias, dst, &stride, &left, &right), $"step {i}: convolution");
                    var fpd = plan.Descriptor(op, IntPtr.Zero, $"step {i}: convolution");
                    Check(dnnl_convolution_backward_data_desc_init(bwdOp, ConvolutionDirect, src, wt, dst, &stride, &left, &right), $"step {i}: convolution backward");
                    var bpd = plan.Descriptor(bwdOp, fpd, $"step {i}: convolution backward");
                    Weighted(plan, p, fpd, bpd, wDims, bias, current, currentMd);
                    break;
                }
                case Kind.Linear:
                {
                    var w = s.Linear!.weight;
                    long features = inDims.Skip(1).Aggregate(1L, (a, b) => a * b);
                    if (w.ndim != 2 || w.size(1) != features)
                        throw new ArgumentException($"step {i}: linear weight {Shape(w.shape)} does not fit {features} input features (input {Shape(inDims)})");
                    p.MdDims = p.Shape = [inDims[0], w.size(0)];
                    long[] wDims = [w.size(0), .. inDims[1..]];
                    void* src = plan.Md(inDims, TagAny), wt = plan.Md(wDims, TagAny), dst = plan.Md(p.MdDims, TagAny);
                    void* bias = s.Linear.bias is null ? null : plan.Md([wDims[0]], TagA);
                    Check(dnnl_inner_product_forward_desc_init(op, ForwardTraining, src, wt, bias, dst), $"step {i}: linear");
                    var fpd = plan.Descriptor(op, IntPtr.Zero, $"step {i}: linear");
                    Check(dnnl_inner_product_backward_data_desc_init(bwdOp, src, wt, dst), $"step {i}: linear backward");
                    var bpd = plan.Descriptor(bwdOp, fpd, $"step {i}: linear backward");
                    Weighted(plan, p, fpd, bpd, wDims, bias, current, currentMd);
                    break;
                }
                case Kind.Relu:
                {
                    p.MdDims = inDims;
                    p.Shape = i > 0 ? plan.Steps[i - 1].Shape : dims;
                    Check(dnnl_eltwise_forward_desc_init(op, ForwardTraining, EltwiseReluUseDstForBwd, currentMd, 0, 0), $"step {i}: relu");
                    var fpd = plan.Descriptor(op, IntPtr.Zero, $"step {i}: relu");
                    Check(dnnl_eltwise_backward_desc_init(bwdOp, EltwiseReluUseDstForBwd, currentMd, currentMd, 0, 0), $"step {i}: relu backward");
                    var bpd = plan.Descriptor(bwdOp, fpd, $"step {i}: relu backward");
                    p.Fwd = plan.Primitive(fpd);
                    p.Bwd = plan.Primitive(bpd);
                    p.In = current;
                    p.OutMd = dnnl_primitive_desc_query_md(fpd, QueryDstMd, 0);
                    // In place on a buffer of this pass (its backward reads its output, not its input); never on x.
                    p.Out = current != plan.X && dnnl_memory_desc_equal(p.OutMd, currentMd) != 0 ? current : plan.Buffer(p.OutMd);
                    p.DiffDstMd = dnnl_primitive_desc_query_md(bpd, QueryDiffDstMd, 0);
                    p.DiffSrcMd = dnnl_primitive_desc_query_md(bpd, QueryDiffSrcMd, 0);
                    p.DiffSrc = plan.Buffer(p.DiffSrcMd);
                    break;
                }
                case Kind.Flatten:
                    p.MdDims = inDims;
                    p.Shape = [inDims[0], inDims.Skip(1).Aggregate(1L, (a, b) => a * b)];
                    p.In = p.Out = current;
                    p.OutMd = currentMd;
                    break;
            }
            current = p.Out;
            currentMd = p.OutMd;
            inDims = p.MdDims;
        }
        if (inDims.Length != 2) throw new ArgumentException("a program must end with a linear step that gives (N, classes)");
        plan.Classes = inDims[1];

        // dQ/d(each step's output), from dQ/dlogits (plain (N, K), the caller's seed) down to the input.
        void* seedMd = plan.Md(inDims, TagAb);
        plan.Seed = plan.UserMemory(seedMd);
        IntPtr diff = plan.Seed;
        void* diffMd = seedMd;
        for (int i = steps.Length - 1; i >= 0; i--)
        {
            var p = plan.Steps[i];
            p.DiffOut = diff;
            p.DiffOutMd = diffMd;
            if (steps[i].Kind == Kind.Flatten) continue;
            (p.DiffDst, p.DiffDstReorder) = plan.As(diff, diffMd, p.DiffDstMd);
            diff = p.DiffSrc;
            diffMd = p.DiffSrcMd;
        }
        plan.InputDiff = diff;
        plan.InputDiffMd = diffMd;
    }

    // A convolution's or linear step's primitives, weight buffers (one per layout the two primitives chose) and input.
    private static void Weighted(Plan plan, StepPlan p, IntPtr fpd, IntPtr bpd, long[] wDims, void* bias, IntPtr current, void* currentMd)
    {
        p.Fwd = plan.Primitive(fpd);
        p.Bwd = plan.Primitive(bpd);
        (p.In, p.InReorder) = plan.As(current, currentMd, dnnl_primitive_desc_query_md(fpd, QuerySrcMd, 0));
        p.OutMd = dnnl_primitive_desc_query_md(fpd, QueryDstMd, 0);
        p.Out = plan.Buffer(p.OutMd);
        void* plain = plan.Md(wDims, PlainTag(wDims));
        p.WeightsPlain = plan.UserMemory(plain);
        void* fw = dnnl_primitive_desc_query_md(fpd, QueryWeightsMd, 0), bw = dnnl_primitive_desc_query_md(bpd, QueryWeightsMd, 0);
        p.FwdWeights = plan.Buffer(fw);
        p.FwdWeightsReorder = plan.Reorder(plain, fw);
        p.BwdWeights = plan.Buffer(bw);
        p.BwdWeightsReorder = plan.Reorder(plain, bw);
        if (bias is not null) p.Bias = plan.UserMemory(bias);
        p.DiffDstMd = dnnl_primitive_desc_query_md(bpd, QueryDiffDstMd, 0);
        p.DiffSrcMd = dnnl_primitive_desc_query_md(bpd, QueryDiffSrcMd, 0);
        p.DiffSrc = plan.Buffer(p.DiffSrcMd);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            foreach (var plan in plans.Values) plan.Dispose();
            plans.Clear();
            foreach (var s in steps) s.Weight?.Dispose();
            dnnl_stream_destroy(stream);
        }
    }
}
