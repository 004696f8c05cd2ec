using System.Globalization;
using System.Text;

namespace XaiGrid.TorchExtras;

/// <summary>
/// The subset of Python literals a .npy header uses: dicts, strings, True/False/None, integers (with
/// Python 2's optional L suffix), tuples and lists. Tuples and lists both become <see cref="List{T}"/>.
/// </summary>
internal sealed class PythonLiteral
{
    private readonly string text;
    private readonly string source;
    private int pos;

    private PythonLiteral(string text, string source)
    {
        this.text = text;
        this.source = source;
    }

    public static object? Parse(string text, string source)
    {
        var p = new PythonLiteral(text, source);
        var value = p.Value();
        p.SkipSpace();
        if (p.pos != text.Length) throw p.Error("unexpected text after the literal");
        return value;
    }

    public static string Show(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        List<object?> l => $"({string.Join(", ", l.Select(Show))})",
        Dictionary<string, object?> d => $"{{{string.Join(", ", d.Select(kv => $"'{kv.Key}': {Show(kv.Value)}"))}}}",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private InvalidDataException Error(string what) =>
        new($"{source}: cannot parse the header at character {pos} ({what}): {text.Trim()}");

    private void SkipSpace()
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
    }

    private char Peek()
    {
        SkipSpace();
        return pos < text.Length ? text[pos] : '\0';
    }

    private void Expect(char c)
    {
        if (Peek() != c) throw Error($"expected '{c}'");
        pos++;
    }

    private object? Value()
    {
        char c = Peek();
        switch (c)
        {
            case '{':
                return Dict();
            case '(':
                return Sequence(')');
            case '[':
                return Sequence(']');
            case '\'' or '"':
                return Str();
        }
        if (c == '-' || char.IsAsciiDigit(c)) return Integer();
        foreach (var (word, value) in new (string, object?)[] { ("True", true), ("False", false), ("None", null) })
        {
            if (string.CompareOrdinal(text, pos, word, 0, word.Length) == 0)
            {
                pos += word.Length;
                return value;
            }
        }
        throw Error("expected a value");
    }

    private Dictionary<string, object?> Dict()
    {
        Expect('{');
        var d = new Dictionary<string, object?>();
        while (Peek() != '}')
        {
            if (Value() is not string key) throw Error("dictionary keys must be strings");
            Expect(':');
            if (!d.TryAdd(key, Value())) throw Error($"key '{key}' appears twice");
            if (Peek() != ',') break;
            pos++;
        }
        Expect('}');
        return d;
    }

    private List<object?> Sequence(char close)
    {
        pos++;
        var items = new List<object?>();
        while (Peek() != close)
        {
            items.Add(Value());
            if (Peek() != ',') break;
            pos++;
        }
        Expect(close);
        return items;
    }

    private string Str()
    {
        char quote = text[pos++];
        var sb = new StringBuilder();
        while (pos < text.Length && text[pos] != quote)
        {
            if (text[pos] == '\\' && pos + 1 < text.Length) pos++;
            sb.Append(text[pos++]);
        }
        if (pos >= text.Length) throw Error("unterminated string");
        pos++;
        return sb.ToString();
    }

    private long Integer()
    {
        int start = pos;
        if (text[pos] == '-') pos++;
        while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
        if (!long.TryParse(text.AsSpan(start, pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Error("expected an integer");
        if (pos < text.Length && text[pos] is 'L' or 'l') pos++;
        return value;
    }
}
