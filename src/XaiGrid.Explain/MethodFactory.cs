using System.Globalization;
using XaiGrid.Explain.Attribution;
using XaiGrid.Explain.Attribution.Cam;
using XaiGrid.Explain.Influence;
using XaiGrid.Models.Architectures;

namespace XaiGrid.Explain;

public static partial class MethodCatalog
{
    /// <summary>
    /// The method <paramref name="method"/> on <paramref name="model"/> with <paramref name="parameters"/> (names from
    /// <see cref="Parameters"/>, values as text; absent ones take their defaults). Bad names or values give an error
    /// that lists what is allowed.
    /// </summary>
    public static Attribution.AttributionMethod Create(Classifier model, string method, IReadOnlyDictionary<string, string> parameters,
        int maxBatch = 128)
    {
        CheckParameters(method, parameters);
        var p = new Values(method, parameters);
        if (p.Text("layer") is { } layer) model.Layer(layer);
        Attribution.AttributionMethod created = method switch
        {
            "gradient" => new Gradient(model) { MaxBatch = maxBatch },
            "gradient-x-input" => new GradientXInput(model) { MaxBatch = maxBatch },
            "smoothgrad" => new SmoothGrad(model, p.Long("n"), p.Double("sigma")) { Seed = p.Seed(), MaxBatch = maxBatch },
            "integrated-gradients" => new IntegratedGradients(model, (int)p.Long("steps"), p.Rule(), p.Double("baseline")) { MaxBatch = maxBatch },
            "gradcam" => new GradCam(model, p.Text("layer")!) { MaxBatch = maxBatch },
            "gradcam++" => new GradCamPlusPlus(model, p.Text("layer")!) { MaxBatch = maxBatch },
            "rise" => new Rise(model, p.Long("masks"), p.Long("cells"), p.Double("p1")) { Seed = p.Seed(), MaxBatch = maxBatch },
            "occlusion" => new Occlusion(model, [p.Long("window")], [p.Long("stride")], p.Double("baseline")) { MaxBatch = maxBatch },
            "lime" => new Lime(model, p.Long("window"), p.Long("samples"), p.Double("kernel-width"), p.Double("baseline")) { Seed = p.Seed(), MaxBatch = maxBatch },
            "influence" => new InternalInfluence(model, p.Text("layer")!, p.Distribution(), p.Quantity(), p.Bool("multiply-activation")) { MaxBatch = maxBatch },
            _ => throw new ArgumentException($"unknown method '{method}'; known: {string.Join(", ", Names)}"),
        };
        return created;
    }

    /// <summary>Typed reads of one method's parameters, falling back to the catalog's defaults.</summary>
    private sealed class Values(string method, IReadOnlyDictionary<string, string> given)
    {
        private string Raw(string name)
        {
            if (given.TryGetValue(name, out var value)) return value;
            return Parameters(method).First(p => p.Name == name).Default;
        }

        private ArgumentException Bad(string name, string expected) =>
            new($"method '{method}': parameter {name} must be {expected}, got '{Raw(name)}'");

        public string? Text(string name) => given.TryGetValue(name, out var v) ? v : null;

        public long Long(string name) =>
            long.TryParse(Raw(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(name, "a whole number");

        public double Double(string name) =>
            double.TryParse(Raw(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(name, "a number");

        public bool Bool(string name) => Raw(name) switch
        {
            "true" or "True" => true,
            "false" or "False" => false,
            _ => throw Bad(name, "true or false"),
        };

        public ulong Seed() =>
            ulong.TryParse(Raw("seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad("seed", "a non-negative whole number");

        public RiemannRule Rule() => Raw("rule") switch
        {
            "left" => RiemannRule.Left,
            "right" => RiemannRule.Right,
            "middle" => RiemannRule.Middle,
            "trapezoid" => RiemannRule.Trapezoid,
            _ => throw Bad("rule", "left, right, middle or trapezoid"),
        };

        /// <summary>qoi: "class" (each input's target), "c:C" (class C) or "c:C-C2" (C against C2).</summary>
        public QuantityOfInterest? Quantity()
        {
            var text = Raw("qoi");
            if (text == "class") return null;
            if (text.StartsWith("c:", StringComparison.Ordinal))
            {
                var parts = text[2..].Split('-');
                if (parts.Length == 1 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var c)) return new QuantityOfInterest.Class(c);
                if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var a) &&
                    int.TryParse(parts[1], CultureInfo.InvariantCulture, out var b))
                    return new QuantityOfInterest.Comparison(a, b);
            }
            throw Bad("qoi", "class, c:C or c:C-C2");
        }

        public DistributionOfInterest Distribution() => Raw("doi") switch
        {
            "point" => new DistributionOfInterest.Point(),
            "path" => new DistributionOfInterest.LinearPath((int)Long("steps"), RiemannRule.Trapezoid, Double("baseline")),
            _ => throw Bad("doi", "point or path"),
        };
    }
}
