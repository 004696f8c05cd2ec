using XaiGrid.Orchestration.Execution;
using XaiGrid.Store;

namespace XaiGrid.Orchestration.Coordination;

/// <summary>Artifacts read from the result store through a read-only instance (in the writing process it shares the writer's engine).</summary>
public sealed class StoreArtifactSource(string databasePath) : IArtifactSource, IDisposable
{
    private readonly Lock gate = new();
    private ResultStore? store;

    public byte[] Get(string hash)
    {
        lock (gate)
        {
            store ??= ResultStore.OpenReadOnly(databasePath);
            return store.GetArtifact(hash).Bytes;
        }
    }

    public void Dispose()
    {
        lock (gate) store?.Dispose();
    }
}
