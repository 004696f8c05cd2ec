using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static XaiGrid.Models.Programs.Dnnl;

namespace XaiGrid.Models.Programs;

/// <summary>
/// A straight-line 1-D or 2-D network run by oneDNN directly, through its C API in Debian's libdnnl.so.2: the forward
/// pass, and the backward-data pass of a given dQ/dlogits down to the input or to any layer's output, without
/// autograd. Steps: Conv1d/Conv2d (zero padding, groups 1, dilation 1), ReLU, MaxPool1d/MaxPool2d (no dilation, no
/// ceil mode), a global mean over the positions (functional, or AdaptiveAvgPool(1)), Flatten right before a Linear,
/// Linear, and Dropout as the identity (programs run in eval mode).
/// <para>
/// libtorch's convolutions rebuild their oneDNN primitives and reorder weights and activations on every call; on
/// MNIST-1D sizes (25 channels, length 40) that glue costs several times the arithmetic, and on vgg7's 150 x 150 tiles
/// the channels-last modules still reorder and allocate per layer. Here the primitives are built once per input shape
/// (and thread count), activations stay in the (blocked) layouts oneDNN chose (<c>format_tag any</c>), ReLUs run in
/// place and are differentiated from their output, max pooling routes gradients through its workspace, and weights are
/// reordered once per change of the parameters: each run compares the parameter tensors with a private copy (a memcmp
/// of a few tens of KB), which sees any change (optimizer step, load_state_dict, in-place edit, a new tensor), where
/// TorchSharp exposes no version counter. Biases are read in place. Tensors are handed to oneDNN by their data pointers
/// (contiguous float32 CPU), results are written into new tensors.
/// </para>
/// <para>
/// Activations and gradients live in one scratch block per pass: each plan places its buffers in it by their lifetimes
/// (a forward pass keeps what the backward pass reads, ReLU outputs and max pooling workspaces; the rest share space),
/// once for forward passes and once for backward passes (vgg7, 128 tiles of 150 x 150: 0.74 GB and 1.5 GB; libtorch's
/// autograd holds more for the same pass). Blocks are reused by the next pass of any program, not freed: on this
/// virtual machine faulting fresh pages in made vgg7's backward passes 20-50 % slower (libtorch's allocator returns such
/// blocks to the system after every operation). A process keeps one block per pass that ran at the same time, each at
/// most <see cref="KeptScratchBytes"/>; larger ones are freed after their pass. Buffers that share space leave their
/// values in each other's padding (blocked layouts round channels up, 25 to 32), which oneDNN zeroes only when a buffer
/// is set; that is safe because every primitive here writes its output's padding whole before anything reads it (the
/// program's tests all passed with the block filled with NaN before every pass).
/// </para>
/// </summary>
public sealed unsafe class NetworkProgram : IDisposable
{
    private enum Kind { Conv, Relu, MaxPool, GlobalMean, Flatten, Linear }

    private sealed class Step
    {
        public Kind Kind;
        public Convolution? Conv;
        public Linear? Linear;
        public WeightCopy? Weight;
        // Per spatial dimension (height first): a convolution's stride and zero padding; a max pool's window, stride
        // and padding (its right padding is worked out per input size, PyTorch's floor mode).
        public long[] Kernel = [], Stride = [], PadLeft = [], PadRight = [];
        public bool KeepDims;  // a global mean that keeps unit positions (AdaptiveAvgPool(1)), not (N, C)

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
                                    "explanation passes run through autograd, which is slower");
            return IntPtr.Zero;
        }
    }

    /// <summary>Whether libdnnl.so.2 loads (a warning is written once when it does not).</summary>
    public static bool Available => Engine.Value != IntPtr.Zero;

    /// <summary>
    /// The largest scratch block kept for the next pass (larger ones are freed after their pass). 2 GB: vgg7's backward
    /// passes of 128 tiles of 150 x 150 need 1.5 GB.
    /// </summary>
    public static long KeptScratchBytes { get; set; } = 2L << 30;

    /// <summary>Scratch blocks no pass is using: (address, bytes).</summary>
    private static readonly ConcurrentBag<(IntPtr block, long bytes)> FreeBlocks = new();

    private readonly Step[] steps;
    private readonly int inputDims;
    private readonly Dictionary<string, int> outputOf;
    private readonly Dictionary<string, Plan> plans = new();
    private readonly Lock gate = new();
    private readonly IntPtr stream;
    private bool disposed;

    [ThreadStatic] private static int ompThreads;

    private NetworkProgram(Step[] steps, int inputDims, Dictionary<string, int> outputOf)
    {
        this.steps = steps;
        this.inputDims = inputDims;
        this.outputOf = outputOf;
        Check(dnnl_stream_create(out stream, Engine.Value, StreamDefault), "dnnl_stream_create");
    }

    /// <summary>
    /// The program of <paramref name="steps"/> for inputs of <paramref name="inputDims"/> dimensions (3: N, C, L; 4:
    /// N, C, H, W), or null when a step is not supported or oneDNN is not there (the caller runs the modules).
    /// </summary>
    public static NetworkProgram? TryCompile(IReadOnlyList<ProgramStep> steps, int inputDims)
    {
        if (inputDims is not (3 or 4) || steps.Count == 0) return null;
        int spatial = inputDims - 2;
        var list = new List<Step>();
        var outputOf = new Dictionary<string, int>();
        foreach (var step in steps)
        {
            Step? s = (step.Op, step.Module) switch
            {
                (ProgramStep.Operation.Relu, null) or (_, ReLU) => new Step { Kind = Kind.Relu },
                (ProgramStep.Operation.Flatten, null) => new Step { Kind = Kind.Flatten },
                (_, Flatten f) when f.start_dim == 1 && f.end_dim == -1 => new Step { Kind = Kind.Flatten },
                (ProgramStep.Operation.GlobalMean, _) => new Step { Kind = Kind.GlobalMean },
                (_, AdaptiveAvgPool1d a) when spatial == 1 && a.output_size == 1 => new Step { Kind = Kind.GlobalMean, KeepDims = true },
                (_, AdaptiveAvgPool2d a) when spatial == 2 && a.output_size is [1, 1] => new Step { Kind = Kind.GlobalMean, KeepDims = true },
                (_, Dropout or XaiGrid.TorchExtras.SeededDropout) => null,  // the identity in eval mode
                (_, Conv1d c) when spatial == 1 => ConvStep(c, 1),
                (_, Conv2d c) when spatial == 2 => ConvStep(c, 2),
                (_, MaxPool1d p) when spatial == 1 =>
                    PoolStep([p.kernel_size], p.stride is { } st ? [st] : null, p.padding is { } pd ? [pd] : null, p.dilation is { } d ? [d] : null, p.ceil_mode, 1),
                (_, MaxPool2d p) when spatial == 2 => PoolStep(p.kernel_size, p.stride, p.padding, p.dilation, p.ceil_mode, 2),
                (_, Linear l) => new Step { Kind = Kind.Linear, Linear = l, Weight = new WeightCopy() },
                _ => Unsupported,
            };
            if (ReferenceEquals(s, Unsupported)) return null;
            if (s is not null) list.Add(s);
            // A layer's output is the last step's at that point (a dropout's is its predecessor's).
            if (step.Layer is not null) outputOf[step.Layer] = list.Count - 1;
        }
        if (list.Count == 0 || list[^1].Kind != Kind.Linear) return null;
        for (int i = 0; i < list.Count; i++)
            if (list[i].Kind == Kind.Flatten && (i + 1 == list.Count || list[i + 1].Kind != Kind.Linear)) return null;
        if (!Available) return null;
        return new NetworkProgram(list.ToArray(), inputDims, outputOf);
    }

    private static readonly Step Unsupported = new();

    private static Step ConvStep(Convolution c, int spatial)
    {
        if (c.transposed || c.groups != 1 || c.dilation.Any(d => d != 1) || c.padding_mode != PaddingModes.Zeros
            || c.kernel_size.Length != spatial || c.stride.Length != spatial)
            return Unsupported;
        long[] left = new long[spatial], right = new long[spatial];
        for (int d = 0; d < spatial; d++)
        {
            if (c.padding_type is Padding.Same)
            {
                long total = c.kernel_size[d] - 1;
                left[d] = total / 2;
                right[d] = total - left[d];
            }
            else if (c.padding_type is Padding.Valid) left[d] = right[d] = 0;
            else if (c.padding is { } p && p.Length == spatial) left[d] = right[d] = p[d];
            else return Unsupported;
        }
        return new Step { Kind = Kind.Conv, Conv = c, Weight = new WeightCopy(), Stride = c.stride, PadLeft = left, PadRight = right };
    }

    private static Step PoolStep(long[] kernel, long[]? stride, long[]? padding, long[]? dilation, bool ceilMode, int spatial)
    {
        stride ??= kernel;
        padding ??= new long[spatial];
        if (ceilMode || kernel.Length != spatial || stride.Length != spatial || padding.Length != spatial || dilation?.Any(d => d != 1) == true)
            return Unsupported;
        return new Step { Kind = Kind.MaxPool, Kernel = kernel, Stride = stride, PadLeft = padding, PadRight = padding };
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
        if (x.ndim != inputDims)
            throw new ArgumentException(inputDims == 3
                ? $"a 1-D program takes inputs (N, C, L), got [{string.Join(", ", x.shape)}]"
                : $"a 2-D program takes inputs (N, C, H, W), got [{string.Join(", ", x.shape)}]");
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

            bool backward = seed32 is not null;
            var scratch = TakeScratch(backward ? plan.BackwardBytes : plan.ForwardBytes);
            try
            {
                // Pointed into the block again only when it moved or the kind of pass changed (oneDNN zeroes the
                // padding of blocked layouts whenever a buffer is set).
                if (plan.Bound != (scratch.block, backward))
                {
                    plan.Bound = default;
                    foreach (var slot in plan.Slots)
                    {
                        long offset = backward ? slot.BackwardOffset : slot.ForwardOffset;
                        if (offset >= 0) Check(dnnl_memory_set_data_handle(slot.Memory, scratch.block + (nint)offset), "set scratch");
                    }
                    plan.Bound = (scratch.block, backward);
                }

                Check(dnnl_memory_set_data_handle(plan.X, TorchNative.THSTensor_data(input.Handle)), "set input");
                Tensor? act = null;
                for (int i = 0; i < steps.Length; i++)
                {
                    var p = plan.Steps[i];
                    if (p.InReorder != IntPtr.Zero) Execute(p.InReorder, p.PrevOut, p.In);
                    switch (steps[i].Kind)
                    {
                        case Kind.Flatten:
                            break;
                        case Kind.Relu:
                        case Kind.GlobalMean:
                            Execute(p.Fwd, (ArgSrc, p.In), (ArgDst, p.Out));
                            break;
                        case Kind.MaxPool:
                            Execute(p.Fwd, (ArgSrc, p.In), (ArgDst, p.Out), (ArgWorkspace, p.Workspace));
                            break;
                        default:
                            if (p.Bias != IntPtr.Zero && steps[i].BiasTensor is not null)
                                Execute(p.Fwd, (ArgSrc, p.In), (ArgWeights, p.FwdWeights), (ArgBias, p.Bias), (ArgDst, p.Out));
                            else
                                Execute(p.Fwd, (ArgSrc, p.In), (ArgWeights, p.FwdWeights), (ArgDst, p.Out));
                            break;
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
                        if (p.DiffDstReorder != IntPtr.Zero) Execute(p.DiffDstReorder, p.DiffOut, p.DiffDst);
                        switch (steps[i].Kind)
                        {
                            case Kind.Flatten:
                                break;
                            case Kind.Relu:
                                Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgDst, p.Out), (ArgDiffSrc, p.DiffSrc));
                                break;
                            case Kind.GlobalMean:
                                Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgDiffSrc, p.DiffSrc));
                                break;
                            case Kind.MaxPool:
                                Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgWorkspace, p.Workspace), (ArgDiffSrc, p.DiffSrc));
                                break;
                            default:
                                Execute(p.Bwd, (ArgDiffDst, p.DiffDst), (ArgWeights, p.BwdWeights), (ArgDiffSrc, p.DiffSrc));
                                break;
                        }
                    }
                    grad = at >= 0
                        ? Export(plan, ("grad", at), plan.Steps[at].DiffOut, plan.Steps[at].DiffOutMd, plan.Steps[at].MdDims, plan.Steps[at].Shape)
                        : Export(plan, ("grad", -1), plan.InputDiff, plan.InputDiffMd, plan.InDims, plan.InDims);
                }
                Check(dnnl_stream_wait(stream), "dnnl_stream_wait");
                logits = scope.MoveToOuter(l);
                activation = act is null ? null : scope.MoveToOuter(act);
                gradient = grad is null ? null : scope.MoveToOuter(grad);
            }
            finally
            {
                ReturnScratch(scratch);
            }
            GC.KeepAlive(x);
            GC.KeepAlive(seed);
            return true;
        }
    }

    /// <summary>A free scratch block of at least <paramref name="bytes"/>: a kept one, or a new one.</summary>
    private static (IntPtr block, long bytes) TakeScratch(long bytes)
    {
        if (FreeBlocks.TryTake(out var kept))
        {
            if (kept.bytes >= bytes) return kept;
            NativeMemory.AlignedFree((void*)kept.block);
        }
        bytes = Math.Max(bytes, Page);
        return ((IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)Page), bytes);
    }

    private static void ReturnScratch((IntPtr block, long bytes) scratch)
    {
        if (scratch.bytes <= KeptScratchBytes) FreeBlocks.Add(scratch);
        else NativeMemory.AlignedFree((void*)scratch.block);
    }

    private const long Page = 4096;

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

    private static int PlainTag(long[] dims) => dims.Length switch
    {
        1 => TagA, 2 => TagAb, 3 => TagAbc, 4 => TagAbcd, _ => throw new ArgumentException($"{dims.Length} dimensions"),
    };

    // ---- plans: primitives and buffers for one input shape

    private sealed class StepPlan
    {
        public long[] MdDims = [], Shape = [];  // the output's dimensions as oneDNN sees them, and as PyTorch does (flatten, mean)
        public IntPtr Fwd, Bwd;
        public IntPtr PrevOut, In, InReorder, Out, Workspace;
        public void* OutMd;
        public IntPtr WeightsPlain, FwdWeights, BwdWeights, FwdWeightsReorder, BwdWeightsReorder, Bias;
        public int PackedVersion = -1;
        public IntPtr DiffOut, DiffDst, DiffDstReorder, DiffSrc;  // DiffOut: dQ/d(this step's output), as it comes
        public void* DiffOutMd, DiffDstMd, DiffSrcMd;
    }

    /// <summary>
    /// A buffer in the scratch block: its size, the steps of a pass that use it (forward step i at time i, backward step i
    /// at time 2n - 1 - i), and where each kind of pass puts it (-1: a forward pass does not use it).
    /// </summary>
    private sealed class Slot
    {
        public IntPtr Memory;
        public long Bytes;
        public int First = int.MaxValue, Last = -1, ForwardFirst = int.MaxValue, ForwardLast = -1;
        public long ForwardOffset = -1, BackwardOffset = -1;
    }

    private sealed class Plan : IDisposable
    {
        private readonly IntPtr engine;
        private readonly List<IntPtr> memories = new(), primitives = new(), descriptors = new();
        private readonly List<IntPtr> blocks = new();
        private readonly Dictionary<IntPtr, Slot> slotOf = new();
        public long[] InDims = [];
        public long Classes;
        public StepPlan[] Steps = [];
        public IntPtr X, Seed, InputDiff;
        public void* InputDiffMd;
        public readonly List<Slot> Slots = new();
        public long ForwardBytes, BackwardBytes;
        public (IntPtr block, bool backward) Bound;  // where the slots point now
        public int ForwardSteps;
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

        /// <summary>A buffer of this plan's own, allocated by oneDNN (packed weights).</summary>
        public IntPtr Buffer(void* md)
        {
            Check(dnnl_memory_create(out var m, md, engine, Allocate), "dnnl_memory_create");
            memories.Add(m);
            return m;
        }

        /// <summary>A buffer in the scratch block (placed when the plan is built, pointed there before each pass).</summary>
        public IntPtr Scratch(void* md)
        {
            var m = UserMemory(md);
            var slot = new Slot { Memory = m, Bytes = (long)dnnl_memory_desc_get_size(md) };
            Slots.Add(slot);
            slotOf[m] = slot;
            return m;
        }

        /// <summary>Notes that the pass's operation at <paramref name="time"/> reads or writes <paramref name="memory"/>.</summary>
        public void Use(int time, params ReadOnlySpan<IntPtr> memory)
        {
            foreach (var m in memory)
            {
                if (m == IntPtr.Zero || !slotOf.TryGetValue(m, out var s)) continue;
                s.First = Math.Min(s.First, time);
                s.Last = Math.Max(s.Last, time);
                if (time >= ForwardSteps) continue;
                s.ForwardFirst = Math.Min(s.ForwardFirst, time);
                s.ForwardLast = Math.Max(s.ForwardLast, time);
            }
        }

        /// <summary>Places every slot for both kinds of pass; buffers alive at the same time never overlap.</summary>
        public void Layout()
        {
            ForwardBytes = Place(Slots.Where(s => s.ForwardLast >= 0).Select(s => (s, s.ForwardFirst, s.ForwardLast)), (s, o) => s.ForwardOffset = o);
            BackwardBytes = Place(Slots.Where(s => s.Last >= 0).Select(s => (s, s.First, s.Last)), (s, o) => s.BackwardOffset = o);
        }

        // Largest first, each at the lowest page-aligned offset clear of the buffers placed so far whose lifetimes overlap its own.
        private static long Place(IEnumerable<(Slot slot, int first, int last)> items, Action<Slot, long> set)
        {
            var placed = new List<(long start, long end, int first, int last)>();
            long total = 0;
            foreach (var (slot, first, last) in items.OrderByDescending(i => i.slot.Bytes))
            {
                long size = (slot.Bytes + Page - 1) / Page * Page, offset = 0;
                foreach (var other in placed.Where(p => p.first <= last && first <= p.last).OrderBy(p => p.start))
                {
                    if (offset + size <= other.start) break;
                    offset = Math.Max(offset, other.end);
                }
                placed.Add((offset, offset + size, first, last));
                set(slot, offset);
                total = Math.Max(total, offset + size);
            }
            return total;
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

        /// <summary><paramref name="memory"/> (layout <paramref name="md"/>) as <paramref name="wanted"/>: itself, or a scratch buffer and the reorder that fills it.</summary>
        public (IntPtr memory, IntPtr reorder) As(IntPtr memory, void* md, void* wanted) =>
            dnnl_memory_desc_equal(md, wanted) != 0 ? (memory, IntPtr.Zero) : (Scratch(wanted), Reorder(md, wanted));

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
    // to 1, RISE on mnist1d-cnn 12x slower. So a plan, 1-D or 2-D, is per input shape and thread count.
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
        int n = steps.Length, spatial = dims.Length - 2;
        plan.InDims = dims;
        plan.ForwardSteps = n;
        plan.Steps = new StepPlan[n];
        void* xMd = plan.Md(dims, PlainTag(dims));
        plan.X = plan.UserMemory(xMd);
        IntPtr current = plan.X;
        void* currentMd = xMd;
        long[] inDims = dims;
        var op = plan.Block(OpDescBytes);
        var bwdOp = plan.Block(OpDescBytes);
        for (int i = 0; i < n; i++)
        {
            var s = steps[i];
            var p = plan.Steps[i] = new StepPlan { PrevOut = current };
            switch (s.Kind)
            {
                case Kind.Conv:
                {
                    var w = s.Conv!.weight;
                    if (inDims.Length != dims.Length || w.ndim != dims.Length || w.size(1) != inDims[1])
                        throw new ArgumentException($"step {i}: convolution weight {Shape(w.shape)} does not fit an input {Shape(inDims)}");
                    var outDims = new long[inDims.Length];
                    outDims[0] = inDims[0];
                    outDims[1] = w.size(0);
                    for (int d = 0; d < spatial; d++)
                    {
                        long k = w.size(2 + d), padded = inDims[2 + d] + s.PadLeft[d] + s.PadRight[d];
                        if (padded < k)
                            throw new ArgumentException($"step {i}: input {Shape(inDims)} is smaller than the kernel {Shape(w.shape[2..])}");
                        outDims[2 + d] = (padded - k) / s.Stride[d] + 1;
                    }
                    p.MdDims = p.Shape = outDims;
                    long[] wDims = w.shape;
                    void* src = plan.Md(inDims, TagAny), wt = plan.Md(wDims, TagAny), dst = plan.Md(p.MdDims, TagAny);
                    void* bias = s.Conv.bias is null ? null : plan.Md([wDims[0]], TagA);
                    fixed (long* stride = s.Stride, left = s.PadLeft, right = s.PadRight)
                    {
                        Check(dnnl_convolution_forward_desc_init(op, ForwardTraining, ConvolutionDirect, src, wt, bias, dst, stride, left, right), $"step {i}: convolution");
                        var fpd = plan.Descriptor(op, IntPtr.Zero, $"step {i}: convolution");
                        // The gradient in the layout the forward pass reads: on a plain input of 3 channels (vgg7's first
                        // convolution) oneDNN 2.6's backward kernel for format any pads them to 16 and took 4x as long.
                        void* diffSrc = dnnl_primitive_desc_query_md(fpd, QuerySrcMd, 0);
                        Check(dnnl_convolution_backward_data_desc_init(bwdOp, ConvolutionDirect, diffSrc, wt, dst, stride, left, right), $"step {i}: convolution backward");
                        var bpd = plan.Descriptor(bwdOp, fpd, $"step {i}: convolution backward");
                        Weighted(plan, p, fpd, bpd, wDims, bias, current, currentMd);
                    }
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
                    p.Out = current != plan.X && dnnl_memory_desc_equal(p.OutMd, currentMd) != 0 ? current : plan.Scratch(p.OutMd);
                    Backward(plan, p, bpd);
                    break;
                }
                case Kind.MaxPool:
                case Kind.GlobalMean:
                {
                    if (inDims.Length != dims.Length)
                        throw new ArgumentException($"step {i}: pooling needs an input {(spatial == 1 ? "(N, C, L)" : "(N, C, H, W)")}, got {Shape(inDims)}");
                    bool max = s.Kind == Kind.MaxPool;
                    long[] kernel = max ? s.Kernel : inDims[2..], stride = max ? s.Stride : Ones(spatial), left = max ? s.PadLeft : new long[spatial];
                    long[] right = new long[spatial], outDims = [inDims[0], inDims[1], .. new long[spatial]];
                    for (int d = 0; d < spatial; d++)
                    {
                        // PyTorch's floor mode: positions past the last whole window are dropped (oneDNN checks the
                        // size with an integer division, so a right padding cut to what the last window reaches says it).
                        long size = inDims[2 + d] + 2 * left[d] - kernel[d];
                        if (size < 0)
                            throw new ArgumentException($"step {i}: input {Shape(inDims)} is smaller than the pooling window {Shape(kernel)}");
                        outDims[2 + d] = size / stride[d] + 1;
                        right[d] = Math.Max(0, (outDims[2 + d] - 1) * stride[d] + kernel[d] - inDims[2 + d] - left[d]);
                    }
                    p.MdDims = outDims;
                    p.Shape = max || s.KeepDims ? outDims : [inDims[0], inDims[1]];
                    int alg = max ? PoolingMax : PoolingAvgExcludePadding;
                    // The gradient in the layout of the input: with format any, oneDNN 2.6 picked acdB16b for a global
                    // mean of vgg7 and its reference implementation (0.6 s for 32 tiles, more than a convolution).
                    void* dst = plan.Md(outDims, TagAny), diffSrc = currentMd;
                    fixed (long* st = stride, k = kernel, pl = left, pr = right)
                    {
                        Check(dnnl_pooling_forward_desc_init(op, ForwardTraining, alg, currentMd, dst, st, k, pl, pr), $"step {i}: pooling");
                        var fpd = plan.Descriptor(op, IntPtr.Zero, $"step {i}: pooling");
                        Check(dnnl_pooling_backward_desc_init(bwdOp, alg, diffSrc, dst, st, k, pl, pr), $"step {i}: pooling backward");
                        var bpd = plan.Descriptor(bwdOp, fpd, $"step {i}: pooling backward");
                        p.Fwd = plan.Primitive(fpd);
                        p.Bwd = plan.Primitive(bpd);
                        p.In = current;
                        p.OutMd = dnnl_primitive_desc_query_md(fpd, QueryDstMd, 0);
                        p.Out = plan.Scratch(p.OutMd);
                        if (max) p.Workspace = plan.Scratch(dnnl_primitive_desc_query_md(fpd, QueryWorkspaceMd, 0));
                        Backward(plan, p, bpd);
                    }
                    break;
                }
                case Kind.Flatten:
                    p.MdDims = inDims;
                    p.Shape = [inDims[0], inDims.Skip(1).Aggregate(1L, (a, b) => a * b)];
                    p.In = p.Out = current;
                    p.OutMd = currentMd;
                    break;
            }
            plan.Use(i, p.PrevOut, p.In, p.Out, p.Workspace);
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
        for (int i = n - 1; i >= 0; i--)
        {
            var p = plan.Steps[i];
            p.DiffOut = diff;
            p.DiffOutMd = diffMd;
            if (steps[i].Kind == Kind.Flatten) continue;
            (p.DiffDst, p.DiffDstReorder) = plan.As(diff, diffMd, p.DiffDstMd);
            // What the backward step reads: its output (ReLU) or workspace (max pooling), besides the gradients.
            plan.Use(2 * n - 1 - i, p.DiffOut, p.DiffDst, p.DiffSrc, steps[i].Kind == Kind.Relu ? p.Out : IntPtr.Zero, p.Workspace);
            diff = p.DiffSrc;
            diffMd = p.DiffSrcMd;
        }
        plan.InputDiff = diff;
        plan.InputDiffMd = diffMd;
        plan.Layout();
    }

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    // A step's backward-data layouts and the buffer its result goes to.
    private static void Backward(Plan plan, StepPlan p, IntPtr bpd)
    {
        p.DiffDstMd = dnnl_primitive_desc_query_md(bpd, QueryDiffDstMd, 0);
        p.DiffSrcMd = dnnl_primitive_desc_query_md(bpd, QueryDiffSrcMd, 0);
        p.DiffSrc = plan.Scratch(p.DiffSrcMd);
    }

    // A convolution's or linear step's primitives, weight buffers (one per layout the two primitives chose) and input.
    private static void Weighted(Plan plan, StepPlan p, IntPtr fpd, IntPtr bpd, long[] wDims, void* bias, IntPtr current, void* currentMd)
    {
        p.Fwd = plan.Primitive(fpd);
        p.Bwd = plan.Primitive(bpd);
        (p.In, p.InReorder) = plan.As(current, currentMd, dnnl_primitive_desc_query_md(fpd, QuerySrcMd, 0));
        p.OutMd = dnnl_primitive_desc_query_md(fpd, QueryDstMd, 0);
        p.Out = plan.Scratch(p.OutMd);
        void* plain = plan.Md(wDims, PlainTag(wDims));
        p.WeightsPlain = plan.UserMemory(plain);
        void* fw = dnnl_primitive_desc_query_md(fpd, QueryWeightsMd, 0), bw = dnnl_primitive_desc_query_md(bpd, QueryWeightsMd, 0);
        p.FwdWeights = plan.Buffer(fw);
        p.FwdWeightsReorder = plan.Reorder(plain, fw);
        p.BwdWeights = plan.Buffer(bw);
        p.BwdWeightsReorder = plan.Reorder(plain, bw);
        if (bias is not null) p.Bias = plan.UserMemory(bias);
        Backward(plan, p, bpd);
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
