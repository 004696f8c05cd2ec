using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Experiments;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// Expands an experiment into cells (<see cref="CellKinds"/>), in an order where every cell follows its
/// dependencies:
/// <list type="bullet">
/// <item>one train cell per model run (grid point x seed);</item>
/// <item>per explanation job, run and method: explain-partial cells over input ranges (partition.inputs_per_cell)
/// and, for sampled methods, sample ranges (partition.samples_per_cell), and one merge-maps cell over them;</item>
/// <item>per evaluation, run and method: a metric cell reading the train and merge-maps cells (a sanity-check cell
/// reads only the train cell: it computes its own maps);</item>
/// <item>per class-wide influence job, run and class: influence-partial cells over instance ranges
/// (partition.instances_per_cell) and a merge-influence cell; per-instance influence runs as the influence method;</item>
/// <item>per compression job, run, class, top and bottom: a compression-point cell reading the train cell and the
/// class's merge-influence cell (q = S_c over the class's training instances), planned here if no influence job
/// did; equal descriptions have equal keys, so shared cells appear once.</item>
/// </list>
/// Inputs are described by their selector and a position range within it; counting "all" or "class c" needs
/// <paramref name="catalog"/>. Problems that only the counts reveal (a class the data does not have, an empty
/// selection) are all reported at once as an <see cref="ExperimentValidationException"/>.
/// </summary>
public sealed class Planner(IDataCatalog? catalog = null)
{
    public ExperimentPlan Plan(ExperimentDefinition experiment)
    {
        var session = new Session(experiment, catalog);
        session.Run();
        return new ExperimentPlan(experiment.Name, session.Cells);
    }

    private sealed record Trained(ModelRun Run, DataEntry Data, string Key);

    private sealed class Session(ExperimentDefinition experiment, IDataCatalog? catalog)
    {
        private readonly List<CellSpec> cells = [];
        private readonly HashSet<string> keys = [];
        private readonly List<ExperimentProblem> problems = [];
        private readonly Dictionary<string, IReadOnlyList<Trained>> runs = [];
        private readonly Dictionary<(string Job, string Train, int Method), string?> maps = [];

        public IReadOnlyList<CellSpec> Cells => cells;

        private PartitionSettings Partition => experiment.Partition;

        public void Run()
        {
            foreach (var model in experiment.Models) runs[model.Name] = Train(model);
            foreach (var job in experiment.Explanations)
            {
                foreach (var run in runs[job.Model])
                {
                    for (int m = 0; m < job.Methods.Count; m++)
                        maps[(job.Name, run.Key, m)] = Explain(run, job.Methods[m], job.Inputs, job.Target, job.Name);
                }
            }
            foreach (var evaluation in experiment.Evaluations) Evaluate(evaluation);
            foreach (var job in experiment.Influence) Influence(job);
            foreach (var job in experiment.Compression) Compress(job);
            if (problems.Count > 0) throw new ExperimentValidationException(problems.Distinct().ToList());
        }

        private string Add(string stage, string kind, JsonObject parameters, IReadOnlyList<string> dependencies, string label)
        {
            var cell = CellSpec.Create(stage, kind, parameters, dependencies, label);
            if (keys.Add(cell.Key)) cells.Add(cell);
            return cell.Key;
        }

        private List<Trained> Train(ModelDefinition model)
        {
            var data = experiment.DataNamed(model.Data);
            return model.Runs().Select(run =>
            {
                var parameters = new JsonObject
                {
                    ["arch"] = model.Arch,
                    ["data"] = CellParameters.Data(data),
                    ["training"] = CellParameters.Training(run.Options),
                };
                return new Trained(run, data, Add(CellKinds.TrainStage, CellKinds.Train, parameters, [], run.Label));
            }).ToList();
        }

        /// <summary>What every cell about a trained model carries: the architecture and the data (weights come from the train cell).</summary>
        private static JsonObject Base(Trained run) => new()
        {
            ["arch"] = run.Run.Model.Arch,
            ["data"] = CellParameters.Data(run.Data),
        };

        private static JsonObject Maps(Trained run, MethodSpec method, InputSelector inputs, string target)
        {
            var parameters = Base(run);
            parameters["method"] = method.Method;
            parameters["params"] = method.TypedParameters();
            parameters["inputs"] = inputs.ToJson();
            parameters["target"] = target;
            return parameters;
        }

        /// <summary>The partial cells of one (run, method) job and its merge; returns the merge's key (null after a problem).</summary>
        private string? Explain(Trained run, MethodSpec method, InputSelector inputs, string target, string job)
        {
            if (InputCount(run, inputs) is not { } count) return null;
            long? samples = SampledMethods.CountParameter.TryGetValue(method.Method, out var countParameter)
                ? method.TypedParameters()[countParameter]!.GetValue<long>() : null;
            string what = $"{run.Run.Label} / {job}: {method.Describe()}";
            var partials = new List<string>();
            foreach (var (start, end) in Ranges(count, Partition.InputsPerCell))
            {
                foreach (var (first, last) in samples is { } n ? Ranges(n, Partition.SamplesPerCell ?? n) : [(0L, 0L)])
                {
                    var parameters = Maps(run, method, inputs, target);
                    parameters["input_range"] = new JsonArray(start, end);
                    string label = $"{what} inputs {start}-{end - 1}";
                    if (samples is not null)
                    {
                        parameters["sample_range"] = new JsonArray(first, last);
                        label += $" samples {first}-{last - 1}";
                    }
                    partials.Add(Add(CellKinds.ExplainStage, CellKinds.ExplainPartial, parameters, [run.Key], label));
                }
            }
            var merge = Maps(run, method, inputs, target);
            merge["count"] = count;
            if (samples is { } total) merge["samples"] = total;
            // The merge reads the model too: finishing a sampled method's sums (RISE's 1/p1, LIME's regression) needs the method.
            return Add(CellKinds.MergeStage, CellKinds.MergeMaps, merge, [run.Key, .. partials], $"{what} merged");
        }

        private void Evaluate(EvaluationJob evaluation)
        {
            var job = experiment.ExplanationNamed(evaluation.Explanations);
            foreach (var run in runs[job.Model])
            {
                for (int m = 0; m < job.Methods.Count; m++)
                {
                    var method = job.Methods[m];
                    if (evaluation.Method is { } only && method.Method != only) continue;
                    var parameters = Maps(run, method, job.Inputs, job.Target);
                    parameters["metric"] = evaluation.MetricParameters();
                    string label = $"{run.Run.Label} / {job.Name}: {method.Describe()} {evaluation.Metric}";
                    if (evaluation.Metric == EvaluationJob.SanityCheck)
                        Add(CellKinds.SanityStage, evaluation.Metric, parameters, [run.Key], label);
                    else if (maps[(job.Name, run.Key, m)] is { } merged)
                        Add(CellKinds.EvaluateStage, evaluation.Metric, parameters, [run.Key, merged], label);
                }
            }
        }

        private void Influence(InfluenceJob job)
        {
            foreach (var run in runs[job.Model])
            {
                if (job.Distribution is not DistributionOfInterestSpec.Classes classWide)
                {
                    if (catalog is not null) CheckQuantity(job, Counts(run, $"influence '{job.Name}'"), run.Data);
                    Explain(run, job.AsMethod(), job.Inputs!, ExplanationJob.Targets[0], $"influence {job.Name}");
                    continue;
                }
                var counts = Counts(run, $"influence '{job.Name}'");
                if (!CheckQuantity(job, counts, run.Data)) continue;
                foreach (var c in Classes(classWide.Selection, counts, run.Data))
                    ClassInfluence(run, job.Layer, job.Quantity.ToJson(c), c, classWide.Split, classWide.Selection.Location);
            }
        }

        private void Compress(CompressionJob job)
        {
            foreach (var run in runs[job.Model])
            {
                var counts = Counts(run, $"compression '{job.Name}'");
                foreach (var c in Classes(job.Classes, counts, run.Data))
                {
                    var quantity = new QuantityOfInterestSpec.Class(c).ToJson(c);
                    if (ClassInfluence(run, job.Layer, quantity, c, DistributionOfInterestSpec.DefaultSplit, job.Classes.Location) is not { } influence)
                        continue;
                    foreach (var top in job.Top)
                    {
                        foreach (var bottom in job.Bottom)
                        {
                            var parameters = Base(run);
                            parameters["layer"] = job.Layer;
                            parameters["class"] = c;
                            parameters["top"] = top;
                            parameters["bottom"] = bottom;
                            parameters["aggregate"] = job.Aggregate;
                            Add(CellKinds.CompressionStage, CellKinds.CompressionPoint, parameters, [run.Key, influence],
                                $"{run.Run.Label} / compression {job.Name}: {job.Layer} class {c} top {top} bottom {bottom}");
                        }
                    }
                }
            }
        }

        /// <summary>Class-wide influence of class <paramref name="c"/>'s instances: partials and their merge (its key).</summary>
        private string? ClassInfluence(Trained run, string layer, JsonObject quantity, int c, string split, SourceLocation location)
        {
            long count = Counts(run, $"class-wide influence at {layer}").Count(split, c);
            if (count == 0)
            {
                problems.Add(new ExperimentProblem(location, $"class {c} of data '{run.Data.Name}' has no {split} instances for class-wide influence"));
                return null;
            }
            string what = $"{run.Run.Label} / influence {layer} q={CanonicalJson.Serialize(quantity)} class {c}";
            JsonObject Describe()
            {
                var parameters = Base(run);
                parameters["layer"] = layer;
                parameters["qoi"] = quantity.DeepClone();
                parameters["class"] = c;
                parameters["split"] = split;
                return parameters;
            }
            var partials = new List<string>();
            foreach (var (start, end) in Ranges(count, Partition.InstancesPerCell ?? count))
            {
                var parameters = Describe();
                parameters["instance_range"] = new JsonArray(start, end);
                partials.Add(Add(CellKinds.InfluenceStage, CellKinds.InfluencePartial, parameters, [run.Key], $"{what} {split} instances {start}-{end - 1}"));
            }
            var merge = Describe();
            merge["count"] = count;
            return Add(CellKinds.MergeStage, CellKinds.MergeInfluence, merge, partials, $"{what} merged");
        }

        private long? InputCount(Trained run, InputSelector inputs)
        {
            if (inputs.Ids is { } ids) return ids.Count;
            var counts = Counts(run, $"inputs '{inputs.Describe()}'");
            if (inputs.Class is { } c && !ClassExists(c, counts, run.Data, inputs.Location)) return null;
            long count = counts.Count(inputs.Split, inputs.Class);
            if (count > 0) return count;
            problems.Add(new ExperimentProblem(inputs.Location, $"inputs '{inputs.Describe()}' of data '{run.Data.Name}' select no items"));
            return null;
        }

        private bool CheckQuantity(InfluenceJob job, DataCounts counts, DataEntry data)
        {
            bool ok = job.Quantity.Classes.All(c => ClassExists(c, counts, data, job.Location));
            if (job.Quantity is QuantityOfInterestSpec.Logits logits && logits.Weights.Count != counts.NumClasses)
            {
                problems.Add(new ExperimentProblem(job.Location,
                    $"influence '{job.Name}': qoi logits has {logits.Weights.Count} weights, data '{data.Name}' has {counts.NumClasses} classes"));
                ok = false;
            }
            return ok;
        }

        private IEnumerable<int> Classes(ClassSelection selection, DataCounts counts, DataEntry data) =>
            selection.Resolve(counts.NumClasses).Where(c => ClassExists(c, counts, data, selection.Location)).ToList();

        private bool ClassExists(int c, DataCounts counts, DataEntry data, SourceLocation location)
        {
            if (c < counts.NumClasses) return true;
            problems.Add(new ExperimentProblem(location, $"class {c} is not a class of data '{data.Name}'; its classes are 0-{counts.NumClasses - 1}"));
            return false;
        }

        private DataCounts Counts(Trained run, string what) =>
            catalog?.Counts(run.Data) ?? throw new InvalidOperationException(
                $"planning {what} of data '{run.Data.Name}' needs its item counts: give the planner a data catalog (e.g. DataSpecCatalog)");

        private static IEnumerable<(long Start, long End)> Ranges(long count, long size)
        {
            for (long start = 0; start < count; start += size) yield return (start, Math.Min(start + size, count));
        }
    }
}
