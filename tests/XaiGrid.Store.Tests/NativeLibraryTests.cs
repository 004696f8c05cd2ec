using Microsoft.Data.Sqlite;

namespace XaiGrid.Store.Tests;

public class NativeLibraryTests
{
    [Fact]
    public void The_bundled_e_sqlite3_is_the_engine_in_use()
    {
        using var temp = new TempFolder();
        using var store = ResultStore.Open(temp.File("results.db"));
        // The process maps the bundle's library, not the system's libsqlite3.
        Assert.Contains(File.ReadLines("/proc/self/maps"), line => line.EndsWith("/libe_sqlite3.so"));
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        // json_group_array(... ORDER BY ...) in the cell queries needs SQLite 3.44 or later.
        var version = Version.Parse((string)command.ExecuteScalar()!);
        Assert.True(version >= new Version(3, 44), $"SQLite {version}");
    }
}
