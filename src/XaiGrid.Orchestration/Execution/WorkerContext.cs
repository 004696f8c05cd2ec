using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Planning;
using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.TorchExtras;

namespace XaiGrid.Orchestration.Execution;

/// <summary>
/// A worker's caches: data sets by their description and models by (architecture, weights hash), so the many cells
/// of one job load each once. Not thread-safe: one per worker.
/// </summary>
public sealed class WorkerContext(IArtifactSource artifacts) : IDisposable
{
    private readonly OrderedDictionary<string, DatasetSplit> data = new();
    private readonly OrderedDictionary<string, Classifier> models = new();

    public IArtifactSource Artifacts { get; } = artifacts;

    /// <summary>
    /// Where the cells' tensors live: data sets are moved there when loaded, models when their weights are applied
    /// (artifacts are saved from CPU copies). Resolved by the caller (<see cref="Devices.Resolve"/>).
    /// </summary>
    public Device Device { get; init; } = torch.CPU;

    /// <summary>How many models and data sets stay cached; the least recently added go first.</summary>
    public int Capacity { get; init; } = 4;

    public DatasetSplit Data(JsonObject description)
    {
        var key = CanonicalJson.Serialize(description);
        if (data.TryGetValue(key, out var cached)) return cached;
        Evict(data);
        var (spec, options) = CellParameters.ReadData(description);
        var split = DataSpec.Load(spec, options);
        return data[key] = OnDevice(split);
    }

    /// <summary>The trained model of a train cell (its "weights" artifact), in eval mode.</summary>
    public Classifier Model(string arch, DatasetSplit split, DependencyResult train)
    {
        var hash = train.Artifact("weights");
        var key = arch + "/" + hash;
        if (models.TryGetValue(key, out var cached)) return cached;
        Evict(models);
        var model = ModelZoo.Create(arch, split.Train.NumClasses, split.Train.InputShape);
        try
        {
            var weights = SafeTensors.load(Artifacts.Get(hash), $"weights {hash[..12]}");
            try
            {
                WeightFiles.Apply(model, weights, $"weights {hash[..12]}");
            }
            finally
            {
                foreach (var t in weights.Values) t.Dispose();
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.to(Device);
        model.eval();
        return models[key] = model;
    }

    /// <summary><paramref name="split"/> itself on the CPU, else a copy on <see cref="Device"/> (the CPU one is disposed).</summary>
    public DatasetSplit OnDevice(DatasetSplit split)
    {
        if (Device.type == DeviceType.CPU) return split;
        using (split)
            return new DatasetSplit(Moved(split.Train), Moved(split.Test));
    }

    private LabeledDataset Moved(LabeledDataset set) =>
        new(set.Inputs.to(Device), set.Labels.to(Device), set.ClassNames, set.Ids);

    private void Evict<T>(OrderedDictionary<string, T> cache) where T : IDisposable
    {
        while (cache.Count >= Capacity)
        {
            cache.GetAt(0).Value.Dispose();
            cache.RemoveAt(0);
        }
    }

    public void Dispose()
    {
        foreach (var d in data.Values) d.Dispose();
        foreach (var m in models.Values) m.Dispose();
        data.Clear();
        models.Clear();
    }
}
