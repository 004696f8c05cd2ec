using XaiGrid.Report.Data;
using XaiGrid.Report.Figures;
using XaiGrid.Report.Tables;

namespace XaiGrid.Report.Tests;

/// <summary>Axis ticks, number formatting and the table writers, against hand-worked values.</summary>
public sealed class FormattingTests
{
    [Theory]
    [InlineData(0.03, 0.97, 0, 1, new[] { "0.0", "0.2", "0.4", "0.6", "0.8", "1.0" })]
    [InlineData(40, 1960, 0, 2000, new[] { "0", "500", "1000", "1500", "2000" })]
    [InlineData(-0.7, 2.3, -1, 2.5, new[] { "-1.0", "-0.5", "0.0", "0.5", "1.0", "1.5", "2.0", "2.5" })]
    [InlineData(3, 3, 2.7, 3.3, new[] { "2.7", "2.8", "2.9", "3.0", "3.1", "3.2", "3.3" })]
    public void NiceAxesWidenToWholeTicksOfOneTwoOrFive(double lo, double hi, double axisLo, double axisHi, string[] labels)
    {
        var axis = Axis.Nice(lo, hi);
        Assert.Equal(axisLo, axis.Lo, 12);
        Assert.Equal(axisHi, axis.Hi, 12);
        Assert.Equal(labels, axis.Labels);
    }

    [Fact]
    public void FixedRangesKeepTheirEndsAndMapToPixels()
    {
        var axis = Axis.Nice(0.2, 0.3, (-1, 1));
        Assert.Equal((-1.0, 1.0), (axis.Lo, axis.Hi));
        Assert.Equal(["-1.0", "-0.5", "0.0", "0.5", "1.0"], axis.Labels);
        Assert.Equal(100, axis.Pixel(-1, 100, 300));
        Assert.Equal(200, axis.Pixel(0, 100, 300));
        Assert.Equal(300, axis.Pixel(7, 100, 300));
        // A y axis runs upwards: pixel rows decrease as values grow.
        Assert.Equal(250, axis.Pixel(-0.5, 300, 100));
    }

    [Theory]
    [InlineData(0.123456, 4, "0.1235")]
    [InlineData(-0.00004, 4, "0.0000")]
    [InlineData(-0.5, 2, "-0.50")]
    [InlineData(double.NaN, 2, "NaN")]
    [InlineData(double.NegativeInfinity, 2, "-inf")]
    [InlineData(66.5477532501039, 2, "66.55")]
    public void NumbersHaveFixedDecimalsAndNoNegativeZero(double value, int decimals, string text) =>
        Assert.Equal(text, Format.Fixed(value, decimals));

    [Fact]
    public void CsvQuotesOnlyWhatNeedsQuotingAndMarkdownEscapesWhatItWouldRead()
    {
        var table = new Table("t", "T", ["name", "value"], [["a,b", "say \"hi\""], ["plain", "two\nlines"], ["x|y <b> & *z*", "1"]]);
        Assert.Equal("name,value\n\"a,b\",\"say \"\"hi\"\"\"\nplain,\"two\nlines\"\nx|y <b> & *z*,1\n", table.ToCsv());
        Assert.Equal("| name | value |\n| --- | --- |\n| a,b | say \"hi\" |\n| plain | two lines |\n| x\\|y &lt;b> &amp; \\*z\\* | 1 |\n", table.ToMarkdown());
        Assert.Contains("<td>x|y &lt;b&gt; &amp; *z*</td>", table.ToHtml());
    }

    [Fact]
    public void CodeFencesOutgrowTheBackticksInTheirText()
    {
        Assert.Equal("```yaml\na: 1\n```\n", Markdown.Fence("a: 1\n", "yaml"));
        Assert.Equal("````\nx ``` y\n````\n", Markdown.Fence("x ``` y"));
    }

    [Fact]
    public void FormatsParseFromTheCommandLineForm()
    {
        Assert.Equal(ReportFormats.All, ReportGenerator.ParseFormats("md,html,csv"));
        Assert.Equal(ReportFormats.Csv | ReportFormats.Markdown, ReportGenerator.ParseFormats(" csv , markdown "));
        Assert.Contains("unknown report format 'pdf'", Assert.Throws<ArgumentException>(() => ReportGenerator.ParseFormats("md,pdf")).Message);
        Assert.Throws<ArgumentException>(() => ReportGenerator.ParseFormats(","));
    }
}
