using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Data.Tests;

public class LabeledDatasetTests
{
    // Item i holds the values 100 i .. 100 i + 5 as a (2, 3) input and has label i % 3.
    private static LabeledDataset Numbered(int n) =>
        new(torch.tensor(Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, 6).Select(j => 100f * i + j)).ToArray(), [n, 2, 3]),
            torch.tensor(Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray()),
            ["a", "b", "c"]);

    [Fact]
    public void A_new_dataset_has_positional_ids_and_its_shapes()
    {
        using var data = Numbered(7);
        Assert.Equal(7, data.Count);
        Assert.Equal([2L, 3L], data.InputShape);
        Assert.Equal(3, data.NumClasses);
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6], data.Ids);
        Assert.Equal([0L, 1, 2, 0, 1, 2, 0], data.LabelArray());
    }

    [Fact]
    public void A_subset_holds_the_chosen_items_and_a_subset_of_a_subset_keeps_the_source_ids()
    {
        using var data = Numbered(10);
        using var first = data.Subset([9, 2, 5, 7]);
        using var second = first.Subset([3, 1]);
        Assert.Equal([9L, 2, 5, 7], first.Ids);
        Assert.Equal([7L, 2], second.Ids);
        Assert.Equal([1L, 2], second.LabelArray());
        var values = second.Inputs.data<float>().ToArray();
        Assert.Equal(new float[] { 700, 701, 702, 703, 704, 705, 200, 201, 202, 203, 204, 205 }, values);
    }

    [Fact]
    public void Labels_that_do_not_fit_the_inputs_are_refused_with_their_shape_or_type()
    {
        using var inputs = torch.zeros([4, 1, 5]);
        using var three = torch.tensor(new long[] { 0, 1, 0 });
        var e = Assert.Throws<ArgumentException>(() => new LabeledDataset(inputs, three, ["x", "y"]));
        Assert.Contains("N = 4", e.Message);
        Assert.Contains("[3]", e.Message);

        using var floats = torch.zeros([4]);
        e = Assert.Throws<ArgumentException>(() => new LabeledDataset(inputs, floats, ["x", "y"]));
        Assert.Contains("int64", e.Message);

        using var labels = torch.tensor(new long[] { 0, 1, 0, 1 });
        e = Assert.Throws<ArgumentException>(() => new LabeledDataset(inputs, labels, ["x", "y"], [0, 1]));
        Assert.Contains("2 ids for 4 items", e.Message);
    }
}
