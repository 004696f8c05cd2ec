using System.Globalization;
using System.Text.Json.Nodes;
using XaiGrid.Store;

namespace XaiGrid.Report.Data;

/// <summary>
/// Every number and status the report prints goes through here: invariant culture, a fixed number of decimals, and
/// one wording for cells that are not done, so the same store always gives the same text.
/// </summary>
internal static class Format
{
    public const string NotPlanned = "n/a";

    public static string Fixed(double value, int decimals)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        var text = value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        // -0.0001 rounded to 4 decimals prints "-0.0000"; the sign would only make equal values differ.
        return text.StartsWith('-') && text.Trim('-', '0', '.').Length == 0 ? text[1..] : text;
    }

    public static string Integer(double value) =>
        double.IsFinite(value) ? ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture) : Fixed(value, 0);

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>What a cell that is not done shows in place of its values: "pending", "running" or "failed: error".</summary>
    public static string State(CellRecord cell) => cell.State switch
    {
        CellState.Pending => "pending",
        CellState.Running => "running",
        CellState.Failed => "failed: " + OneLine(cell.Error ?? "no error recorded"),
        _ => "done",
    };

    /// <summary>The state in one word: what the other value columns of a row show once its first one gave the full state.</summary>
    public static string Short(CellState state) => state switch
    {
        CellState.Pending => "pending",
        CellState.Running => "running",
        CellState.Failed => "failed",
        _ => "done",
    };

    /// <summary>
    /// The values of a row whose cell has none: its full state (with the error) in the first column and the state in one
    /// word in the others, so that every value column says why it is empty and an error is read once per row.
    /// </summary>
    public static IEnumerable<string> Missing(CellRecord cell, int columns) =>
        columns == 0 ? [] : Enumerable.Repeat(Short(cell.State), columns - 1).Prepend(State(cell));

    /// <summary>The one-word state of a group that has no done cell: failed if any failed, else running if any runs, else pending.</summary>
    public static string Short(IEnumerable<CellRecord> cells)
    {
        var states = cells.Select(c => c.State).ToHashSet();
        return Short(states.Contains(CellState.Failed) ? CellState.Failed : states.Contains(CellState.Running) ? CellState.Running : CellState.Pending);
    }

    /// <summary>
    /// How a group of cells stands when not all are done, e.g. "3 done, 1 pending, failed: out of memory"; null when
    /// all are done. Distinct errors are listed once each, in key order of their cells.
    /// </summary>
    public static string? GroupState(IEnumerable<CellRecord> cells)
    {
        var list = cells.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        if (list.All(c => c.State == CellState.Done)) return null;
        var parts = new List<string>();
        foreach (var state in new[] { CellState.Done, CellState.Running, CellState.Pending })
        {
            int n = list.Count(c => c.State == state);
            if (n > 0) parts.Add($"{n} {State(list.First(c => c.State == state))}");
        }
        var failed = list.Where(c => c.State == CellState.Failed).ToList();
        if (failed.Count > 0)
            parts.Add($"{failed.Count} {string.Join("; ", failed.Select(State).Distinct())}");
        return string.Join(", ", parts);
    }

    /// <summary>Errors can span lines (stack traces, lists of problems): tables get them on one line, at most 200 characters.</summary>
    public static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 200 ? line : line[..197] + "...";
    }

    /// <summary>A JSON scalar as it would be written in an experiment file: strings bare, numbers as stored.</summary>
    public static string Value(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}

/// <summary>Orders JSON scalars as a reader expects: numbers by value, then everything else by its text.</summary>
internal sealed class JsonValueComparer : IComparer<JsonNode?>
{
    public static readonly JsonValueComparer Instance = new();

    public int Compare(JsonNode? a, JsonNode? b)
    {
        bool na = Number(a, out double x), nb = Number(b, out double y);
        if (na && nb) return x.CompareTo(y);
        if (na != nb) return na ? -1 : 1;
        return string.CompareOrdinal(Format.Value(a), Format.Value(b));
    }

    private static bool Number(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value);
    }
}
