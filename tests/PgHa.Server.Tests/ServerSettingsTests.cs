using Microsoft.Extensions.Configuration;
using PgHa.Server.Hosting;
using PgHa.Workflows.Store;

namespace PgHa.Server.Tests;

public sealed class ServerSettingsTests
{
    private static ServerSettings From(params (string Key, string Value)[] values) =>
        ServerSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build(), "/srv/pgha");

    [Fact]
    public void The_default_store_is_the_sqlite_file_under_the_content_root() =>
        Assert.Equal(new StoreLocation.Sqlite("/srv/pgha/.pgha/pgha.db"), From().Store);

    [Fact]
    public void Postgres_store_takes_the_connection_string() =>
        Assert.Equal(new StoreLocation.Postgres("Host=db1;Database=pgha;Username=pgha"),
            From(("PgHa:Store", "postgres"), ("PgHa:ConnectionString", "Host=db1;Database=pgha;Username=pgha")).Store);

    [Fact]
    public void Postgres_store_without_a_connection_string_says_what_to_set() =>
        Assert.Contains("PgHa:ConnectionString", Assert.Throws<ServerConfigurationException>(() => From(("PgHa:Store", "postgres"))).Message);

    [Fact]
    public void An_unknown_store_is_refused() =>
        Assert.Contains("use sqlite (default) or postgres", Assert.Throws<ServerConfigurationException>(() => From(("PgHa:Store", "mongo"))).Message);

    [Fact]
    public void Started_from_a_directory_outside_the_repository_the_runbooks_are_found_from_the_program()
    {
        // "/srv/pgha" has no workflows/ above it; this test program lives under the repository's tests/.
        var folder = From().RunbookFolder;
        Assert.NotNull(folder);
        Assert.True(File.Exists(Path.Combine(folder, "planned-failover.json")), folder);
        Assert.Null(From(("PgHa:RunbookFolder", "none")).RunbookFolder);
    }
}
