using TorchSharp;
using static TorchSharp.torch;
using XaiGrid.Orchestration.Execution;

namespace XaiGrid.Orchestration.Workers;

/// <summary>
/// Runs the cells a worker takes, one at a time; a worker with N concurrent cells has N runners, each made and used on
/// its own thread (libtorch dispose scopes are per thread).
/// </summary>
public interface ICellRunner : IDisposable
{
    CellOutput Run(WorkItem item, CancellationToken cancel);
}

/// <summary>The real thing: <see cref="CellExecutor"/> with a <see cref="WorkerContext"/> that caches data and models.</summary>
/// <param name="owned">Disposed with the runner (the artifact source, when it is the runner's own).</param>
public sealed class ExecutorCellRunner(IArtifactSource artifacts, Device? device = null, IDisposable? owned = null) : ICellRunner
{
    private readonly WorkerContext context = new(artifacts) { Device = device ?? torch.CPU };

    public CellOutput Run(WorkItem item, CancellationToken cancel) => new CellExecutor(context).Execute(item, cancel);

    public void Dispose()
    {
        context.Dispose();
        owned?.Dispose();
    }
}
