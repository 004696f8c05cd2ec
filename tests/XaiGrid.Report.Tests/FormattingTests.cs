using XaiGrid.Report.Data;
using XaiGrid.Report.Tables;

namespace XaiGrid.Report.Tests;

/// <summary>Number formatting and the table writers, against hand-worked values.</summary>
public sealed class FormattingTests
{
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
