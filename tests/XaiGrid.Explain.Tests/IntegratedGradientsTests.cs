using XaiGrid.Explain.Attribution;
using XaiGrid.Models.Architectures;
using XaiGrid.Torch;

namespace XaiGrid.Explain.Tests;

public class IntegratedGradientsTests
{
    [Fact]
    public void CompletenessHoldsOnMnist1DCnn()
    {
        using var generator = new torch.Generator(3);
        using var model = new Mnist1DCnn(generator: generator);
        using var x = torch.randn([6, 1, 40], generator);
        var ig = new IntegratedGradients(model, steps: 200);
        var (maps, deltas) = ig.AttributeWithDelta(x);
        using (maps)
        {
            Assert.Equal(new long[] { 6, 1, 40 }, maps.shape);
            using var scores = model.call(x);
            foreach (var d in deltas) Assert.True(Math.Abs(d) < 1e-2, $"delta {d}");
        }
    }
}
