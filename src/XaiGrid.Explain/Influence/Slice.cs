using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>
/// A slice of a classifier at a named layer (Leino et al. 2018): f = g(h(x)), with z = h(x) the layer's output (for
/// <c>conv2</c>, before the ReLU that follows it). A forward hook captures z; every pass runs in chunks of at most
/// <see cref="MaxBatch"/> rows. The model should be in eval mode (the callers set it).
/// </summary>
public sealed class Slice
{
    private readonly nn.Module<Tensor, Tensor> module;

    public Slice(Classifier model, string layer, int maxBatch = 128)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "a batch holds at least 1 item");
        Model = model;
        Layer = layer;
        MaxBatch = maxBatch;
        module = model.Layer(layer);
    }

    public Classifier Model { get; }

    /// <summary>Returns <paramref name="layer"/> if the model has it; otherwise the error names the layers there are.</summary>
    public static string CheckLayer(Classifier model, string layer)
    {
        model.Layer(layer);
        return layer;
    }

    public string Layer { get; }

    public int MaxBatch { get; }

    /// <summary>z = h(x) of every input, without gradients: (N, layer shape).</summary>
    public Tensor Activations(Tensor inputs)
    {
        using var noGrad = torch.no_grad();
        return Chunked(inputs, (chunk, _, scope) =>
        {
            var (logits, z) = Run(chunk);
            scope.Attach(logits);
            return z;
        });
    }

    /// <summary>
    /// dq/dz at z = h(x) for every row, where row r's quantity is q_r = sum_k <paramref name="quantityWeights"/>[r, k] S_k
    /// (weights (N, K)): (N, layer shape). The rows are independent, so the batch size does not change the result.
    /// </summary>
    public Tensor Gradients(Tensor inputs, Tensor quantityWeights)
    {
        if (quantityWeights.ndim != 2 || quantityWeights.size(0) != inputs.size(0) || quantityWeights.size(1) != Model.NumClasses)
            throw new ArgumentException(
                $"quantity weights must be ({inputs.size(0)}, {Model.NumClasses}), got [{string.Join(", ", quantityWeights.shape)}]");
        return Chunked(inputs, (chunk, start, scope) =>
        {
            var (logits, z, gradient) = Model.Backward(chunk, quantityWeights.narrow(0, start, chunk.size(0)), Layer);
            scope.Attach(logits, z!);
            return gradient;
        });
    }

    /// <summary>
    /// d objective(z) / dx for every input, where <paramref name="objective"/> maps the layer output (n, layer shape) to
    /// one value per row (n): (N, input shape).
    /// </summary>
    public Tensor InputGradients(Tensor inputs, Func<Tensor, Tensor> objective)
    {
        using var grad = torch.enable_grad();
        return Chunked(inputs, (chunk, _, scope) =>
        {
            var x = chunk.detach().requires_grad_();
            var (logits, z) = Run(x);
            scope.Attach(logits, z);
            return torch.autograd.grad([objective(z).sum()], [x])[0]!;
        });
    }

    /// <summary>One forward of the whole model with z captured.</summary>
    private (Tensor logits, Tensor z) Run(Tensor inputs)
    {
        Tensor? captured = null;
        int calls = 0;
        var handle = module.register_forward_hook((_, _, output) =>
        {
            // Returning null keeps the output (TorchSharp's hook delegate is declared non-nullable).
            if (calls++ > 0) return null!;
            // The hook's output belongs to the call (see register_forward_hook): keep a handle of our own.
            captured = output.alias().DetachFromDisposeScope();
            return null!;
        });
        Tensor? logits = null;
        try
        {
            logits = Model.call(inputs);
            if (calls != 1)
                throw new InvalidOperationException($"layer '{Layer}' of {Model.Arch} ran {calls} times in one forward; a slice needs a layer that runs exactly once");
            return (logits, captured!);
        }
        catch
        {
            logits?.Dispose();
            captured?.Dispose();
            throw;
        }
        finally
        {
            handle.remove();
        }
    }

    /// <summary>Runs <paramref name="part"/>(chunk, start, chunk scope) on chunks of <see cref="MaxBatch"/> rows and concatenates the results.</summary>
    private Tensor Chunked(Tensor inputs, Func<Tensor, long, DisposeScope, Tensor> part)
    {
        Model.CheckInput(inputs);
        if (inputs.size(0) == 0) throw new ArgumentException($"no inputs for layer '{Layer}' of {Model.Arch}", nameof(inputs));
        var parts = new List<Tensor>();
        Tensor? result = null;
        try
        {
            for (long start = 0; start < inputs.size(0); start += MaxBatch)
            {
                using var scope = torch.NewDisposeScope();
                var chunk = inputs.narrow(0, start, Math.Min(MaxBatch, inputs.size(0) - start));
                parts.Add(scope.MoveToOuter(part(chunk, start, scope)));
            }
            result = parts.Count == 1 ? parts[0] : torch.cat(parts);
            return result;
        }
        finally
        {
            foreach (var p in parts)
                if (!ReferenceEquals(p, result)) p.Dispose();
        }
    }
}
