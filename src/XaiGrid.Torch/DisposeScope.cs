namespace XaiGrid.Torch;

/// <summary>
/// Frees every tensor created on this thread while it is the innermost open scope, except those moved
/// out (<see cref="MoveToOuter"/> or <see cref="Tensor.MoveToOuterDisposeScope"/>), as TorchSharp's
/// <c>torch.NewDisposeScope()</c> does. Scopes nest; a moved tensor joins the enclosing scope, if any.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly List<Tensor> tensors = new();
    private readonly DisposeScope? outer;
    private bool disposed;

    internal DisposeScope()
    {
        outer = current;
        current = this;
    }

    internal static DisposeScope? Current => current;

    /// <summary>How many live tensors the scope holds.</summary>
    public int Count => tensors.Count;

    internal void Add(Tensor t)
    {
        tensors.Add(t);
        t.Scope = this;
    }

    internal void Remove(Tensor t)
    {
        // Tensors usually leave in the reverse order they came in: search from the end.
        int i = tensors.LastIndexOf(t);
        if (i >= 0) tensors.RemoveAt(i);
        t.Scope = null;
    }

    /// <summary>Makes this scope own tensors created elsewhere (e.g. by an iterator before the scope opened).</summary>
    public void Attach(params Tensor[] tensors)
    {
        foreach (var t in tensors)
        {
            t.Scope?.Remove(t);
            Add(t);
        }
    }

    /// <summary>Keeps <paramref name="t"/> alive past this scope; it joins the enclosing scope.</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        Remove(t);
        LiveOuter?.Add(t);
        return t;
    }

    public (Tensor, Tensor) MoveToOuter(Tensor a, Tensor b) => (MoveToOuter(a), MoveToOuter(b));

    /// <summary>Keeps <paramref name="t"/> alive and owned by no scope: the caller disposes it.</summary>
    public Tensor Detach(Tensor t)
    {
        Remove(t);
        return t;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        tensors.Clear();
        // Scopes close innermost first; if an outer one is closed early the inner ones stay valid.
        if (current == this) current = LiveOuter;
    }

    /// <summary>The nearest enclosing scope still open: one closed out of order must not collect new tensors.</summary>
    private DisposeScope? LiveOuter
    {
        get
        {
            var s = outer;
            while (s is { disposed: true }) s = s.outer;
            return s;
        }
    }
}
