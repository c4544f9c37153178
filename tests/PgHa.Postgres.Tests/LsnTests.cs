using NpgsqlTypes;

namespace PgHa.Postgres.Tests;

public sealed class LsnTests
{
    [Theory]
    [InlineData("16/B374D848", 0x16B374D848UL)]
    [InlineData("0/0", 0UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    [InlineData("0/3000148", 0x3000148UL)]
    public void Parses_and_formats_like_postgres(string text, ulong value)
    {
        var lsn = Lsn.Parse(text);
        Assert.Equal(value, lsn.Value);
        Assert.Equal(text, lsn.ToString());
        Assert.Equal(value, (ulong)(NpgsqlLogSequenceNumber)lsn);
        Assert.Equal(lsn, (Lsn)NpgsqlLogSequenceNumber.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("16B374D848")]
    [InlineData("/1")]
    [InlineData("1/")]
    [InlineData("G/1")]
    [InlineData("123456789/0")]
    [InlineData("-1/0")]
    public void Rejects_malformed_text(string text)
    {
        Assert.False(Lsn.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Lsn.Parse(text));
    }

    [Fact]
    public void Subtracting_gives_bytes_and_comparison_follows_wal_order()
    {
        var a = Lsn.Parse("1/0");
        var b = Lsn.Parse("0/FFFFFF00");
        Assert.Equal(0x100, a - b);
        Assert.Equal(-0x100, b - a);
        Assert.True(a > b);
        Assert.True(b < a);
        Assert.Equal(a, b + 0x100);
        Assert.Equal(-1, b.CompareTo(a));
    }

    [Fact]
    public void Unknown_positions_give_unknown_lag_never_zero()
    {
        var known = Lsn.Parse("0/5000000");
        Assert.Null(Lsn.BytesBetween(known, null));
        Assert.Null(Lsn.BytesBetween(null, known));
        Assert.Null(Lsn.BytesBetween(null, null));
        Assert.Equal(0, Lsn.BytesBetween(known, known));
        Assert.Null(Lsn.ParseNullable(null));
        Assert.Null(new StandbyLag(known, null, null, "standby unreachable").ReplayLagBytes);
    }

    [Theory]
    [InlineData("000000010000000000000003", 1)]
    [InlineData("0000000A00000002000000FF", 10)]
    public void Timeline_comes_from_the_wal_file_name(string name, int timeline) =>
        Assert.Equal(timeline, Lsn.TimelineFromWalFileName(name));

    [Fact]
    public void Endpoint_text_never_shows_the_password()
    {
        var endpoint = new PostgresEndpoint("10.77.0.11", 5432, "postgres", "pgha_monitor") { Password = "s3cret-pw" };
        Assert.Equal("pgha_monitor@10.77.0.11:5432/postgres", endpoint.ToString());
        Assert.DoesNotContain("s3cret-pw", $"{endpoint}");
        Assert.Contains("s3cret-pw", endpoint.BuildConnectionString()); // only Npgsql gets it
        Assert.Contains("Pooling=False", endpoint.BuildConnectionString());
    }
}
