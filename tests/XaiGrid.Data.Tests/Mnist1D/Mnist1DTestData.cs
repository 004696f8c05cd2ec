
namespace XaiGrid.Data.Tests;

internal static class Mnist1DTestData
{
    /// <summary>The published dataset, found beside the repository (the folder holding XaiGrid.sln).</summary>
    public static string PublishedDir { get; } = Path.Combine(Testing.Reference.DataDir, "mnist1d");

    /// <summary>Runs a script with the system python that has numpy (not the pyenv one on PATH) and returns its stdout.</summary>
    public static string RunNumpy(string script) => Testing.Reference.Python(script);

    /// <summary>A fresh empty folder under the temp directory, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("xaigrid-mnist1d-").FullName;

        public void Dispose() => Directory.Delete(Path, true);
    }
}
