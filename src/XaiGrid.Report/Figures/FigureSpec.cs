using System.Text.Json.Nodes;
using XaiGrid.Report.Data;
using XaiGrid.Store;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Report.Figures;

/// <summary>
/// A figure the report will draw (<see cref="Build"/> makes it inside a dispose scope, which frees every tensor its
/// panels hold once it is saved), or, with <see cref="Build"/> null, a note saying why there is none (a cell pending
/// or failed). <see cref="Name"/> is the file stem, made from hashes only.
/// </summary>
internal sealed record FigureSpec(string Group, string Name, string Caption, Func<Figure>? Build, string? Note = null)
{
    public static FigureSpec Missing(string group, string caption, string note) => new(group, "", caption, null, note);

    /// <summary>A file stem for a figure about <paramref name="identity"/>: the kind and 12 hex digits of its hash.</summary>
    public static string Stem(string kind, string identity) => $"{kind}-{ContentHash.Of(identity)[..12]}";
}

/// <summary>Reading values the way the report draws them.</summary>
internal static class Values
{
    /// <summary>A JSON number, or the strings "NaN", "Infinity", "-Infinity" that the stores' serializers write for them.</summary>
    public static double Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => double.NaN,
    };

    /// <summary>An image (C, H, W) stretched by its own min and max to [0, 1] for display (inputs are often normalized).</summary>
    public static Tensor Display(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var x = image.to(ScalarType.Float32);
        double lo = x.min().ToDouble(), hi = x.max().ToDouble();
        var unit = hi > lo ? x.sub(lo).div(hi - lo) : torch.zeros_like(x);
        return unit.MoveToOuterDisposeScope();
    }

    /// <summary>One item of a 1-D input (C, L) as the values a line shows: the channel itself, or the mean of several.</summary>
    public static double[] Sequence(Tensor item)
    {
        using var scope = torch.NewDisposeScope();
        return item.to(ScalarType.Float64).reshape(item.size(0), -1).mean([0L]).contiguous().data<double>().ToArray();
    }
}
