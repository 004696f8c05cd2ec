using ScottPlot;
using SkiaSharp;

namespace XaiGrid.Report.Figures;

/// <summary>
/// The one font of every figure, DejaVu Sans (regular and bold), embedded in this assembly: ScottPlot's SkiaSharp has
/// no fontconfig, and a font found on the machine would make the figures differ between machines.
/// <see cref="Register"/> puts it first among ScottPlot's font resolvers and makes it the default font name, once per
/// process; call it before making a plot, whose styles copy the default font name when they are constructed. The two
/// typefaces live as long as the process (ScottPlot caches them too).
/// </summary>
internal static class ReportFonts
{
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<EmbeddedFontResolver> resolver = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void Register() => _ = resolver.Value;

    public static SKTypeface Regular => resolver.Value.Regular;
    public static SKTypeface Bold => resolver.Value.Bold;

    private static EmbeddedFontResolver Install()
    {
        var embedded = new EmbeddedFontResolver(Load("DejaVuSans.ttf"), Load("DejaVuSans-Bold.ttf"));
        Fonts.FontResolvers.Insert(0, embedded);
        // Every family ScottPlot may ask for by default names ours, so none falls through to the machine's fonts.
        Fonts.Default = Fonts.Sans = Fonts.Serif = Fonts.Monospace = Family;
        return embedded;
    }

    private static SKTypeface Load(string file)
    {
        string name = $"XaiGrid.Report.Fonts.{file}";
        using var stream = typeof(ReportFonts).Assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"the report assembly lacks its embedded font {name}");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidDataException($"embedded font {name} is not a font SkiaSharp can read");
    }

    /// <summary>Answers for our family only (bold from semi-bold up; there is no italic), so other names reach ScottPlot's own resolvers.</summary>
    private sealed class EmbeddedFontResolver(SKTypeface regular, SKTypeface bold) : IFontResolver
    {
        public SKTypeface Regular => regular;
        public SKTypeface Bold => bold;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? weight >= FontWeight.SemiBold ? bold : regular : null;

        public SKTypeface? CreateTypeface(string fontName, bool isBold, bool italic) =>
            CreateTypeface(fontName, isBold ? FontWeight.Bold : FontWeight.Normal, FontSlant.Upright, FontSpacing.Normal);
    }
}
