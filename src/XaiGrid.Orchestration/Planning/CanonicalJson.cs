using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace XaiGrid.Orchestration.Planning;

/// <summary>
/// One text per JSON value, so that equal descriptions hash equally: object keys sorted ordinally, no whitespace,
/// strings escaped only where JSON requires it (quote, backslash, control characters), and numbers by value: an
/// integral value within +-2^53 as an integer (2, 2.0 and 2e0 are all "2"), any other number in invariant
/// shortest round-trip form ("0.01", "1E-05"). NaN and infinities have no JSON form and are refused.
/// </summary>
public static class CanonicalJson
{
    private const double MaxExactInteger = 9007199254740992; // 2^53: every integer up to here is exactly a double

    public static string Serialize(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                bool first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) text.Append(',');
                    first = false;
                    WriteString(text, key);
                    text.Append(':');
                    Write(text, value);
                }
                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(text, array[i]);
                }
                text.Append(']');
                break;
            case JsonValue value:
                WriteValue(text, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder text, JsonValue value)
    {
        // A JsonValue may wrap a CLR number or a parsed element; its serialized element is the common form of both.
        double? number = value.TryGetValue<double>(out var d) ? d : value.TryGetValue<float>(out var f) ? f : null;
        if (number is { } n && !double.IsFinite(n))
            throw new ArgumentException($"canonical JSON has no form for {n}: NaN and infinities are not JSON numbers");
        var element = JsonSerializer.SerializeToElement(value);
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                WriteString(text, element.GetString()!);
                break;
            case JsonValueKind.Number:
                text.Append(Number(element));
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Null:
                text.Append("null");
                break;
            default:
                throw new ArgumentException($"unexpected JSON value kind {element.ValueKind}");
        }
    }

    private static string Number(JsonElement element)
    {
        if (element.TryGetInt64(out var whole)) return whole.ToString(CultureInfo.InvariantCulture);
        if (element.TryGetUInt64(out var big)) return big.ToString(CultureInfo.InvariantCulture);
        double d = element.GetDouble();
        if (Math.Abs(d) <= MaxExactInteger && d == Math.Floor(d)) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    private static void WriteString(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
    }
}
