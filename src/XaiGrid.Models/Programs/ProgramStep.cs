using System.Collections;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace XaiGrid.Models.Programs;

/// <summary>
/// One step of a network whose forward pass is a straight line: a named module (the name is the layer name that hooks
/// and explanation methods use), or a parameterless function between modules. A module that computes one of the
/// functions (a global average pooling module, say) carries its operation, so that a program knows what it is. An
/// architecture lists its steps once; its forward runs them through the modules (<see cref="Run"/>, or a forward
/// written to do the same), and <see cref="NetworkProgram"/> compiles them.
/// </summary>
public sealed record ProgramStep(string? Layer, nn.Module<Tensor, Tensor>? Module, ProgramStep.Operation Op)
{
    public enum Operation { Module, Relu, Flatten, GlobalMean }

    public static ProgramStep Of(string layer, nn.Module<Tensor, Tensor> module) => new(layer, module, Operation.Module);

    /// <summary>A functional ReLU (no module, so a hook on the layer before it sees the pre-ReLU output).</summary>
    public static readonly ProgramStep Relu = new(null, null, Operation.Relu);

    /// <summary>A functional flatten from dimension 1 on.</summary>
    public static readonly ProgramStep Flatten = new(null, null, Operation.Flatten);

    /// <summary>The mean over every position (global average pooling): (N, C, ...) to (N, C).</summary>
    public static readonly ProgramStep GlobalMean = new(null, null, Operation.GlobalMean);

    /// <summary>The step through the modules (their hooks run), as the network's forward does.</summary>
    public Tensor Apply(Tensor h) => Module is { } module ? module.call(h) : Op switch
    {
        Operation.Relu => h.relu(),
        Operation.Flatten => h.flatten(1),
        _ => h.mean(Enumerable.Range(2, (int)h.ndim - 2).Select(d => (long)d).ToArray()),
    };

    /// <summary>Runs <paramref name="steps"/> on <paramref name="input"/> through the modules; the result is the caller's.</summary>
    public static Tensor Run(IReadOnlyList<ProgramStep> steps, Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = input;
        foreach (var step in steps) h = step.Apply(h);
        return scope.MoveToOuter(ReferenceEquals(h, input) ? h.alias() : h);
    }
}

/// <summary>
/// Whether a module has forward hooks. TorchSharp 0.107 keeps them in protected dictionaries of
/// <c>HookableModule</c> and has no public query; they are read by reflection. If TorchSharp renames them, every module
/// counts as hooked, so explanation passes go through the modules (correct, only slower).
/// </summary>
public static class ModuleHooks
{
    private static readonly FieldInfo[]? Fields = Find();

    private static FieldInfo[]? Find()
    {
        var type = typeof(nn.Module<Tensor, Tensor>).BaseType;
        if (type is null) return null;
        var fields = new[] { "pre_hooks", "post_hooks", "module_pre_hooks", "module_post_hooks" }
            .Select(name => type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
            .ToArray();
        return fields.All(f => f is not null && typeof(ICollection).IsAssignableFrom(f.FieldType)) ? fields! : null;
    }

    /// <summary>Whether the fields were found (false: <see cref="Any"/> is always true).</summary>
    public static bool Detectable => Fields is not null;

    public static bool Any(nn.Module<Tensor, Tensor> module)
    {
        if (Fields is null) return true;
        foreach (var field in Fields)
            if (field.GetValue(module) is ICollection { Count: > 0 }) return true;
        return false;
    }
}
