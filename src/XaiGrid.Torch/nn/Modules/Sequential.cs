namespace XaiGrid.Torch.Modules
{
    /// <summary>Runs its modules in order, each on the previous one's output. Unnamed entries are named "0", "1", ...</summary>
    public sealed class Sequential : torch.nn.Module
    {
        internal Sequential(IEnumerable<(string name, torch.nn.Module module)> modules)
        {
            foreach (var (name, module) in modules) register_module(name, module);
        }

        public int Count => children().Count();

        public torch.nn.Module this[int index] =>
            index >= 0 && index < Count ? children().ElementAt(index)
                : throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential has {Count} modules");

        public torch.nn.Module this[string name] => get_submodule(name);

        /// <summary>Adds <paramref name="module"/> at the end, named by its position as PyTorch's append does.</summary>
        public void append(torch.nn.Module module) => register_module(Count.ToString(), module);

        public override Tensor forward(Tensor input)
        {
            var x = input;
            try
            {
                foreach (var module in children())
                {
                    var next = module.call(x);
                    // Intermediate outputs go as soon as they are consumed; autograd keeps what it needs itself.
                    if (!ReferenceEquals(x, input)) x.Dispose();
                    x = next;
                }
            }
            catch
            {
                if (!ReferenceEquals(x, input)) x.Dispose();
                throw;
            }
            return x;
        }
    }
}

namespace XaiGrid.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>A Sequential whose modules are named "0", "1", ... (PyTorch's nn.Sequential(*modules)).</summary>
            public static Modules.Sequential Sequential(params Module[] modules) =>
                new(modules.Select((m, i) => (i.ToString(), m)));

            /// <summary>A Sequential with named modules (PyTorch's nn.Sequential(OrderedDict(...))).</summary>
            public static Modules.Sequential Sequential(params (string name, Module module)[] modules) => new(modules);
        }
    }
}
