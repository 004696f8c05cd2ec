using System.Globalization;
using XaiGrid.Data;
using XaiGrid.Orchestration.Experiments;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class DataSpecCatalogTests
{
    // The label column of a MNIST-1D csv, counted straight from the file.
    private static long[] LabelCounts(string file)
    {
        var counts = new long[10];
        foreach (var line in File.ReadLines(file).Skip(1)) counts[int.Parse(line[..line.IndexOf(',')], CultureInfo.InvariantCulture)]++;
        return counts;
    }

    [Fact]
    public void CountsItemsPerClassOfBothSplitsOnce()
    {
        var folder = Path.Combine(DataSpec.DefaultRoot(), "mnist1d");
        var catalog = new DataSpecCatalog();
        var entry = new DataEntry("m", "mnist1d", null, false, 0.2, 0);
        var counts = catalog.Counts(entry);
        Assert.Equal(LabelCounts(Path.Combine(folder, "train.csv")), counts.TrainPerClass);
        Assert.Equal(LabelCounts(Path.Combine(folder, "test.csv")), counts.TestPerClass);
        Assert.Equal((4000L, 1000L), (counts.Count("train"), counts.Count("test")));
        Assert.Equal(counts.TestPerClass[7], counts.Count("test", 7));

        // Normalization does not change labels: the cached counts serve it without another load.
        Assert.Same(counts, catalog.Counts(entry with { Name = "other", Normalize = true }));
    }

    [Fact]
    public void RelativePathsResolveAgainstTheGivenFolder()
    {
        var root = DataSpec.DefaultRoot();
        var catalog = new DataSpecCatalog(relativeTo: root);
        var counts = catalog.Counts(new DataEntry("m", "mnist1d", null, false, 0.2, 0));
        var byPath = catalog.Counts(new DataEntry("m", "mnist1d", null, false, 0.2, 0) with { Spec = "mnist1d/" });
        Assert.Equal(counts.TestPerClass, byPath.TestPerClass);
        Assert.Equal(counts.TrainPerClass, byPath.TrainPerClass);
    }

    [Fact]
    public void CountsRefuseUnknownSplitsAndClasses()
    {
        var counts = new DataCounts([3, 4], [1, 2]);
        Assert.Equal((7L, 3L, 2L), (counts.Count("train"), counts.Count("test"), counts.Count("test", 1)));
        Assert.Contains("unknown split 'valid'; allowed: train, test", Assert.Throws<ArgumentException>(() => counts.Count("valid")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => counts.Count("test", 2));
        Assert.Throws<ArgumentException>(() => new DataCounts([1], [1, 2]));
    }
}
