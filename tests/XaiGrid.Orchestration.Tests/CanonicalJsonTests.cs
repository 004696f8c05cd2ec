using System.Text.Json.Nodes;
using XaiGrid.Orchestration.Planning;

namespace XaiGrid.Orchestration.Tests;

public class CanonicalJsonTests
{
    [Fact]
    public void SortsKeysOrdinallyAndWritesNoWhitespace()
    {
        var json = new JsonObject
        {
            ["b"] = 1,
            ["a"] = new JsonArray(true, null, "x"),
            ["B"] = new JsonObject { ["z"] = false, ["y"] = "é" },
            ["_"] = 0,
        };
        // Ordinal: 'B' (66) < '_' (95) < 'a' (97) < 'b' (98); non-ASCII text stays as it is.
        Assert.Equal("{\"B\":{\"y\":\"é\",\"z\":false},\"_\":0,\"a\":[true,null,\"x\"],\"b\":1}", CanonicalJson.Serialize(json));
    }

    [Theory]
    [InlineData(2.0, "2")]
    [InlineData(-0.0, "0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-2, "0.01")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(3e-3, "0.003")]
    [InlineData(1e15, "1000000000000000")]
    [InlineData(1e300, "1E+300")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    public void WritesNumbersByValueInInvariantRoundTripForm(double value, string expected)
    {
        Assert.Equal(expected, CanonicalJson.Serialize(JsonValue.Create(value)));
        Assert.Equal(value == 0 ? 0 : value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void EqualNumbersOfDifferentTypesAndSpellingsWriteTheSame()
    {
        var built = new JsonObject { ["n"] = 2, ["l"] = 9007199254740993L, ["u"] = ulong.MaxValue, ["d"] = 2.0, ["f"] = 0.5f };
        var parsed = JsonNode.Parse("""{"f": 5e-1, "d": 2e0, "u": 18446744073709551615, "l": 9007199254740993, "n": 2.000}""");
        const string expected = "{\"d\":2,\"f\":0.5,\"l\":9007199254740993,\"n\":2,\"u\":18446744073709551615}";
        Assert.Equal(expected, CanonicalJson.Serialize(built));
        Assert.Equal(expected, CanonicalJson.Serialize(parsed));
    }

    [Fact]
    public void EscapesOnlyWhatJsonRequires()
    {
        var text = "q\" b\\ n\n t\t c\u0001 /<>&";
        Assert.Equal("\"q\\\" b\\\\ n\\n t\\t c\\u0001 /<>&\"", CanonicalJson.Serialize(JsonValue.Create(text)));
        // What it writes is JSON that reads back as the same string.
        Assert.Equal(text, JsonNode.Parse(CanonicalJson.Serialize(JsonValue.Create(text)))!.GetValue<string>());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RefusesNumbersJsonCannotHold(double value)
    {
        var e = Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(new JsonObject { ["x"] = value }));
        Assert.Contains("NaN and infinities", e.Message);
    }
}
