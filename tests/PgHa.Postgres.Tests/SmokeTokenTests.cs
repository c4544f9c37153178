namespace PgHa.Postgres.Tests;

[Collection(PgClusterCollection.Name)]
public sealed class SmokeTokenTests(PgClusterFixture cluster)
{
    private readonly SmokeTokens _smoke = new();

    [Fact]
    public async Task A_token_written_on_the_primary_appears_on_the_standby()
    {
        var token = SmokeTokens.NewToken();
        Assert.False(await _smoke.IsPresentAsync(cluster.Standby, token));

        var write = await _smoke.WriteAsync(cluster.Primary, token, "pgha-master");
        Assert.Equal(token, write.Token);
        Assert.Equal("pgha-master", write.WrittenOn);
        Assert.True(await _smoke.IsPresentAsync(cluster.Primary, token));

        var wait = await _smoke.WaitForTokenAsync(cluster.Standby, token, TimeSpan.FromSeconds(10));
        Assert.True(wait.Found, wait.LastError);
        Assert.True(await _smoke.IsPresentAsync(cluster.Standby, token));

        // Idempotent: a re-run of the node keeps the original row.
        var again = await _smoke.WriteAsync(cluster.Primary, token, "someone-else");
        Assert.Equal("pgha-master", again.WrittenOn);
        Assert.Equal(write.WrittenAt, again.WrittenAt);
    }

    [Fact]
    public async Task A_missing_token_times_out_and_writing_on_a_standby_is_refused()
    {
        var wait = await _smoke.WaitForTokenAsync(cluster.Standby, "pgha-never-written", TimeSpan.FromMilliseconds(300));
        Assert.False(wait.Found);
        Assert.True(wait.Polls >= 2);

        var ex = await Assert.ThrowsAsync<PostgresProbeException>(() => _smoke.WriteAsync(cluster.Standby, SmokeTokens.NewToken()));
        Assert.Contains("standby", ex.Message);
    }

    [Fact]
    public void Tokens_are_unique_and_sortable_by_time()
    {
        var at = new DateTimeOffset(2026, 3, 1, 14, 5, 1, TimeSpan.Zero);
        var a = SmokeTokens.NewToken(at);
        Assert.StartsWith("pgha-20260301T140501Z-", a);
        Assert.NotEqual(a, SmokeTokens.NewToken(at));
    }
}
