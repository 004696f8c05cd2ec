using XaiGrid.Orchestration.Experiments;

namespace XaiGrid.Orchestration.Planning;

/// <summary>Items per class of a data entry's training and test splits (both indexed by class, of the same length).</summary>
public sealed record DataCounts
{
    public DataCounts(IReadOnlyList<long> trainPerClass, IReadOnlyList<long> testPerClass)
    {
        if (trainPerClass.Count != testPerClass.Count)
            throw new ArgumentException($"train and test counts must cover the same classes: {trainPerClass.Count} vs {testPerClass.Count}");
        if (trainPerClass.Concat(testPerClass).Any(n => n < 0)) throw new ArgumentException("item counts must be non-negative");
        TrainPerClass = trainPerClass;
        TestPerClass = testPerClass;
    }

    public IReadOnlyList<long> TrainPerClass { get; }

    public IReadOnlyList<long> TestPerClass { get; }

    public int NumClasses => TrainPerClass.Count;

    /// <summary>Items of <paramref name="split"/> (train or test), of one class or of all.</summary>
    public long Count(string split, int? cls = null)
    {
        var perClass = split switch
        {
            InputSelector.Train => TrainPerClass,
            InputSelector.Test => TestPerClass,
            _ => throw new ArgumentException($"unknown split '{split}'; allowed: {string.Join(", ", InputSelector.Splits)}"),
        };
        if (cls is not { } c) return perClass.Sum();
        return c >= 0 && c < NumClasses ? perClass[c] : throw new ArgumentOutOfRangeException(nameof(cls), c, $"class {c} is outside [0, {NumClasses})");
    }
}
