using System.Text.Json.Nodes;
using XaiGrid.Store;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace XaiGrid.Report.Data;

/// <summary>A stored cell with its parsed parameters and, once done, its results.</summary>
internal sealed class CellView(CellRecord record, JsonObject parameters, CellResults? results)
{
    public CellRecord Record { get; } = record;
    public JsonObject Parameters { get; } = parameters;

    /// <summary>Null unless the cell is done.</summary>
    public CellResults? Results { get; } = results;

    public string Key => Record.Key;
    public string Kind => Record.Kind;
    public bool Done => Results is not null;

    /// <summary>What a table shows for this cell when it has no values: its state, with the error of a failed cell.</summary>
    public string State => Format.State(Record);

    /// <summary><paramref name="columns"/> value columns of a row about this cell while it has no values (<see cref="Format.Missing"/>).</summary>
    public IEnumerable<string> Missing(int columns) => Format.Missing(Record, columns);

    /// <summary>The train cell a cell about a trained model reads (the planner lists it first).</summary>
    public string? TrainKey => Record.Dependencies.Count > 0 ? Record.Dependencies[0] : null;

    public double Scalar(string name) =>
        Results!.Scalars.TryGetValue(name, out var v) ? v : throw Missing("scalar", name);

    public string Table(string name) =>
        Results!.Tables.TryGetValue(name, out var v) ? v : throw Missing("table", name);

    public string? Artifact(string name) => Results?.Artifacts.GetValueOrDefault(name);

    public string Text(string name) => Format.Value(Parameters[name]);

    public JsonNode Node(string name) => Parameters[name] ?? throw Missing("parameter", name);

    private InvalidDataException Missing(string what, string name) =>
        new($"{Kind} cell {Key} has no {what} '{name}' in the store; was it computed by an older or newer XaiGrid?");
}

/// <summary>
/// One experiment as the store holds it: its cells in planning order (results of the done ones read on one
/// snapshot per cell), how the report names its runs, and the report settings of its experiment file.
/// </summary>
internal sealed class ExperimentData
{
    public const int DefaultExamples = 8;

    private readonly ResultStore store;
    private readonly Dictionary<string, CellView> byKey;

    public Experiment Experiment { get; }
    public StoreStatus Status { get; }
    public IReadOnlyList<CellView> Cells { get; }
    public RunNames Runs { get; }

    /// <summary>How many example inputs the figures show (the file's report.examples).</summary>
    public int Examples { get; }

    private ExperimentData(ResultStore store, Experiment experiment)
    {
        this.store = store;
        Experiment = experiment;
        Status = store.Status(experiment.Id);
        Cells = store.Cells(experimentId: experiment.Id).Select(c => new CellView(c, ParseParameters(c),
            c.State == CellState.Done ? store.Results(c.Key) : null)).ToList();
        byKey = Cells.ToDictionary(c => c.Key);
        Runs = new RunNames(Cells.Where(c => c.Kind == "train").ToList());
        Examples = ReportExamples(experiment);
    }

    public static IReadOnlyList<ExperimentData> Load(ResultStore store) =>
        store.Experiments().Select(e => new ExperimentData(store, e)).ToList();

    public IEnumerable<CellView> OfKind(params string[] kinds) => Cells.Where(c => kinds.Contains(c.Kind));

    public CellView? Cell(string? key) => key is not null && byKey.TryGetValue(key, out var cell) ? cell : null;

    public byte[] ArtifactBytes(string hash) => store.GetArtifact(hash).Bytes;

    /// <summary>An .npy artifact as a tensor (the caller disposes it).</summary>
    public Tensor Npy(string hash) => TorchExtras.Npy.load(ArtifactBytes(hash), $"artifact {hash[..12]}");

    /// <summary>The first <paramref name="count"/> items of an .npy artifact; the rest (a whole test set of maps) is freed at once.</summary>
    public Tensor Npy(string hash, long count)
    {
        using var all = Npy(hash);
        return all.narrow(0, 0, Math.Min(count, all.size(0))).clone();
    }

    private static JsonObject ParseParameters(CellRecord cell) =>
        JsonNode.Parse(cell.Parameters) as JsonObject
        ?? throw new InvalidDataException($"{cell.Kind} cell {cell.Key}: parameters are not a JSON object");

    /// <summary>
    /// report.examples of the stored experiment file. The file was validated when it was planned; text that no longer
    /// reads (an older format) falls back to the default rather than hiding the whole report.
    /// </summary>
    private static int ReportExamples(Experiment experiment)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(experiment.Definition));
        }
        catch (YamlException)
        {
            return DefaultExamples;
        }
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
            && root.Children.TryGetValue(new YamlScalarNode("report"), out var report) && report is YamlMappingNode settings
            && settings.Children.TryGetValue(new YamlScalarNode("examples"), out var node) && node is YamlScalarNode { Value: { } text }
            && int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 0)
            return n;
        return DefaultExamples;
    }
}
