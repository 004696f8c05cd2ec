using System.Text.Json.Nodes;
using XaiGrid.Data;
using XaiGrid.Models.Architectures;
using XaiGrid.Models.Training;
using XaiGrid.Orchestration.Planning;
using XaiGrid.Torch;

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

    /// <summary>How many models and data sets stay cached; the least recently added go first.</summary>
    public int Capacity { get; init; } = 4;

    public DatasetSplit Data(JsonObject description)
    {
        var key = CanonicalJson.Serialize(description);
        if (data.TryGetValue(key, out var cached)) return cached;
        Evict(data);
        var (spec, options) = CellParameters.ReadData(description);
        return data[key] = DataSpec.Load(spec, options);
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
            var weights = torch.safetensors.load(Artifacts.Get(hash), $"weights {hash[..12]}");
            try
            {
                model.load_state_dict(weights);
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
        model.eval();
        return models[key] = model;
    }

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
