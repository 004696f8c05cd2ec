namespace XaiGrid.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A layer or model, as torch.nn.Module: named parameters, buffers and submodules, train/eval mode, state
        /// dicts with PyTorch's names, and forward hooks. A module owns what it registers and disposes it with itself.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly OrderedDictionary<string, Tensor?> parameters_ = new();
            private readonly OrderedDictionary<string, Tensor?> buffers_ = new();
            private readonly HashSet<string> nonPersistent = new();
            private readonly OrderedDictionary<string, Module> modules_ = new();
            private readonly List<ForwardHook> forwardHooks = new();
            private bool disposed;

            public bool training { get; private set; } = true;

            /// <summary>Whether a forward hook is registered on this module (not its submodules).</summary>
            public bool has_forward_hooks => forwardHooks.Count > 0;

            /// <summary>
            /// The computation. It returns a new tensor, owned by the caller; call <see cref="call"/> rather than this,
            /// so that forward hooks run.
            /// </summary>
            public abstract Tensor forward(Tensor input);

            /// <summary>Runs <see cref="forward"/>, then the forward hooks in the order they were registered.</summary>
            public Tensor call(Tensor input)
            {
                var output = forward(input);
                // The caller owns the result and may dispose it apart from the input.
                if (ReferenceEquals(output, input)) output = input.alias();
                try
                {
                    // A copy, so that a hook may remove itself while the hooks run.
                    foreach (var hook in forwardHooks.ToArray())
                    {
                        var replacement = hook.Function(this, input, output);
                        if (replacement is null || ReferenceEquals(replacement, output)) continue;
                        if (ReferenceEquals(replacement, input)) replacement = input.alias();
                        output.Dispose();
                        output = replacement;
                    }
                }
                catch
                {
                    output.Dispose();
                    throw;
                }
                return output;
            }

            /// <summary>
            /// Registers <paramref name="hook"/>(module, input, output), run after every forward of this module. It
            /// may return null to leave the output as is, or a new tensor that replaces it (the replaced output is
            /// then disposed). The output belongs to the call: a hook that keeps it past the call (e.g. to read its
            /// gradient after backward, as Grad-CAM does) keeps its own handle, <c>output.alias().DetachFromDisposeScope()</c>,
            /// since the output may be disposed by the module that consumes it or by a scope inside the model's forward.
            /// </summary>
            public RemovableHandle register_forward_hook(Func<Module, Tensor, Tensor, Tensor?> hook)
            {
                var entry = new ForwardHook(hook);
                forwardHooks.Add(entry);
                return new RemovableHandle(() => forwardHooks.Remove(entry));
            }

            // A class, not a record: a handle removes its own entry even when one delegate is registered twice.
            private sealed class ForwardHook(Func<Module, Tensor, Tensor, Tensor?> function)
            {
                public readonly Func<Module, Tensor, Tensor, Tensor?> Function = function;
            }

            // ---- registration ----

            /// <summary>
            /// Adds a parameter (null for an absent optional one, as a Conv's bias=false). The module takes
            /// ownership; the tensor must be a leaf and is set to require grad unless <paramref name="requires_grad"/>
            /// is false. Registering a name again replaces (and disposes) the previous parameter.
            /// </summary>
            public void register_parameter(string name, Tensor? parameter, bool requires_grad = true)
            {
                CheckName(name, "parameter", parameters_);
                if (parameter is not null)
                {
                    if (!parameter.is_leaf)
                        throw new TorchException($"{GetType().Name}: parameter '{name}' must be a leaf tensor (one not computed from others); pass a detached copy");
                    parameter.DetachFromDisposeScope().requires_grad = requires_grad;
                }
                Replace(parameters_, name, parameter);
            }

            /// <summary>
            /// Adds a buffer: state that is not trained (BatchNorm's running statistics). Persistent buffers are part
            /// of the state dict. The module takes ownership.
            /// </summary>
            public void register_buffer(string name, Tensor? buffer, bool persistent = true)
            {
                CheckName(name, "buffer", buffers_);
                buffer?.DetachFromDisposeScope();
                Replace(buffers_, name, buffer);
                if (persistent) nonPersistent.Remove(name);
                else nonPersistent.Add(name);
            }

            /// <summary>Adds a submodule; its parameters appear under "name.". The module takes ownership.</summary>
            public void register_module(string name, Module module)
            {
                ArgumentNullException.ThrowIfNull(module);
                if (ReferenceEquals(module, this)) throw new ArgumentException($"{GetType().Name} can't be its own submodule '{name}'");
                CheckName(name, "module", modules_);
                if (modules_.TryGetValue(name, out var old) && !ReferenceEquals(old, module)) old.Dispose();
                modules_[name] = module;
            }

            private void CheckName<T>(string name, string kind, OrderedDictionary<string, T> own)
            {
                if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{GetType().Name}: a {kind} name can't be empty");
                if (name.Contains('.')) throw new ArgumentException($"{GetType().Name}: {kind} name '{name}' can't contain \".\"");
                bool taken = !ReferenceEquals(own, parameters_) && parameters_.ContainsKey(name)
                    || !ReferenceEquals(own, buffers_) && buffers_.ContainsKey(name)
                    || !ReferenceEquals(own, modules_) && modules_.ContainsKey(name);
                if (taken) throw new ArgumentException($"{GetType().Name}: '{name}' is already registered as another kind of member than a {kind}");
            }

            private static void Replace(OrderedDictionary<string, Tensor?> members, string name, Tensor? value)
            {
                if (members.TryGetValue(name, out var old) && old is not null && !ReferenceEquals(old, value)) old.Dispose();
                members[name] = value;
            }

            /// <summary>This module's own parameter <paramref name="name"/>, or null if it is registered as absent.</summary>
            protected Tensor? GetParameterOrNull(string name) =>
                parameters_.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'");

            /// <summary>This module's own buffer <paramref name="name"/>, or null if it is registered as absent.</summary>
            protected Tensor? GetBufferOrNull(string name) =>
                buffers_.TryGetValue(name, out var b) ? b : throw new KeyNotFoundException($"{GetType().Name} has no buffer '{name}'");

            // ---- traversal ----

            /// <summary>This module ("") and every submodule below it, depth first, with dotted names like "features.7".</summary>
            public IEnumerable<(string name, Module module)> named_modules()
            {
                yield return ("", this);
                foreach (var (name, child) in modules_)
                foreach (var (sub, module) in child.named_modules())
                    yield return (Join(name, sub), module);
            }

            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            public IEnumerable<(string name, Module module)> named_children() => modules_.Select(kv => (kv.Key, kv.Value));

            public IEnumerable<Module> children() => modules_.Values;

            /// <summary>
            /// The parameters themselves (not copies), with PyTorch's names. They belong to the module: don't
            /// dispose them.
            /// </summary>
            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true) =>
                Members(recurse, m => m.parameters_);

            public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true) =>
                Members(recurse, m => m.buffers_);

            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            private IEnumerable<(string, Tensor)> Members(bool recurse, Func<Module, OrderedDictionary<string, Tensor?>> of)
            {
                foreach (var (prefix, module) in recurse ? named_modules() : [("", this)])
                foreach (var (name, t) in of(module))
                    if (t is not null) yield return (Join(prefix, name), t);
            }

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : name.Length == 0 ? prefix : $"{prefix}.{name}";

            /// <summary>The submodule at a dotted path ("features.7"; "" is this module).</summary>
            public Module get_submodule(string target)
            {
                foreach (var (name, module) in named_modules())
                    if (name == target) return module;
                var names = named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
                throw new KeyNotFoundException(
                    $"{GetType().Name} has no submodule '{target}'; its submodules are: {(names.Count == 0 ? "(none)" : string.Join(", ", names))}");
            }

            // ---- modes and gradients ----

            /// <summary>Sets training mode (dropout active, BatchNorm on batch statistics) here and below.</summary>
            public void train(bool mode = true)
            {
                foreach (var module in modules()) module.training = mode;
            }

            public void eval() => train(false);

            /// <summary>Drops every parameter's gradient (PyTorch's zero_grad with set_to_none=True).</summary>
            public void zero_grad()
            {
                foreach (var p in parameters()) p.grad = null;
            }

            /// <summary>
            /// Moves parameters and buffers to <paramref name="device"/> and casts the floating-point ones to
            /// <paramref name="dtype"/>. A moved parameter is a new tensor: make optimizers after moving.
            /// </summary>
            internal void Convert(Device? device, ScalarType? dtype)
            {
                foreach (var module in modules())
                {
                    ConvertAll(module.parameters_, device, dtype, asParameter: true);
                    ConvertAll(module.buffers_, device, dtype, asParameter: false);
                }
            }

            private static void ConvertAll(OrderedDictionary<string, Tensor?> members, Device? device, ScalarType? dtype, bool asParameter)
            {
                foreach (var name in members.Keys.ToArray())
                {
                    var t = members[name];
                    if (t is null) continue;
                    var targetType = dtype is { } d && IsFloating(t.dtype) ? d : t.dtype;
                    var targetDevice = device ?? t.device;
                    if (targetType == t.dtype && targetDevice == t.device) continue;
                    Tensor moved;
                    using (var detached = t.detach()) moved = detached.to(targetType, targetDevice).DetachFromDisposeScope();
                    if (asParameter) moved.requires_grad = t.requires_grad;
                    t.Dispose();
                    members[name] = moved;
                }
            }

            private static bool IsFloating(ScalarType t) => t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64;

            // ---- state dicts ----

            /// <summary>
            /// Parameters and persistent buffers by PyTorch's names, in PyTorch's order (a module's parameters, then
            /// its buffers, then its submodules'). The entries are new handles that share storage with the module's
            /// tensors (PyTorch's detached state-dict tensors): the caller disposes them, and they change when the
            /// module is trained further.
            /// </summary>
            public Dictionary<string, Tensor> state_dict()
            {
                // Only ever appended to, so it enumerates in insertion order.
                var dict = new Dictionary<string, Tensor>();
                foreach (var (name, t) in StateEntries()) dict.Add(name, t.detach());
                return dict;
            }

            private IEnumerable<(string name, Tensor tensor)> StateEntries()
            {
                foreach (var (prefix, module) in named_modules())
                {
                    foreach (var (name, p) in module.parameters_)
                        if (p is not null) yield return (Join(prefix, name), p);
                    foreach (var (name, b) in module.buffers_)
                        if (b is not null && !module.nonPersistent.Contains(name)) yield return (Join(prefix, name), b);
                }
            }

            /// <summary>
            /// Copies the values of <paramref name="state_dict"/> into this module's parameters and buffers (converting
            /// dtype and device). With <paramref name="strict"/>, missing and unexpected keys are errors; shapes must
            /// always match. Everything is checked before anything is copied, so a failed load changes nothing.
            /// </summary>
            public (IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys) load_state_dict(
                IReadOnlyDictionary<string, Tensor> state_dict, bool strict = true)
            {
                var own = StateEntries().ToList();
                var ownNames = own.Select(e => e.name).ToHashSet();
                var missing = own.Where(e => !state_dict.ContainsKey(e.name)).Select(e => e.name).ToList();
                var unexpected = state_dict.Keys.Where(k => !ownNames.Contains(k)).ToList();
                var problems = new List<string>();
                if (strict && missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
                if (strict && unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
                foreach (var (name, target) in own)
                {
                    if (!state_dict.TryGetValue(name, out var source)) continue;
                    long[] want = target.shape, have = source.shape;
                    if (!want.SequenceEqual(have))
                        problems.Add($"{name}: checkpoint has shape [{string.Join(", ", have)}] but the model has [{string.Join(", ", want)}]");
                }
                if (problems.Count > 0)
                    throw new TorchException($"error(s) loading a state dict into {GetType().Name}:\n\t{string.Join("\n\t", problems)}");
                using (no_grad())
                {
                    foreach (var (name, target) in own)
                        if (state_dict.TryGetValue(name, out var source)) target.copy_(source);
                }
                return (missing, unexpected);
            }

            // ---- disposal ----

            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            protected virtual void Dispose(bool disposing)
            {
                if (disposed || !disposing) return;
                disposed = true;
                foreach (var t in parameters_.Values) t?.Dispose();
                foreach (var t in buffers_.Values) t?.Dispose();
                foreach (var m in modules_.Values) m.Dispose();
                forwardHooks.Clear();
            }
        }

        /// <summary>Removes a hook when disposed (or on <see cref="remove"/>), as PyTorch's RemovableHandle.</summary>
        public sealed class RemovableHandle : IDisposable
        {
            private Action? removeAction;

            internal RemovableHandle(Action remove) => removeAction = remove;

            public void remove()
            {
                removeAction?.Invoke();
                removeAction = null;
            }

            public void Dispose() => remove();
        }
    }
}

/// <summary>Conversions that return the module's own type, so they chain: <c>var m = torch.nn.Linear(4, 2).to(device)</c>.</summary>
public static class ModuleExtensions
{
    /// <summary>Moves parameters and buffers to <paramref name="device"/> (PyTorch's module.to(device)).</summary>
    public static T to<T>(this T module, Device device) where T : torch.nn.Module
    {
        module.Convert(device, null);
        return module;
    }

    /// <summary>Casts floating-point parameters and buffers to <paramref name="dtype"/>; integer buffers are kept.</summary>
    public static T to<T>(this T module, ScalarType dtype) where T : torch.nn.Module
    {
        module.Convert(null, dtype);
        return module;
    }

    public static T to<T>(this T module, ScalarType dtype, Device device) where T : torch.nn.Module
    {
        module.Convert(device, dtype);
        return module;
    }
}
