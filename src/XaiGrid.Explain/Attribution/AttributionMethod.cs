using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Attribution;

/// <summary>
/// The shared base of attribution methods (as Captum's attr/_core): a model, a batch of inputs, their targets
/// (given, or the predicted classes) and their stable ids. It validates shapes and splits the work so that no
/// forward pass holds more than <see cref="MaxBatch"/> items, whatever the number of inputs and samples.
/// Maps come back shaped like the inputs (or like the layer, for layer methods), float32.
/// </summary>
public abstract class AttributionMethod
{
    protected AttributionMethod(Classifier model) => Model = model;

    public Classifier Model { get; }

    /// <summary>The most items (inputs, or perturbed samples of inputs) in one forward pass.</summary>
    public int MaxBatch { get; init; } = 128;

    /// <summary>
    /// Maps for every input. <paramref name="targets"/> default to the predicted classes; <paramref name="ids"/>
    /// (which seed the random draws of seeded methods) default to the positions 0..N-1.
    /// </summary>
    public Tensor Attribute(Tensor inputs, long[]? targets = null, long[]? ids = null)
    {
        var (t, i) = Prepare(inputs, targets, ids);
        var maps = new List<Tensor>();
        try
        {
            foreach (var (start, count) in Chunks(inputs.size(0), ChunkSize))
            {
                using var chunk = inputs.narrow(0, start, count);
                maps.Add(Compute(chunk, t[(int)start..(int)(start + count)], i[(int)start..(int)(start + count)]));
            }
            return maps.Count == 1 ? maps[0] : torch.cat(maps);
        }
        finally
        {
            if (maps.Count > 1) foreach (var m in maps) m.Dispose();
        }
    }

    /// <summary>How many inputs <see cref="Compute"/> takes at once; sample-based methods take fewer.</summary>
    protected virtual long ChunkSize => MaxBatch;

    /// <summary>The maps of one chunk of inputs, float32, owned by the caller.</summary>
    protected abstract Tensor Compute(Tensor inputs, long[] targets, long[] ids);

    /// <summary>Checks shapes and fills in default targets and ids.</summary>
    protected (long[] targets, long[] ids) Prepare(Tensor inputs, long[]? targets, long[]? ids)
    {
        Model.CheckInput(inputs);
        long n = inputs.size(0);
        if (targets is not null && targets.Length != n) throw new ArgumentException($"{targets.Length} targets for {n} inputs");
        if (ids is not null && ids.Length != n) throw new ArgumentException($"{ids.Length} ids for {n} inputs");
        if (targets?.FirstOrDefault(c => c < 0 || c >= Model.NumClasses, -1) is { } bad and >= 0)
            throw new ArgumentException($"target class {bad} is outside [0, {Model.NumClasses}) of {Model.Arch}");
        Model.eval();
        return (targets ?? Predict(inputs), ids ?? Enumerable.Range(0, (int)n).Select(k => (long)k).ToArray());
    }

    /// <summary>The predicted class of every input.</summary>
    public long[] Predict(Tensor inputs) => Predict(Model, inputs, MaxBatch);

    /// <summary>The predicted class of every input, in forward passes of at most <paramref name="maxBatch"/> items.</summary>
    public static long[] Predict(Classifier model, Tensor inputs, int maxBatch)
    {
        var result = new long[inputs.size(0)];
        foreach (var (start, count) in Chunks(inputs.size(0), maxBatch))
        {
            using var scope = torch.NewDisposeScope();
            model.Logits(inputs.narrow(0, start, count)).argmax(1).data<long>().CopyTo(result, (int)start);
        }
        return result;
    }

    /// <summary>dS_c/dz for every row of <paramref name="z"/> with its own target class c, in chunks of <see cref="MaxBatch"/>.</summary>
    protected Tensor TargetGradients(Tensor z, long[] targets)
    {
        var parts = new List<Tensor>();
        foreach (var (start, count) in Chunks(z.size(0), MaxBatch))
        {
            using var scope = torch.NewDisposeScope();
            var (_, _, gradient) = Model.Backward(z.narrow(0, start, count), OneHot(targets[(int)start..(int)(start + count)], Model.NumClasses));
            parts.Add(scope.MoveToOuter(gradient));
        }
        return Concat(parts);
    }

    /// <summary>dQ/dlogits of Q = the sum of each row's target logit: (N, K), one 1 per row.</summary>
    public static Tensor OneHot(long[] targets, int classes)
    {
        var values = new float[targets.Length * classes];
        for (int r = 0; r < targets.Length; r++) values[r * classes + targets[r]] = 1;
        return torch.tensor(values, [targets.Length, classes]);
    }

    /// <summary>S_c(z) (logits) or p_c(z) (softmax) of every row with its own target class, without gradients.</summary>
    protected Tensor TargetScores(Tensor z, long[] targets, bool softmax)
    {
        var parts = new List<Tensor>();
        foreach (var (start, count) in Chunks(z.size(0), MaxBatch))
        {
            using var scope = torch.NewDisposeScope();
            var logits = Model.Logits(z.narrow(0, start, count));
            var scores = softmax ? torch.nn.functional.softmax(logits, 1) : logits;
            using var index = torch.tensor(targets[(int)start..(int)(start + count)]).unsqueeze(1);
            parts.Add(scope.MoveToOuter(scores.gather(1, index).squeeze(1)));
        }
        return Concat(parts);
    }

    private static Tensor Concat(List<Tensor> parts)
    {
        if (parts.Count == 1) return parts[0];
        try
        {
            return torch.cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>(start, count) pieces of [0, n) of at most <paramref name="size"/> each.</summary>
    public static IEnumerable<(long start, long count)> Chunks(long n, long size)
    {
        for (long start = 0; start < n; start += size) yield return (start, Math.Min(size, n - start));
    }
}
