using System.Text.Json.Nodes;
using ScottPlot;
using ScottPlot.Plottables;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using XaiGrid.Report.Data;
using XaiGrid.Report.Figures;
using XaiGrid.Store;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using Image = SixLabors.ImageSharp.Image;

namespace XaiGrid.Report.Tests;

/// <summary>
/// What the figures show, against the stored numbers and against hand-computed pixels: the embedded font renders,
/// overlays are alpha blends, and the confusion, per-class, Drop%/Increase% and compression figures carry the stored
/// values.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class FigureContentTests(StoreFixture store)
{
    [Fact]
    public void TheEmbeddedFontIsScottPlotsDefaultAndTitlesRenderTheSameEveryTime()
    {
        ReportFonts.Register();
        Assert.Equal(ReportFonts.Family, ScottPlot.Fonts.Default);
        // The embedded typefaces themselves, not a machine font of the same name.
        Assert.Same(ReportFonts.Regular, ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false));
        Assert.Same(ReportFonts.Bold, ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, true, false));
        Assert.Equal(ReportFonts.Family, ReportFonts.Bold.FamilyName);

        byte[] Render(string title)
        {
            using var figure = new Figure(title, [Charts.Message("panel title", "a message")], 1, 300, 200);
            return figure.EncodePng();
        }
        var first = Render("Accuracy of run A");
        Assert.Equal(first, Render("Accuracy of run A"));
        // Glyphs, not blanks or boxes of one shape: the title band holds dark pixels, and other words give other pixels.
        var band = TitleBand(first);
        Assert.True(band.Count(v => v < 100) > 100, $"the title band has only {band.Count(v => v < 100)} dark pixels");
        Assert.NotEqual(band, TitleBand(Render("Loss of run B")));
    }

    /// <summary>The gray levels of the figure's title band, row by row.</summary>
    private static byte[] TitleBand(byte[] png)
    {
        using var image = Image.Load<L8>(png);
        var band = new List<byte>();
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < Figure.TitleHeight; y++)
                foreach (var p in rows.GetRowSpan(y)) band.Add(p.PackedValue);
        });
        return band.ToArray();
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.3f)]
    public void AnOverlayPixelIsTheAlphaBlendOfTheTileAndTheColormappedMap(float alpha)
    {
        using var generator = new torch.Generator(7);
        using var tile = torch.rand([3, 4, 5], generator: generator);
        using var map = torch.randn([4, 5], generator: generator);
        var t = tile.data<float>().ToArray();
        var m = map.data<float>().ToArray().Select(v => (double)v).ToArray();
        var jet = new ScottPlot.Colormaps.Jet();
        var scale = ColorScale.Over(jet, m);
        Assert.Equal((m.Min(), m.Max()), (scale.Lo, scale.Hi));

        using var blended = MapOverlay.Blend(tile, map, scale, alpha);
        Assert.Equal((5, 4), (blended.Width, blended.Height));
        for (int y = 0; y < 4; y++)
        for (int x = 0; x < 5; x++)
        {
            int i = y * 5 + x;
            var color = jet.GetColor((m[i] - m.Min()) / (m.Max() - m.Min()));
            var got = blended[x, y];
            var expected = new[] { color.R, color.G, color.B }
                .Select((c, k) => (1 - alpha) * Math.Round(t[k * 20 + i] * 255) + alpha * c).ToArray();
            Assert.True(Math.Abs(got.R - expected[0]) <= 1 && Math.Abs(got.G - expected[1]) <= 1 && Math.Abs(got.B - expected[2]) <= 1,
                $"pixel ({x}, {y}): expected ({string.Join(", ", expected)}), got ({got.R}, {got.G}, {got.B})");
        }
    }

    [Fact]
    public void ConfusionCellsShowTheStoredNormalizedMatrix()
    {
        using var s = ResultStore.OpenReadOnly(store.Db);
        var data = ExperimentData.Load(s).Single();
        foreach (var run in data.OfKind("train"))
        {
            var stored = JsonNode.Parse(s.Results(run.Key).Tables["classification"])!["confusion_matrix_normalized"]!.AsArray()
                .Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
            using var figure = Build(data, $"confusion-{run.Key[..12]}");
            // Written as the tables write numbers (Format.Fixed, checked by FormattingTests), at (column, rows - 1 - row).
            var texts = figure.Plots.Single().GetPlottables<Text>().ToDictionary(t => (t.Location.X, t.Location.Y), t => t.LabelText);
            int n = stored.Length;
            Assert.Equal(n * n, texts.Count);
            for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(Format.Fixed(stored[i][j], 2), texts[(j, n - 1 - i)]);
        }
    }

    [Fact]
    public void PerClassBarsAreTheStoredPrecisionRecallAndF1()
    {
        using var s = ResultStore.OpenReadOnly(store.Db);
        var data = ExperimentData.Load(s).Single();
        var run = data.OfKind("train").First();
        var report = JsonNode.Parse(s.Results(run.Key).Tables["classification"])!;
        using var figure = Build(data, $"per-class-{run.Key[..12]}");
        var series = figure.Plots.Single().GetPlottables<BarPlot>().ToList();
        Assert.Equal(["precision", "recall", "F1"], series.Select(b => b.LegendText));
        foreach (var bars in series)
        {
            var expected = report[bars.LegendText.ToLowerInvariant()]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.Equal(expected, bars.Bars.OrderBy(b => b.Position).Select(b => b.Value));
        }
    }

    [Fact]
    public void DropIncreaseBarsPairEachMethodsStoredPercentages()
    {
        using var s = ResultStore.OpenReadOnly(store.Db);
        var data = ExperimentData.Load(s).Single();
        var cells = s.Cells().Where(c => c.Kind == "drop-increase").ToList();
        Assert.Equal(StoreFixture.Methods, cells.Count);
        var stored = cells.Select(c => (s.Results(c.Key).Scalars["drop_pct"], s.Results(c.Key).Scalars["increase_pct"])).Order().ToList();

        using var figure = Build(data, "drop-increase-");
        var series = figure.Plots.Single().GetPlottables<BarPlot>().ToList();
        Assert.Equal(["Drop%", "Increase%"], series.Select(b => b.LegendText));
        // Groups run top to bottom: a method's two bars are the ones at the same rank of position.
        var drops = series[0].Bars.OrderByDescending(b => b.Position).Select(b => b.Value);
        var increases = series[1].Bars.OrderByDescending(b => b.Position).Select(b => b.Value);
        Assert.Equal(stored, drops.Zip(increases).Order().ToList());
    }

    [Fact]
    public void CompressionHeatmapsHoldTheStoredRecallsUnderAColourBarFromZeroToOne()
    {
        using var s = ResultStore.OpenReadOnly(store.Db);
        var data = ExperimentData.Load(s).Single();
        var points = data.OfKind("compression-point").Where(c => c.Text("layer") == "conv2").ToList();
        using var figure = Build(data, FigureSpec.Stem("compression", $"{points[0].TrainKey}|conv2|{points[0].Text("aggregate")}"));
        var classes = points.Select(c => c.Node("class").GetValue<int>()).Distinct().Order().ToList();
        Assert.Equal(classes.Count, figure.Panels);
        for (int k = 0; k < classes.Count; k++)
        {
            var plot = figure.Plots[k];
            var bar = Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>());
            Assert.Equal((0.0, 1.0), (bar.Source.GetRange().Min, bar.Source.GetRange().Max));
            var heatmap = Assert.Single(plot.GetPlottables<Heatmap>());
            var grid = points.Where(c => c.Node("class").GetValue<int>() == classes[k]).ToList();
            var tops = grid.Select(c => c.Node("top").GetValue<int>()).Distinct().Order().ToList();
            var bottoms = grid.Select(c => c.Node("bottom").GetValue<int>()).Distinct().Order().ToList();
            foreach (var cell in grid)
                Assert.Equal(s.Results(cell.Key).Scalars["recall"],
                    heatmap.Intensities[tops.IndexOf(cell.Node("top").GetValue<int>()), bottoms.IndexOf(cell.Node("bottom").GetValue<int>())]);
        }
    }

    /// <summary>The figure whose file stem starts with <paramref name="stem"/>, built as the report builds it.</summary>
    private static Figure Build(ExperimentData data, string stem)
    {
        var spec = ModelFigures.Build(data).Concat(ExplanationFigures.Build(data)).Single(f => f.Build is not null && f.Name.StartsWith(stem, StringComparison.Ordinal));
        return spec.Build!();
    }
}
