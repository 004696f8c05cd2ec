using LiteDB;
using static XaiGrid.Store.Documents;

namespace XaiGrid.Store;

public sealed partial class ResultStore
{
    private static ILiteCollection<BsonDocument> Experiments(LiteDatabase database) => database.GetCollection(Schema.Experiments, BsonAutoId.Int64);

    /// <summary>Records an experiment by name; re-planning it keeps its id and creation time and stores the current text.</summary>
    public Experiment UpsertExperiment(string name, string filePath, string definition)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new StoreException("experiment name is empty");
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(definition);
        return Write(database =>
        {
            var experiments = Experiments(database);
            long now = NowMs();
            var document = experiments.FindOne(Equal("name", name)) ?? new BsonDocument { ["name"] = name, ["created"] = now };
            document["file_path"] = filePath;
            document["definition"] = definition;
            document["definition_hash"] = ContentHash.Of(definition);
            document["updated"] = now;
            experiments.Upsert(document);
            return ReadExperiment(document);
        });
    }

    public Experiment? FindExperiment(string name) =>
        Read(database => Experiments(database).FindOne(Equal("name", name)) is { } document ? ReadExperiment(document) : null);

    public IReadOnlyList<Experiment> Experiments() =>
        Read(database => Experiments(database).FindAll().Select(ReadExperiment).OrderBy(e => e.Id).ToList());

    private Experiment ReadExperiment(BsonDocument document)
    {
        string what = $"an experiment in {Path}";
        return new Experiment(Integer(document, "_id", what), Text(document, "name", what), Text(document, "file_path", what),
            Text(document, "definition", what), Text(document, "definition_hash", what), Time(document, "created", what), Time(document, "updated", what));
    }
}
