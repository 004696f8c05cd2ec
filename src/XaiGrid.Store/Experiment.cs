namespace XaiGrid.Store;

/// <summary>An experiment file as it was last planned: its text is kept so a report can say exactly what was run.</summary>
public sealed record Experiment(long Id, string Name, string FilePath, string Definition, string DefinitionHash,
    DateTimeOffset Created, DateTimeOffset Updated);
