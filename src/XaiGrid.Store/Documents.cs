using LiteDB;

namespace XaiGrid.Store;

/// <summary>
/// Fields of stored documents. A store file is input like any other: a field that is missing or of another type (a
/// corrupt file, or one another program wrote) is an error naming the document and the field, never a cast exception.
/// Times are unix milliseconds (UTC), as the store has always kept them.
/// </summary>
internal static class Documents
{
    public static string Text(BsonDocument document, string field, string what) =>
        document[field] is { IsString: true } value ? value.AsString : throw Bad(document, field, "text", what);

    public static string? OptionalText(BsonDocument document, string field, string what) => document[field] switch
    {
        { IsNull: true } => null,
        { IsString: true } value => value.AsString,
        _ => throw Bad(document, field, "text or null", what),
    };

    public static long Integer(BsonDocument document, string field, string what) =>
        document[field] is { IsInt32: true } or { IsInt64: true } ? document[field].AsInt64 : throw Bad(document, field, "an integer", what);

    public static long? OptionalInteger(BsonDocument document, string field, string what) =>
        document[field].IsNull ? null : Integer(document, field, what);

    public static double Number(BsonDocument document, string field, string what) =>
        document[field] is { IsDouble: true } value ? value.AsDouble : throw Bad(document, field, "a number", what);

    public static BsonArray Array(BsonDocument document, string field, string what) =>
        document[field] is { IsArray: true } value ? value.AsArray : throw Bad(document, field, "an array", what);

    public static IEnumerable<BsonDocument> DocumentsIn(BsonDocument document, string field, string what) =>
        Array(document, field, what).Select(item => item.IsDocument ? item.AsDocument : throw Bad(document, field, "an array of documents", what));

    public static IEnumerable<string> TextsIn(BsonDocument document, string field, string what) =>
        Array(document, field, what).Select(item => item.IsString ? item.AsString : throw Bad(document, field, "an array of text", what));

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset Time(BsonDocument document, string field, string what) => Time(Integer(document, field, what));

    public static DateTimeOffset? OptionalTime(BsonDocument document, string field, string what) =>
        OptionalInteger(document, field, what) is { } ms ? Time(ms) : null;

    /// <summary>
    /// A query for documents whose <paramref name="field"/> equals <paramref name="value"/>, the value a parameter.
    /// LiteDB's Query.EQ writes the value into the expression's text, and LiteDB compiles (and keeps) one expression per text.
    /// </summary>
    public static BsonExpression Equal(string field, BsonValue value) => BsonExpression.Create($"$.{field} = @0", value);

    /// <summary>A nullable value as a field: null stays null.</summary>
    public static BsonValue Value(string? text) => text is null ? BsonValue.Null : new BsonValue(text);

    public static BsonValue Value(long? number) => number is { } n ? new BsonValue(n) : BsonValue.Null;

    private static StoreException Bad(BsonDocument document, string field, string expected, string what) =>
        new($"{what}: field '{field}' should be {expected}, but holds {Describe(document[field])}");

    private static string Describe(BsonValue value) => value.IsNull ? "nothing" : $"a {value.Type} value";
}
