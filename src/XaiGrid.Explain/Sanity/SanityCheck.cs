using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;

namespace XaiGrid.Explain.Sanity;

/// <summary>
/// The model parameter randomization test of Adebayo et al. 2018, cascading from the top: the parametrized layers
/// (modules holding parameters of their own, in registration order, which is the forward order of our models) are
/// re-initialized one at a time from the last to the first, each keeping the randomizations above it; after each,
/// the method's maps are compared with the trained model's maps by <see cref="Spearman"/> rank correlation (of the
/// absolute values with <c>absolute</c>). Layer i is re-drawn with PyTorch's default initialization from
/// Seeds.Generator(seed, i), so a result depends on the seed and the layer alone. The model's weights are restored
/// afterwards, also when the method throws.
/// </summary>
public sealed class SanityCheck(Classifier model, Func<Classifier, AttributionMethod> method, ulong seed = 0, bool absolute = false)
{
    /// <summary>The names of the layers the cascade randomizes, in forward order.</summary>
    public IReadOnlyList<string> ParametrizedLayers =>
        // LayerNames is PyTorch's depth-first order; TorchSharp's named_modules() lists all children before any grandchild.
        model.LayerNames.Where(name => model.Layer(name).named_parameters(recurse: false).Any()).ToList();

    /// <summary>
    /// Runs the cascade on <paramref name="inputs"/>. The targets (given, or the trained model's predictions) stay the
    /// same for every randomized model, so each map explains the same class.
    /// </summary>
    public SanityCheckResult Run(Tensor inputs, long[]? targets = null, long[]? ids = null)
    {
        model.CheckInput(inputs);
        var layers = ParametrizedLayers;
        if (layers.Count == 0) throw new InvalidOperationException($"{model.Arch} has no layer with parameters to randomize");
        var trainedMethod = method(model);
        targets ??= trainedMethod.Predict(inputs);
        var trained = Flatten(trainedMethod.Attribute(inputs, targets, ids));

        // state_dict() holds the model's own tensors: keep copies to restore.
        var saved = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        try
        {
            var results = new List<SanityLayerResult>();
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                Randomize(layers[i], i);
                var randomized = Flatten(method(model).Attribute(inputs, targets, ids));
                var correlations = trained.Select((t, k) => Spearman.Correlation(t, randomized[k])).ToArray();
                results.Add(new SanityLayerResult(layers[i], correlations.Average(), correlations));
            }
            return new SanityCheckResult(seed, absolute, results.ToArray());
        }
        finally
        {
            model.load_state_dict(saved);
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    private void Randomize(string layer, int index)
    {
        using var generator = Seeds.Generator(seed, index);
        using var noGrad = torch.no_grad();
        switch (model.Layer(layer))
        {
            case Conv1d conv: Init.reset_parameters(conv.weight!, conv.bias, generator); break;
            case Conv2d conv: Init.reset_parameters(conv.weight!, conv.bias, generator); break;
            case Linear linear: Init.reset_parameters(linear.weight!, linear.bias, generator); break;
            case var other:
                throw new NotSupportedException(
                    $"the sanity check re-initializes Conv and Linear layers; layer '{layer}' of {model.Arch} is a {other.GetType().Name}");
        }
    }

    /// <summary>Each map as a float64 vector (absolute values with <c>absolute</c>); disposes the maps.</summary>
    private double[][] Flatten(Tensor maps)
    {
        using (maps)
        {
            using var scope = torch.NewDisposeScope();
            var values = (absolute ? maps.abs() : maps).to(ScalarType.Float64).flatten(1).contiguous();
            long n = values.size(0), m = values.size(1);
            var all = values.data<double>().ToArray();
            return Enumerable.Range(0, (int)n).Select(i => all.AsSpan((int)(i * m), (int)m).ToArray()).ToArray();
        }
    }
}
