using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using XaiGrid.Report.Figures;
using XaiGrid.Store;

namespace XaiGrid.Report.Tests;

/// <summary>
/// The figures of the tiny experiment: each PNG decodes (ImageSharp) to the size its panel grid implies, each panel has
/// content and each unused grid slot is blank, and the panel counts are those the experiment implies.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class ReportFiguresTests(StoreFixture store)
{
    /// <summary>Pixel standard deviation (values in [0, 1]) above which a panel is taken to hold a drawing.</summary>
    private const double ContentFloor = 0.05;

    [Fact]
    public void EveryFigureHasItsPanelsAndEveryPanelHasContent()
    {
        var output = store.NewOutput();
        var report = ReportGenerator.Generate(store.Db, output, ReportFormats.Markdown);
        var drawn = report.Figures.Where(f => f.File is not null).ToList();

        foreach (var figure in drawn)
        {
            using var image = Image.Load<Rgb24>(Path.Combine(output, figure.File!));
            var (width, height) = Figure.Size(figure.Panels, figure.Columns, figure.PanelWidth, figure.PanelHeight);
            Assert.Equal((width, height), (image.Width, image.Height));
            int rows = (figure.Panels + figure.Columns - 1) / figure.Columns;
            for (int i = 0; i < rows * figure.Columns; i++)
            {
                var area = Figure.PanelArea(i, figure.Columns, figure.PanelWidth, figure.PanelHeight);
                double std = PixelStd(image, area);
                if (i < figure.Panels) Assert.True(std > ContentFloor, $"{figure.File} panel {i}: pixel std {std:F4} is below {ContentFloor}");
                else Assert.True(std == 0, $"{figure.File} slot {i} should be blank, has pixel std {std:F4}");
            }
        }

        // What the experiment implies: five runs (two lrs x two seeds, and cnn), one maps job of five methods on the
        // first three items, drop/increase, insertion and deletion, a sanity check, classes 0 and 1 compressed at conv2
        // and class 0 at conv9.
        int Panels(string kind) => drawn.Where(f => Path.GetFileName(f.File!).StartsWith(kind + "-", StringComparison.Ordinal)).Sum(f => f.Panels);
        int Figures(string kind) => drawn.Count(f => Path.GetFileName(f.File!).StartsWith(kind + "-", StringComparison.Ordinal));
        const int runs = 5;
        Assert.Equal((runs, 2 * runs), (Figures("curves"), Panels("curves")));
        Assert.Equal((runs, runs), (Figures("confusion"), Panels("confusion")));
        Assert.Equal((runs, runs), (Figures("roc"), Panels("roc")));
        Assert.Equal((runs, runs), (Figures("per-class"), Panels("per-class")));
        // Filters, the input, and the activations of conv1, conv2 and conv3.
        Assert.Equal((runs, 5 * runs), (Figures("inspection"), Panels("inspection")));
        Assert.Equal((runs, StoredExamples()), (Figures("examples"), Panels("examples")));
        Assert.Equal((1, StoreFixture.Examples * StoreFixture.Methods), (Figures("maps"), Panels("maps")));
        Assert.Equal((1, 1), (Figures("drop-increase"), Panels("drop-increase")));
        Assert.Equal((1, 2), (Figures("insertion-deletion"), Panels("insertion-deletion")));
        Assert.Equal((1, 1), (Figures("sanity"), Panels("sanity")));
        Assert.Equal((2, 2 + 1), (Figures("compression"), Panels("compression")));
        Assert.Equal(drawn.Count, report.Figures.Count);
        Assert.Equal(6 * runs + 6, drawn.Count);
    }

    /// <summary>Standard deviation of the pixel values (in [0, 1], all three channels) inside <paramref name="area"/>.</summary>
    private static double PixelStd(Image<Rgb24> image, Rect area)
    {
        double sum = 0, squares = 0;
        long n = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = area.Y; y < area.Bottom; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = area.X; x < area.Right; x++)
                    foreach (double v in new[] { row[x].R, row[x].G, row[x].B })
                    {
                        sum += v / 255;
                        squares += v / 255 * (v / 255);
                        n++;
                    }
            }
        });
        double mean = sum / n;
        return Math.Sqrt(Math.Max(0, squares / n - mean * mean));
    }

    /// <summary>Successes plus failures kept by every train cell's classification report.</summary>
    private int StoredExamples()
    {
        using var s = ResultStore.OpenReadOnly(store.Db);
        return s.Cells().Where(c => c.Kind == "train").Sum(c =>
        {
            var report = JsonNode.Parse(s.Results(c.Key).Tables["classification"])!;
            return report["successes"]!.AsArray().Count + report["failures"]!.AsArray().Count;
        });
    }

    [Fact]
    public void PendingCellsGetNotesOrMessagePanelsInsteadOfFigures()
    {
        var output = store.NewOutput();
        var report = ReportGenerator.Generate(store.MixedDb, output, ReportFormats.Markdown);

        var notes = report.Figures.Where(f => f.File is null).ToList();
        Assert.Equal(2, notes.Count);
        Assert.All(notes, n => Assert.Equal("pending", n.Note));
        Assert.All(notes, n => Assert.EndsWith(" seed=2", n.Caption));

        // The maps figure gains a sixth column whose panels say that its method is pending.
        var maps = report.Figures.Single(f => f.File is not null && Path.GetFileName(f.File).StartsWith("maps-", StringComparison.Ordinal));
        Assert.Equal((StoreFixture.Examples * (StoreFixture.Methods + 1), StoreFixture.Methods + 1), (maps.Panels, maps.Columns));
    }
}
