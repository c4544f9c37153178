using PgHa.Server.Auth;

namespace PgHa.Server.Tests;

public sealed class ApiKeyFileTests
{
    [Fact]
    public void A_key_file_caught_half_written_grants_nothing_until_it_parses_again()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("pgha-keys-").FullName, "api-keys.json");
        var keys = new ApiKeyFile(path);
        var key = keys.Create("olga", "operator");
        var entry = keys.Find(key)!;
        var whole = File.ReadAllText(path);

        // What a reader sees while an editor rewrites the file in place: truncated, then partly written.
        foreach (var partial in new[] { "", whole[..(whole.Length / 2)] })
        {
            File.WriteAllText(path, partial);
            Assert.Null(keys.Find(key));
            Assert.False(keys.StillGrants(entry.Hash, "viewer"));
        }
        File.WriteAllText(path, whole);
        Assert.True(keys.StillGrants(entry.Hash, "operator"));
    }
}
