namespace XaiGrid.Data;

/// <summary>How a data specification is loaded: where the bundled data live and how images and splits are made.</summary>
public sealed record DataSpecOptions
{
    /// <summary>The folder holding mnist1d/, mnist/, hmt/ and deeploc/ (see <see cref="DataSpec.DefaultRoot"/>).</summary>
    public string? Root { get; init; }

    /// <summary>Resize images of an image folder to this height and width.</summary>
    public int? ImageSize { get; init; }

    /// <summary>Normalize every channel by the training set's mean and std.</summary>
    public bool Normalize { get; init; }

    /// <summary>The test share of a single folder or file that has no separate test part.</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Seeds the split of a source without a separate test part (e.g. the sorted MNIST file).</summary>
    public ulong SplitSeed { get; init; }
}

/// <summary>
/// Turns a data specification into train and test sets: <c>mnist1d</c> (the published MNIST-1D), <c>mnist</c> (the
/// 10,000 MNIST digits, seeded 8000/2000 split), a folder (train/test subfolders of class folders such as HMT's
/// HMT_train and HMT_test; a single tree of class folders, split stratified; a MNIST-1D csv folder; a folder with
/// images.npy and labels.npy), an <c>images.npy,labels.npy</c> pair, or a DeepLoc <c>.hdf5</c> file (or
/// <c>train.hdf5,test.hdf5</c>).
/// </summary>
public static class DataSpec
{
    public const string Description =
        "mnist1d, mnist, an image folder (class subfolders, or train/test subfolders of them), a MNIST-1D csv folder, " +
        "IMAGES.npy,LABELS.npy, or a DeepLoc FILE.hdf5 (or TRAIN.hdf5,TEST.hdf5)";

    /// <summary>
    /// $XAIGRID_DATA when set; otherwise shared/data beside the checkout that holds XaiGrid.sln, found by walking up
    /// from the working folder and from the program's folder.
    /// </summary>
    public static string DefaultRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("XAIGRID_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "XaiGrid.sln")))
                {
                    var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                    if (Directory.Exists(shared)) return shared;
                }
            }
        }
        throw new DirectoryNotFoundException("cannot find the data folder: set XAIGRID_DATA to the folder holding mnist1d/, mnist/, hmt/");
    }

    public static DatasetSplit Load(string spec, DataSpecOptions? options = null)
    {
        options ??= new DataSpecOptions();
        var split = LoadRaw(spec, options);
        if (!options.Normalize) return split;
        var normalization = ChannelNormalization.FromData(split.Train.Inputs);
        using (split)
            return new DatasetSplit(Normalized(split.Train, normalization), Normalized(split.Test, normalization));
    }

    private static LabeledDataset Normalized(LabeledDataset data, ChannelNormalization normalization) =>
        new(normalization.Apply(data.Inputs), data.Labels.clone(), data.ClassNames, data.Ids);

    private static DatasetSplit LoadRaw(string spec, DataSpecOptions options)
    {
        var images = options.ImageSize is { } s ? new ImageFolderOptions(s, s) : new ImageFolderOptions();
        switch (spec)
        {
            case "mnist1d":
                return Mnist1D.Load(Path.Combine(options.Root ?? DefaultRoot(), "mnist1d")).ToDatasetSplit();
            case "mnist":
            {
                var dir = Path.Combine(options.Root ?? DefaultRoot(), "mnist");
                using var all = NpyDataset.Load(Path.Combine(dir, "images.npy"), Path.Combine(dir, "labels.npy"));
                return StratifiedSplit.Shuffled(all, 8000, options.SplitSeed);
            }
        }

        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && parts.All(p => p.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)))
        {
            using var all = NpyDataset.Load(parts[0], parts[1]);
            return StratifiedSplit.Split(all, options.TestFraction, options.SplitSeed);
        }
        if (parts.All(IsHdf5))
        {
            if (parts.Length == 2) return new DatasetSplit(DeepLoc.Load(parts[0]), DeepLoc.Load(parts[1]));
            if (parts.Length == 1)
            {
                using var all = DeepLoc.Load(parts[0]);
                return StratifiedSplit.Split(all, options.TestFraction, options.SplitSeed);
            }
        }
        if (parts.Length == 1 && Directory.Exists(spec)) return LoadFolder(spec, images, options);
        if (parts.Length == 1 && !spec.Contains('.') && !spec.Contains('/'))
            throw new ArgumentException($"unknown data set '{spec}'; a data specification is {Description}");
        throw new FileNotFoundException($"data not found: {spec} (a data specification is {Description})");
    }

    private static bool IsHdf5(string path) =>
        path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    private static DatasetSplit LoadFolder(string dir, ImageFolderOptions images, DataSpecOptions options)
    {
        if (File.Exists(Path.Combine(dir, Mnist1D.TrainFile))) return Mnist1D.Load(dir).ToDatasetSplit();
        var npyImages = Path.Combine(dir, "images.npy");
        if (File.Exists(npyImages))
        {
            using var all = NpyDataset.Load(npyImages, Path.Combine(dir, "labels.npy"));
            return StratifiedSplit.Split(all, options.TestFraction, options.SplitSeed);
        }
        var subfolders = Directory.GetDirectories(dir);
        var train = subfolders.Where(d => Path.GetFileName(d).Contains("train", StringComparison.OrdinalIgnoreCase)).ToArray();
        var test = subfolders.Where(d => Path.GetFileName(d).Contains("test", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (train.Length == 1 && test.Length == 1)
        {
            var trainSet = ImageFolder.Load(train[0], images);
            try
            {
                var testSet = ImageFolder.Load(test[0], images);
                if (!testSet.ClassNames.SequenceEqual(trainSet.ClassNames))
                {
                    testSet.Dispose();
                    throw new InvalidDataException(
                        $"{test[0]} has classes [{string.Join(", ", testSet.ClassNames)}] but {train[0]} has [{string.Join(", ", trainSet.ClassNames)}]");
                }
                return new DatasetSplit(trainSet, testSet);
            }
            catch
            {
                trainSet.Dispose();
                throw;
            }
        }
        using var whole = ImageFolder.Load(dir, images);
        return StratifiedSplit.Split(whole, options.TestFraction, options.SplitSeed);
    }
}
