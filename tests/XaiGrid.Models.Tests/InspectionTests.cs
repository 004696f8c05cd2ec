using SixLabors.ImageSharp.PixelFormats;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Inspection;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using TorchSharp.Modules;

namespace XaiGrid.Models.Tests;

public class InspectionTests
{
    private const float P = 0.25f;

    // ---- ImageGrid ----

    [Fact]
    public void GridPlacesPerTileNormalizedTilesWithPaddingBetween()
    {
        using var t0 = torch.tensor(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } });
        using var t1 = torch.tensor(new float[,] { { 10, 10, 10 }, { 10, 10, 20 } });
        using var t2 = torch.tensor(new float[,] { { -1, 1, -1 }, { 1, -1, 1 } });
        using var grid = ImageGrid.Compose([t0, t1, t2], new GridOptions { Columns = 2, Padding = 1, PadValue = P });

        // 2 rows x 2 columns of 2 x 3 tiles, 1 pixel between: 2*2+1 by 2*3+1. t0 / 5, (t1 - 10) / 10, (t2 + 1) / 2;
        // the fourth cell is empty.
        Assert.Equal([1, 5, 7], grid.shape);
        AssertPixels(new float[,]
        {
            { 0, .2f, .4f, P, 0, 0, 0 },
            { .6f, .8f, 1, P, 0, 0, 1 },
            { P, P, P, P, P, P, P },
            { 0, 1, 0, P, P, P, P },
            { 1, 0, 1, P, P, P, P },
        }, grid[0]);
    }

    [Fact]
    public void GridSharedScaleUsesTheRangeOfAllTiles()
    {
        using var t0 = torch.tensor(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } });
        using var t1 = torch.tensor(new float[,] { { 10, 10, 10 }, { 10, 10, 20 } });
        using var t2 = torch.tensor(new float[,] { { -1, 1, -1 }, { 1, -1, 1 } });
        using var grid = ImageGrid.Compose([t0, t1, t2], new GridOptions { Columns = 2, PadValue = P, Scale = TileScale.Shared });

        // One range for all: min -1, max 20, so v -> (v + 1) / 21.
        const float s = 1f / 21;
        AssertPixels(new float[,]
        {
            { 1 * s, 2 * s, 3 * s, P, 11 * s, 11 * s, 11 * s },
            { 4 * s, 5 * s, 6 * s, P, 11 * s, 11 * s, 1 },
            { P, P, P, P, P, P, P },
            { 0, 2 * s, 0, P, P, P, P },
            { 2 * s, 0, 2 * s, P, P, P, P },
        }, grid[0]);
    }

    [Fact]
    public void GridUpscalesTilesButNotPadding()
    {
        using var a = torch.tensor(new float[,] { { 0, 1 }, { 2, 3 } });
        using var b = torch.tensor(new float[,] { { 3, 2 }, { 1, 0 } });
        using var grid = ImageGrid.Compose([a, b], new GridOptions { Columns = 2, PadValue = P, Upscale = 2 });

        // Each pixel becomes a 2 x 2 block; tiles 4 x 4 with one padding column: 4 by 2*4+1.
        const float t = 1f / 3;
        Assert.Equal([1, 4, 9], grid.shape);
        AssertPixels(new float[,]
        {
            { 0, 0, t, t, P, 1, 1, 2 * t, 2 * t },
            { 0, 0, t, t, P, 1, 1, 2 * t, 2 * t },
            { 2 * t, 2 * t, 1, 1, P, t, t, 0, 0 },
            { 2 * t, 2 * t, 1, 1, P, t, t, 0, 0 },
        }, grid[0]);
    }

    [Fact]
    public void GridDrawsRowsOfA2DStackAsStripsInOneColumn()
    {
        using var signals = torch.tensor(new float[,] { { 1, 2, 3, 4 }, { 0, 5, 10, 5 }, { 7, 7, 7, 7 } });
        using var grid = ImageGrid.Compose(signals, new GridOptions { PadValue = P, Upscale = 2 });

        // Three 1 x 4 strips, upscaled to 2 x 8, stacked with one padding row between: 3*2+2 by 8. A constant strip is 0.
        const float t = 1f / 3;
        Assert.Equal([1, 8, 8], grid.shape);
        AssertPixels(new float[,]
        {
            { 0, 0, t, t, 2 * t, 2 * t, 1, 1 },
            { 0, 0, t, t, 2 * t, 2 * t, 1, 1 },
            { P, P, P, P, P, P, P, P },
            { 0, 0, .5f, .5f, 1, 1, .5f, .5f },
            { 0, 0, .5f, .5f, 1, 1, .5f, .5f },
            { P, P, P, P, P, P, P, P },
            { 0, 0, 0, 0, 0, 0, 0, 0 },
            { 0, 0, 0, 0, 0, 0, 0, 0 },
        }, grid[0]);
    }

    [Fact]
    public void GridWithAnRgbTileIsRgbAndRepeatsGrayTiles()
    {
        // RGB tile 1 x 2: R = [0, 4], G = [2, 2], B = [1, 3], normalized together by 0 .. 4; gray tile [2, 6] by 2 .. 6.
        using var rgb = torch.tensor(new float[] { 0, 4, 2, 2, 1, 3 }, [3, 1, 2]);
        using var gray = torch.tensor(new float[,] { { 2, 6 } });
        using var grid = ImageGrid.Compose([rgb, gray], new GridOptions { Columns = 2, PadValue = P });

        Assert.Equal([3, 1, 5], grid.shape);
        AssertPixels(new float[,] { { 0, 1, P, 0, 1 } }, grid[0]);
        AssertPixels(new float[,] { { .5f, .5f, P, 0, 1 } }, grid[1]);
        AssertPixels(new float[,] { { .25f, .75f, P, 0, 1 } }, grid[2]);
    }

    [Fact]
    public void GridFixedScaleClampsAndNaNPaddingMarksCellsWithoutValue()
    {
        using var tile = torch.tensor(new float[,] { { -1, .5f, 2 } });
        using var clamped = ImageGrid.Compose([tile], new GridOptions { Scale = TileScale.Fixed(0, 1) });
        AssertPixels(new float[,] { { 0, .5f, 1 } }, clamped[0]);

        // Two 1 x 2 tiles side by side; the padding column and the empty cells hold NaN, the tiles their values.
        using var a = torch.tensor(new float[,] { { 0, 2 } });
        using var b = torch.tensor(new float[,] { { 4, 0 } });
        using var grid = ImageGrid.Compose([a, b, a], new GridOptions { Columns = 2, PadValue = double.NaN });
        Assert.Equal([1, 3, 5], grid.shape);
        var n = float.NaN;
        AssertPixels(new float[,] { { 0, 1, n, 1, 0 }, { n, n, n, n, n }, { 0, 1, n, n, n } }, grid[0]);
    }

    [Fact]
    public void GridRejectsTilesOfDifferentSizesAndBadValues()
    {
        using var a = torch.zeros([2, 3]);
        using var b = torch.zeros([3, 2]);
        var sizes = Assert.Throws<ArgumentException>(() => ImageGrid.Compose([a, b]));
        Assert.Contains("tile 1 is 3 x 2", sizes.Message);

        using var nan = torch.full([2, 3], double.NaN);
        Assert.Contains("tile 1 has NaN", Assert.Throws<ArgumentException>(() => ImageGrid.Compose([a, nan])).Message);

        using var fiveD = torch.zeros([1, 1, 1, 1, 1]);
        Assert.Contains("[1, 1, 1, 1, 1]", Assert.Throws<ArgumentException>(() => ImageGrid.Compose(fiveD)).Message);
        Assert.Contains("Upscale", Assert.Throws<ArgumentException>(() => ImageGrid.Compose([a], new GridOptions { Upscale = 0 })).Message);
        Assert.Contains("PadValue", Assert.Throws<ArgumentException>(() => ImageGrid.Compose([a], new GridOptions { PadValue = 2 })).Message);
    }

    // ---- FirstLayerFilters ----

    [Fact]
    public void Mnist1DCnnFiltersAreStripsOfTheNormalizedKernels()
    {
        using var generator = new torch.Generator(11);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        Assert.Equal("conv1", FirstLayerFilters.Find(model).name);
        var w = Weights(model, "conv1.weight"); // (25, 1, 5)

        // 25 strips of 1 x 5 in one column, one padding row between: 25 + 24 by 5. Strip i is on row 2i.
        using var grid = FirstLayerFilters.Render(model, options: new GridOptions { Upscale = 1 });
        Assert.Equal([1, 49, 5], grid.shape);
        var px = grid.data<float>().ToArray();
        for (int i = 0; i < 25; i++)
        {
            var kernel = w.AsSpan(i * 5, 5).ToArray();
            double lo = kernel.Min(), hi = kernel.Max();
            for (int k = 0; k < 5; k++) Assert.Equal((kernel[k] - lo) / (hi - lo), px[2 * i * 5 + k], 1e-6);
            if (i < 24) Assert.All(px.AsSpan((2 * i + 1) * 5, 5).ToArray(), v => Assert.Equal(1f, v));
        }

        // The default draws each weight as an 8 x 8 block: 25*8 + 24 by 5*8.
        using var big = FirstLayerFilters.Render(model);
        Assert.Equal([1, 224, 40], big.shape);
        // Strip 3, weight 2 covers rows 3*9 .. 3*9+7 and columns 16 .. 23.
        var kernel3 = w.AsSpan(15, 5).ToArray();
        float expected = (float)((kernel3[2] - kernel3.Min()) / (kernel3.Max() - kernel3.Min()));
        Assert.All(Region(big, 27, 8, 16, 8), v => Assert.Equal(expected, v, 1e-6));
    }

    [Fact]
    public void Vgg7FiltersAreRgbTilesOfTheNormalizedKernels()
    {
        using var generator = new torch.Generator(12);
        using var model = ModelZoo.Create("vgg7", generator: generator);
        Assert.Equal("features.0", FirstLayerFilters.Find(model).name);
        var w = Weights(model, "features.0.weight"); // (32, 3, 3, 3)

        // 32 RGB 3 x 3 tiles: ceil(sqrt(32)) = 6 columns, 6 rows, 1 padding: 6*3+5 = 23 square.
        using var grid = FirstLayerFilters.Render(model, options: new GridOptions { Upscale = 1 });
        Assert.Equal([3, 23, 23], grid.shape);
        var px = grid.data<float>().ToArray();
        for (int i = 0; i < 32; i++)
        {
            var filter = w.AsSpan(i * 27, 27).ToArray();
            double lo = filter.Min(), hi = filter.Max();
            int top = i / 6 * 4, left = i % 6 * 4;
            for (int c = 0; c < 3; c++)
            for (int y = 0; y < 3; y++)
            for (int x = 0; x < 3; x++)
                Assert.Equal((filter[c * 9 + y * 3 + x] - lo) / (hi - lo), px[c * 23 * 23 + (top + y) * 23 + left + x], 1e-6);
        }
        // Cells 32 .. 35 of the last row are empty: pad value 1.
        Assert.All(Region(grid, 20, 3, 8, 15), v => Assert.Equal(1f, v));

        // Default 8x: tiles 24 x 24, 6*24+5 = 149 square; each tile's pixels are its weights repeated in 8 x 8 blocks.
        using var big = FirstLayerFilters.Render(model);
        Assert.Equal([3, 149, 149], big.shape);
        var first = w.AsSpan(0, 27).ToArray();
        float corner = (float)((first[0] - first.Min()) / (first.Max() - first.Min()));
        Assert.All(Region(big, 0, 8, 0, 8).AsSpan(0, 64).ToArray(), v => Assert.Equal(corner, v, 1e-6));
    }

    [Fact]
    public void ConvWithOtherChannelCountsShowsOneGrayTilePerKernelOneRowPerFilter()
    {
        using var model = new TwoChannelNet();
        var w = Weights(model, "conv.weight"); // (3, 2, 2, 2)

        // 6 kernels of 2 x 2; columns = 2 input channels, rows = 3 filters: 3*2+2 by 2*2+1.
        using var grid = FirstLayerFilters.Render(model, options: new GridOptions { Upscale = 1 });
        Assert.Equal([1, 8, 5], grid.shape);
        var px = grid.data<float>().ToArray();
        for (int o = 0; o < 3; o++)
        for (int i = 0; i < 2; i++)
        {
            var kernel = w.AsSpan((o * 2 + i) * 4, 4).ToArray();
            double lo = kernel.Min(), hi = kernel.Max();
            for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++)
                Assert.Equal((kernel[y * 2 + x] - lo) / (hi - lo), px[(o * 3 + y) * 5 + i * 3 + x], 1e-6);
        }
    }

    [Fact]
    public void ModelWithoutConvolutionIsRejectedWithItsLayers()
    {
        using var model = ModelZoo.Create("mnist1d-logistic");
        var e = Assert.Throws<ArgumentException>(() => FirstLayerFilters.Find(model));
        Assert.Contains("no Conv1d or Conv2d", e.Message);
        Assert.Contains("linear", e.Message);
    }

    // ---- LayerActivations ----

    [Fact]
    public void Vgg7ActivationsOfAnHmtTileMatchConvThenReluAndTileTheGrid()
    {
        using var generator = new torch.Generator(13);
        using var model = ModelZoo.Create("vgg7", generator: generator);
        model.eval();
        using var image = ReadRgb(HmtTile());
        Assert.Equal([3, 150, 150], image.shape);

        using var activation = LayerActivations.Capture(model, image, "features.1");
        Assert.Equal([32, 150, 150], activation.shape);
        using (torch.no_grad())
        using (var batch = image.unsqueeze(0))
        using (var conv = model.Layer("features.0").call(batch))
        using (var relu = conv.relu())
        using (var byHand = relu[0])
            Assert.Equal(byHand.data<float>().ToArray(), activation.data<float>().ToArray());

        // 32 gray tiles of 150 x 150: 6 columns, 6 rows, 2 pixels between: 6*150 + 5*2 = 910 square.
        using var grid = LayerActivations.Render(activation, new GridOptions { Padding = 2, PadValue = .5 });
        Assert.Equal([1, 910, 910], grid.shape);
        var values = activation.data<float>().ToArray();
        int nonConstant = 0;
        for (int k = 0; k < 32; k++)
        {
            var channel = values.AsSpan(k * 150 * 150, 150 * 150).ToArray();
            double lo = channel.Min(), hi = channel.Max();
            if (hi > lo) nonConstant++;
            var got = Region(grid, k / 6 * 152, 150, k % 6 * 152, 150);
            for (int j = 0; j < got.Length; j++)
                Assert.Equal(hi > lo ? (channel[j] - lo) / (hi - lo) : 0, got[j], 1e-6);
        }
        Assert.True(nonConstant >= 16, $"only {nonConstant} of 32 channels vary over the tile");
        Assert.All(Region(grid, 150, 2, 0, 910), v => Assert.Equal(.5f, v));
        Assert.All(Region(grid, 5 * 152, 150, 2 * 152, 910 - 2 * 152), v => Assert.Equal(.5f, v));

        // The default is gray with 1 pixel of white between: 6*150 + 5 = 905.
        using var gray = LayerActivations.Render(activation);
        Assert.Equal([1, 905, 905], gray.shape);
        Assert.All(Region(gray, 150, 1, 0, 905), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Conv1dActivationsAreStripsAndUnknownLayersListTheLayers()
    {
        using var generator = new torch.Generator(14);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        using var input = torch.randn([1, 40], generator: generator);
        using var activation = LayerActivations.Capture(model, input, "conv2");
        // Lengths 40 -> 19 -> 10; the default draws 25 strips 8 pixels high, 10*8 wide, in one column: 25*8 + 24.
        Assert.Equal([25, 10], activation.shape);
        using var grid = LayerActivations.Render(activation);
        Assert.Equal([1, 224, 80], grid.shape);

        var e = Assert.Throws<ArgumentException>(() => LayerActivations.Capture(model, input, "conv9"));
        Assert.Contains("conv9", e.Message);
        Assert.Contains("conv1, conv2, conv3, linear", e.Message);
        using var batched = input.unsqueeze(0);
        Assert.Contains("without a batch axis", Assert.Throws<ArgumentException>(() => LayerActivations.Capture(model, batched, "conv2")).Message);
    }

    // ---- FeatureVisualization ----

    // An untrained MNIST-1D CNN is barely sensitive to its input (logits move by ~0.01 per unit of input norm), so
    // plain gradient ascent needs a large step; the clamp keeps the input in a box like the data's.
    private static readonly FeatureVisualizationOptions Ascent = new()
    {
        Steps = 100, LearningRate = 20, L2Decay = 1e-3, StartNoise = 0.1, Clamp = (-4, 4), Seed = 5,
    };

    [Fact]
    public void ClassLogitRisesAboveRandomInputsAndHistoryEndsAtTheReturnedInput()
    {
        using var generator = new torch.Generator(21);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        using var run = FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(4), Ascent);

        Assert.Equal([1, 40], run.Input.shape);
        Assert.Equal(101, run.History.Count);
        Assert.True(run.History[^1] > run.History[0] + 0.2, $"logit went from {run.History[0]} to {run.History[^1]}");
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            Assert.Equal(model.call(run.Input.unsqueeze(0))[0][4].ToDouble(), run.History[^1], 1e-5);
            // The optimized input beats the best of 1000 uniform random inputs from the same box by a clear margin.
            double randomBest = model.call(torch.rand([1000, 1, 40], generator: generator).mul(8).sub(4)).select(1, 4).max().ToDouble();
            Assert.True(run.History[^1] > randomBest + 0.1,
                $"optimized logit {run.History[^1]}, best random {randomBest}");
        }
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void ChannelMeanRises()
    {
        using var generator = new torch.Generator(22);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        using var run = FeatureVisualization.Run(model, new FeatureObjective.LayerChannel("conv2", 7),
            Ascent with { LearningRate = 5, Clamp = null, Steps = 60 });
        Assert.True(run.History[^1] > run.History[0] + 1, $"channel mean went from {run.History[0]} to {run.History[^1]}");
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            var h1 = model.Layer("conv1").call(run.Input.unsqueeze(0)).relu();
            Assert.Equal(model.Layer("conv2").call(h1)[0][7].mean().ToDouble(), run.History[^1], 1e-5);
        }
    }

    [Fact]
    public void SameSeedIsBitwiseIdenticalAndAnotherSeedDiffers()
    {
        using var generator = new torch.Generator(23);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        var objective = new FeatureObjective.LayerChannel("conv2", 7);
        var jittered = Ascent with { Steps = 30, Jitter = 3 };
        using var a = FeatureVisualization.Run(model, objective, jittered);
        using var b = FeatureVisualization.Run(model, objective, jittered);
        using var c = FeatureVisualization.Run(model, objective, jittered with { Seed = 6 });

        Assert.Equal(a.Input.data<float>().ToArray(), b.Input.data<float>().ToArray());
        Assert.Equal(a.History, b.History);
        var difference = a.Input.data<float>().ToArray().Zip(c.Input.data<float>().ToArray(), (x, y) => Math.Abs(x - y)).Max();
        Assert.True(difference > 0.1, $"seeds 5 and 6 gave inputs within {difference}");
    }

    [Fact]
    public void LinearModelConvergesToTheClosedFormOptimum()
    {
        // J(x) = w.x + b - lambda ||x||^2 has gradient w - 2 lambda x, zero at x* = w / (2 lambda). Gradient ascent from
        // x_0 = 0 gives x_k = (1 - r) x_{k-1} ... = x* (1 - r^k) with r = 1 - 2 lambda lr, and S(x_k) = b + (1 - r^k) ||w||^2 / (2 lambda).
        using var generator = new torch.Generator(26);
        using var model = ModelZoo.Create("mnist1d-logistic", generator: generator);
        var w = Weights(model, "linear.weight").AsSpan(3 * 40, 40).ToArray();
        double b = Weights(model, "linear.bias")[3];
        const double lambda = 0.25, lr = 0.1, r = 1 - 2 * lambda * lr;
        double wNorm2 = w.Sum(v => (double)v * v);
        var options = new FeatureVisualizationOptions { Steps = 400, LearningRate = lr, L2Decay = lambda };

        using var few = FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(3), options with { Steps = 5 });
        var x5 = few.Input.data<float>().ToArray();
        for (int i = 0; i < 40; i++) Assert.Equal(w[i] / (2 * lambda) * (1 - Math.Pow(r, 5)), x5[i], 1e-6);
        for (int k = 0; k <= 5; k++) Assert.Equal(b + (1 - Math.Pow(r, k)) * wNorm2 / (2 * lambda), few.History[k], 1e-5);

        using var run = FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(3), options);
        var x = run.Input.data<float>().ToArray();
        double dot = 0, xNorm2 = 0;
        for (int i = 0; i < 40; i++)
        {
            dot += x[i] * (double)w[i];
            xNorm2 += x[i] * (double)x[i];
            Assert.Equal(w[i] / (2 * lambda), x[i], 1e-5);
        }
        Assert.True(dot / Math.Sqrt(xNorm2 * wNorm2) > 0.99);
        Assert.Equal(b + wNorm2 / (2 * lambda), run.History[^1], 1e-5);
    }

    [Fact]
    public void JitterRollsTheInputByASeededOffset()
    {
        // One step from 0 with no decay: x_1 = lr * d(w . roll(x, s))/dx, and w . roll(x, s) = sum_i w[(i + s) mod L] x[i].
        using var generator = new torch.Generator(24);
        using var model = ModelZoo.Create("mnist1d-logistic", generator: generator);
        var w = Weights(model, "linear.weight").AsSpan(0, 40).ToArray();
        var options = new FeatureVisualizationOptions { Steps = 1, LearningRate = 0.5, L2Decay = 0, Jitter = 3, Seed = 9 };
        long s;
        using (var draws = new torch.Generator(9))
        using (var shift = torch.randint(-3, 4, [1], generator: draws))
            s = shift.data<long>().ToArray()[0];
        Assert.NotEqual(0, s);

        using var run = FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(0), options);
        var x = run.Input.data<float>().ToArray();
        for (int i = 0; i < 40; i++) Assert.Equal(0.5 * w[(int)(((i + s) % 40 + 40) % 40)], x[i], 1e-6);
    }

    [Fact]
    public void ClampKeepsTheInputInRangeAndBadObjectivesAreNamed()
    {
        using var generator = new torch.Generator(25);
        using var model = ModelZoo.Create("mnist1d-cnn", generator: generator);
        using var run = FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(1),
            Ascent with { StartValue = 0.5, StartNoise = 0, Clamp = (0, 1) });
        var x = run.Input.data<float>().ToArray();
        Assert.All(x, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(x, v => v == 0f);
        Assert.Contains(x, v => v == 1f);

        var channel = Assert.Throws<ArgumentOutOfRangeException>(() =>
            FeatureVisualization.Run(model, new FeatureObjective.LayerChannel("conv3", 25)));
        Assert.Contains("25 channels", channel.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureVisualization.Run(model, new FeatureObjective.ClassLogit(10)));
        Assert.Contains("conv1, conv2", Assert.Throws<ArgumentException>(() =>
            FeatureVisualization.Run(model, new FeatureObjective.LayerChannel("nope", 0))).Message);
    }

    // ---- helpers ----

    private sealed class TwoChannelNet : Classifier
    {
        private readonly Conv2d conv;
        private readonly Linear linear;

        public TwoChannelNet() : base("two-channel-test", [2, 4, 4], 2)
        {
            using var generator = new torch.Generator(31);
            conv = Init.reset_parameters(torch.nn.Conv2d(2, 3, 2), generator);
            linear = Init.reset_parameters(torch.nn.Linear(3, 2), generator);
            register_module("conv", conv);
            register_module("linear", linear);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            return scope.MoveToOuter(linear.call(conv.call(input).mean([2L, 3L])));
        }
    }

    private static float[] Weights(torch.nn.Module model, string name)
    {
        var dict = model.state_dict();
        return dict[name].data<float>().ToArray();
    }

    // Takes ownership of plane, so that callers can pass grid[c] inline.
    private static void AssertPixels(float[,] expected, Tensor plane)
    {
        Assert.Equal([expected.GetLength(0), expected.GetLength(1)], plane.shape);
        var got = plane.data<float>().ToArray();
        for (int y = 0; y < expected.GetLength(0); y++)
        for (int x = 0; x < expected.GetLength(1); x++)
        {
            float e = expected[y, x], g = got[y * expected.GetLength(1) + x];
            Assert.True(float.IsNaN(e) ? float.IsNaN(g) : Math.Abs(e - g) < 1e-6, $"pixel ({y}, {x}): expected {e}, got {g}");
        }
        plane.Dispose();
    }

    // The pixels of rows top .. top+height-1 and columns left .. left+width-1 of every channel.
    private static float[] Region(Tensor image, long top, long height, long left, long width)
    {
        using var scope = torch.NewDisposeScope();
        return image.narrow(-2, top, height).narrow(-1, left, width).contiguous().data<float>().ToArray();
    }

    /// <summary>An image file as float (3, H, W) RGB in [0, 1], decoded by ImageSharp.</summary>
    private static Tensor ReadRgb(string path)
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(path);
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        var planes = new float[3 * pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            planes[i] = pixels[i].R / 255f;
            planes[pixels.Length + i] = pixels[i].G / 255f;
            planes[2 * pixels.Length + i] = pixels[i].B / 255f;
        }
        return torch.tensor(planes, [3, image.Height, image.Width]);
    }

    private static string HmtTile() =>
        Directory.GetFiles(Path.Combine(Testing.Reference.DataDir, "hmt", "HMT_test", "01_TUMOR"), "*.tif").Order(StringComparer.Ordinal).First();
}
