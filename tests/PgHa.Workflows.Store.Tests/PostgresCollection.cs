namespace PgHa.Workflows.Store.Tests;

/// <summary>One throwaway PostgreSQL 15 for every store test class that needs it; each test creates its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
