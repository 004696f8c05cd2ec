namespace XaiGrid.Orchestration.Tests.Runs;

/// <summary>
/// `xaigrid run` on a malformed experiment prints each problem on one line as file:line:column: message, exits with
/// 2 and writes nothing: no database file, not even its folder.
/// </summary>
[Collection(RunsCollection.Name)]
public class CliValidationTests
{
    private const string Methods = "gradient, gradient-x-input, smoothgrad, integrated-gradients, gradcam, gradcam++, rise, occlusion, lime, influence";

    private const string ModelKeys =
        "arch, data, optimizer, lr, momentum, weight_decay, batch_size, epochs, steps, nesterov, shuffle, schedule, step_size, gamma, augment, seeds";

    /// <summary>A broken copy of the tiny experiment and the lines the program must print about it.</summary>
    public static TheoryData<string, (string From, string To)[], string[]> Broken => new()
    {
        // "    seeds: [0]]": the stray ']' is line 13, column 15.
        { "bad YAML", [("seeds: [0]", "seeds: [0]]")], ["bad.yaml:13:15: not valid YAML: "] },
        { "unknown key", [("    shuffle: false\n", "    shuffle: false\n    lrate: 0.1\n")],
            [$"bad.yaml:13:5: unknown key 'lrate'; allowed here: {ModelKeys}"] },
        { "wrong type", [("steps: 200", "steps: many")], ["bad.yaml:11:12: steps must be "] },
        { "unknown method", [("method: rise", "method: rice")], [$"bad.yaml:21:18: unknown method 'rice'; known: {Methods}"] },
        { "missing dataset path", [("spec: mnist1d", "spec: ./no-such-data")],
            ["bad.yaml:3:19: missing dataset path './no-such-data' (relative paths resolve against {folder})"] },
        // Every problem is reported, in file order, not just the first.
        {
            "four problems", [("spec: mnist1d", "spec: ./no-such-data"), ("steps: 200", "steps: many"),
                ("    shuffle: false\n", "    shuffle: false\n    lrate: 0.1\n"), ("method: rise", "method: rice")],
            ["4 problems:", "bad.yaml:3:19: missing dataset path", "bad.yaml:11:12: steps must be ", "bad.yaml:13:5: unknown key 'lrate'",
                "bad.yaml:22:18: unknown method 'rice'"]
        },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void MalformedExperimentPrintsWhereAndExitsTwoWritingNothing(string what, (string From, string To)[] edits, string[] expected)
    {
        using var folder = new TempFolder();
        var yaml = edits.Aggregate(TinyExperiment.Yaml, (text, edit) => TinyExperiment.With(text, edit.From, edit.To));
        TinyExperiment.Write(folder.Path, yaml, "bad.yaml");

        var (exit, stdout, stderr) = XaigridProgram.Run(folder.Path, "run", "bad.yaml", "--db", Path.Combine("out", "x.db"));

        Assert.True(exit == 2, $"{what}: exit {exit}\n{stdout}\n{stderr}");
        var lines = stdout.Split('\n').Select(l => l.Trim()).ToList();
        int at = lines.FindIndex(l => l.Contains("the experiment file has problems:"));
        Assert.True(at >= 0, stdout);
        var problems = lines.Skip(at + 1).Where(l => l.Length > 0).ToList();
        Assert.Equal(expected.Length, problems.Count);
        foreach (var (line, prefix) in problems.Zip(expected.Select(e => e.Replace("{folder}", folder.Path))))
        {
            // A prefix that ends a sentence is the whole problem: it must not be wrapped onto a second line.
            if (prefix.EndsWith(')') || prefix.EndsWith(Methods) || prefix.EndsWith(ModelKeys)) Assert.Equal(prefix, line);
            else Assert.StartsWith(prefix, line);
        }
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "out")), $"{what}: the database folder was created");
    }
}
