using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Explain.Influence;

/// <summary>
/// The quantity of interest q of Leino et al. 2018: what influence explains, a function of the logits S. Every
/// quantity here is linear in the logits, q = sum_k w_k S_k, so it is given by its class weights w: a class
/// (S_c), a comparison of two classes (S_c - S_c'), or any linear combination.
/// </summary>
public abstract record QuantityOfInterest
{
    private protected QuantityOfInterest() { }

    /// <summary>The weights w over <paramref name="numClasses"/> classes; errors name a class that does not exist.</summary>
    public abstract double[] Weights(int numClasses);

    /// <summary>q of every row of <paramref name="logits"/> (N, K): (N), in the logits' dtype.</summary>
    public Tensor Apply(Tensor logits)
    {
        if (logits.ndim != 2)
            throw new ArgumentException($"a quantity of interest takes logits (N, K), got shape [{string.Join(", ", logits.shape)}]", nameof(logits));
        using var weights = torch.tensor(Weights((int)logits.size(1))).to(logits.dtype, logits.device);
        using var weighted = logits * weights;
        return weighted.sum(1);
    }

    /// <summary>S_c, the logit of class c.</summary>
    public sealed record Class(int Index) : QuantityOfInterest
    {
        public override double[] Weights(int numClasses)
        {
            var w = new double[numClasses];
            w[CheckClass(Index, numClasses, nameof(Index))] = 1;
            return w;
        }
    }

    /// <summary>S_c - S_c': what tells class c from class c' (the comparative quantity).</summary>
    public sealed record Comparison(int Index, int Other) : QuantityOfInterest
    {
        public override double[] Weights(int numClasses)
        {
            if (Index == Other) throw new ArgumentException($"a comparison needs two different classes, got {Index} twice");
            var w = new double[numClasses];
            w[CheckClass(Index, numClasses, nameof(Index))] = 1;
            w[CheckClass(Other, numClasses, nameof(Other))] = -1;
            return w;
        }
    }

    /// <summary>sum_k ClassWeights[k] S_k, one weight per class.</summary>
    public sealed record LinearCombination(double[] ClassWeights) : QuantityOfInterest
    {
        public override double[] Weights(int numClasses)
        {
            if (ClassWeights.Length != numClasses)
                throw new ArgumentException($"a linear combination of logits needs {numClasses} class weights, got {ClassWeights.Length}");
            if (ClassWeights.Any(w => !double.IsFinite(w))) throw new ArgumentException("class weights must be finite");
            return (double[])ClassWeights.Clone();
        }
    }

    private static int CheckClass(int c, int numClasses, string field) =>
        c >= 0 && c < numClasses ? c : throw new ArgumentOutOfRangeException(field, c, $"class {c} is outside [0, {numClasses})");
}
