namespace XaiGrid.Data;

/// <summary>
/// The reference generator's arguments (<c>get_dataset_args</c>); the defaults regenerate the published dataset.
/// </summary>
public sealed record Mnist1DOptions
{
    /// <summary>Total sequences; the generator makes <c>NumSamples / 10</c> per class (floored, as the reference does).</summary>
    public int NumSamples { get; init; } = 5000;

    /// <summary>Fraction of the shuffled rows that go to train: the first <c>int(total * TrainSplit)</c>.</summary>
    public double TrainSplit { get; init; } = 0.8;

    /// <summary>
    /// Only enters the working length <c>L = TemplateLen + Padding.High</c> (72 by default); the digit templates stay
    /// 12 points long whatever this says, exactly as in the reference.
    /// </summary>
    public int TemplateLen { get; init; } = 12;

    /// <summary>Zeros appended to a template before dilation: <c>Low + int(rand() * (High - Low + 1))</c>, so [Low, High] inclusive.</summary>
    public (int Low, int High) Padding { get; init; } = (36, 60);

    /// <summary>Amplitude is multiplied by <c>1 + ScaleCoeff * (rand() - 0.5)</c>.</summary>
    public double ScaleCoeff { get; init; } = 0.4;

    /// <summary>Right roll by <c>choice(MaxTranslation)</c>, in [0, MaxTranslation).</summary>
    public int MaxTranslation { get; init; } = 48;

    public double CorrNoiseScale { get; init; } = 0.25;

    public double IidNoiseScale { get; init; } = 2e-2;

    public double ShearScale { get; init; } = 0.75;

    /// <summary>Apply one random permutation to the columns of every sequence (destroys spatial structure).</summary>
    public bool ShuffleSeq { get; init; }

    public int FinalSeqLength { get; init; } = 40;

    /// <summary>The <c>np.random.seed</c> value; numpy accepts 0 .. 2^32 - 1.</summary>
    public uint Seed { get; init; } = 42;

    /// <summary>The working length the padded template is dilated to.</summary>
    public int WorkingLength => TemplateLen + Padding.High;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option the generator cannot run with.</summary>
    public void Validate()
    {
        if (NumSamples < Mnist1DTemplates.NumClasses)
            throw new ArgumentException($"{nameof(NumSamples)} must be at least {Mnist1DTemplates.NumClasses} (one per class), got {NumSamples}");
        if (!(TrainSplit >= 0 && TrainSplit <= 1))
            throw new ArgumentException($"{nameof(TrainSplit)} must be in [0, 1], got {TrainSplit}");
        if (TemplateLen < 1)
            throw new ArgumentException($"{nameof(TemplateLen)} must be at least 1, got {TemplateLen}");
        if (Padding.Low < 0 || Padding.High < Padding.Low)
            throw new ArgumentException($"{nameof(Padding)} must satisfy 0 <= low <= high, got [{Padding.Low}, {Padding.High}]");
        if (MaxTranslation < 1)
            throw new ArgumentException($"{nameof(MaxTranslation)} must be at least 1 (numpy's choice needs a > 0), got {MaxTranslation}");
        if (FinalSeqLength < 1)
            throw new ArgumentException($"{nameof(FinalSeqLength)} must be at least 1, got {FinalSeqLength}");
        foreach (var (name, value) in new[]
                 {
                     (nameof(ScaleCoeff), ScaleCoeff), (nameof(CorrNoiseScale), CorrNoiseScale),
                     (nameof(IidNoiseScale), IidNoiseScale), (nameof(ShearScale), ShearScale),
                 })
            if (!double.IsFinite(value)) throw new ArgumentException($"{name} must be finite, got {value}");
    }
}
