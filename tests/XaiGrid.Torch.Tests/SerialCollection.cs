namespace XaiGrid.Torch.Tests;

/// <summary>Tests that read process-wide state (resident memory, the global generator) run with no other test alongside.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
