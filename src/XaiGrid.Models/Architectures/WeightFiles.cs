using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using XaiGrid.TorchExtras;
using static TorchSharp.torch;

namespace XaiGrid.Models.Architectures;

/// <summary>
/// Weight files under PyTorch's state-dict names, chosen by extension: <c>.safetensors</c> (what XaiGrid writes) and
/// PyTorch checkpoints <c>.pt</c>/<c>.pth</c> holding <c>torch.save(model.state_dict())</c> in PyTorch's zip format
/// (the default since 1.6), read by TorchSharp.PyBridge.
/// </summary>
public static class WeightFiles
{
    public static readonly string[] Extensions = [".safetensors", ".pt", ".pth"];

    /// <summary>Saves <paramref name="model"/>'s state dict as safetensors.</summary>
    public static void Save(string path, nn.Module model)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // state_dict() returns the model's own tensors, not copies: nothing to dispose.
        SafeTensors.save_file(model.state_dict(), path);
    }

    /// <summary>The tensors of a weight file (on the CPU; the caller disposes them); errors name the file.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights file not found: {path}", path);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".safetensors":
                return SafeTensors.load_file(path).ToDictionary();
            case ".pt":
            case ".pth":
                Hashtable table;
                try
                {
                    table = PyTorchUnpickler.UnpickleStateDict(path);
                }
                catch (Exception e) when (e is NotImplementedException or InvalidDataException or InvalidCastException or IOException)
                {
                    throw new InvalidDataException(
                        $"{path}: not a state dict saved by torch.save(model.state_dict()) in PyTorch's zip format: {e.Message}", e);
                }
                // PyBridge returns the OrderedDict as a Hashtable: ordinal name order makes errors and listings repeatable.
                var tensors = new Dictionary<string, Tensor>();
                foreach (var e in table.Cast<DictionaryEntry>().OrderBy(e => e.Key as string, StringComparer.Ordinal))
                {
                    if (e.Key is string name && e.Value is Tensor t) tensors[name] = t;
                    else throw new InvalidDataException($"{path}: entry '{e.Key}' is not a tensor; expected a state dict");
                }
                return tensors;
            default:
                throw new ArgumentException($"{path}: unknown weights file type; expected one of {string.Join(", ", Extensions)}");
        }
    }

    /// <summary>Loads a weight file into <paramref name="model"/>; see <see cref="Apply"/>.</summary>
    public static void Load(string path, nn.Module model)
    {
        var weights = Read(path);
        try
        {
            Apply(model, weights, path);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Copies <paramref name="weights"/> into the model's parameters and buffers. The names must be exactly the model's
    /// state-dict names and the shapes its shapes; otherwise the error names <paramref name="source"/> and the missing
    /// and unexpected names (in state-dict order) or the first mis-shaped tensor, and the model is left unchanged
    /// (TorchSharp's load_state_dict would broadcast a wrong shape silently and names no key).
    /// </summary>
    public static void Apply(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var expected = model.state_dict();
        var arch = model is Classifier c ? c.Arch : model.GetName();
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{source} does not match {arch}: " + string.Join("; ",
                new[] { ("missing keys", missing), ("unexpected keys", unexpected) }.Where(p => p.Item2.Count > 0)
                    .Select(p => $"{p.Item1}: {string.Join(", ", p.Item2)}")));
        foreach (var (name, target) in expected)
        {
            var shape = weights[name].shape;
            if (!shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{source} does not match {arch}: {name}: checkpoint has shape [{string.Join(", ", shape)}] " +
                                               $"but the model has [{string.Join(", ", target.shape)}]");
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in expected) target.copy_(weights[name]);
    }
}
