using System.Text.Json;

namespace XaiGrid.Store;

/// <summary>Parameters and tables are stored as JSON text; bad text is refused before it reaches the database.</summary>
internal static class Json
{
    public static void Require(string? text, string what)
    {
        if (text is null) throw new StoreException($"{what} is missing (expected JSON text)");
        try
        {
            using var _ = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new StoreException($"{what} is not valid JSON: {e.Message}", e);
        }
    }
}
