using PgHa.Postgres.PgBouncer;

namespace PgHa.Postgres.Tests;

public sealed class PgBouncerConfigTests
{
    private static PgBouncerConfig Sample(params PgBouncerDatabaseEntry[] databases) => new()
    {
        Databases = databases.Length > 0 ? databases : [new("appdb", "10.77.0.12", 5432, "appdb")],
        AuthFile = "/etc/pgbouncer/userlist.txt",
        AdminUsers = ["pgbadmin"],
        PidFile = "/var/run/postgresql/pgbouncer.pid",
        LogFile = "/var/log/postgresql/pgbouncer.log",
    };

    [Fact]
    public void Databases_section_names_each_database_explicitly()
    {
        var text = Sample(new PgBouncerDatabaseEntry("appdb", "10.77.0.12", 5432, "appdb"), new("reports", "pgha-slave", 5433, "reports_db")).RenderDatabasesSection();
        Assert.Equal("[databases]\nappdb = host=10.77.0.12 port=5432 dbname=appdb\nreports = host=pgha-slave port=5433 dbname=reports_db\n", text);
    }

    [Fact]
    public void Full_ini_has_the_runbook_settings()
    {
        var ini = Sample().RenderIni();
        foreach (var line in new[]
                 {
                     "listen_addr = *", "listen_port = 6543", "unix_socket_dir = /var/run/postgresql", "auth_type = scram-sha-256",
                     "auth_file = /etc/pgbouncer/userlist.txt", "admin_users = pgbadmin", "pidfile = /var/run/postgresql/pgbouncer.pid",
                     "logfile = /var/log/postgresql/pgbouncer.log", "pool_mode = transaction", "server_login_retry = 1", "[pgbouncer]",
                 })
            Assert.Contains(line + "\n", ini);
        Assert.True(ini.IndexOf("[databases]", StringComparison.Ordinal) < ini.IndexOf("[pgbouncer]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("app db")]
    [InlineData("app\ndb")]
    [InlineData("app=db")]
    [InlineData("*")]
    [InlineData("")]
    public void Database_names_that_could_break_the_line_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => Sample(new PgBouncerDatabaseEntry(name, "10.77.0.12", 5432, "appdb")).RenderDatabasesSection());

    [Fact]
    public void Settings_with_line_breaks_and_duplicate_databases_are_refused()
    {
        Assert.Throws<ArgumentException>(() => (Sample() with { LogFile = "/tmp/x.log\nadmin_users = mallory" }).RenderIni());
        Assert.Throws<ArgumentException>(() => (Sample() with { AdminUsers = ["pgbadmin, mallory"] }).RenderIni());
        Assert.Throws<ArgumentException>(() => Sample(new PgBouncerDatabaseEntry("a", "h", 5432, "a"), new("a", "h", 5433, "a")).RenderDatabasesSection());
        Assert.Throws<ArgumentException>(() => Sample(new PgBouncerDatabaseEntry("a", "h host", 5432, "a")).RenderDatabasesSection());
        Assert.Throws<ArgumentException>(() => Sample(new PgBouncerDatabaseEntry("a", "h", 0, "a")).RenderDatabasesSection());
    }

    [Fact]
    public void Userlist_quotes_values_and_doubles_inner_quotes()
    {
        var text = PgBouncerUserList.Render(
        [
            new("silkcloud", "plain"),
            new("app user", "pa ss\"word\"\""),
            new("o\"brien", "x"),
        ]);
        Assert.Equal("\"silkcloud\" \"plain\"\n\"app user\" \"pa ss\"\"word\"\"\"\"\"\n\"o\"\"brien\" \"x\"\n", text);
    }

    [Theory]
    [InlineData("pass\nXYZZY")]
    [InlineData("pass\rXYZZY")]
    [InlineData("pass\0XYZZY")]
    public void Userlist_refuses_passwords_with_line_breaks_without_echoing_them(string password)
    {
        var ex = Assert.Throws<ArgumentException>(() => PgBouncerUserList.Render([new("app", password)]));
        Assert.Contains("app", ex.Message);
        Assert.DoesNotContain("XYZZY", ex.Message);
    }

    [Fact]
    public void Userlist_refuses_empty_or_duplicate_users()
    {
        Assert.Throws<ArgumentException>(() => PgBouncerUserList.Render([new("", "x")]));
        Assert.Throws<ArgumentException>(() => PgBouncerUserList.Render([new("a", "x"), new("a", "y")]));
        Assert.Throws<ArgumentException>(() => PgBouncerUserList.Render([new("a\nb", "x")]));
    }

    [Fact]
    public void Scram_client_matches_the_rfc7677_test_vector()
    {
        var scram = new ScramSha256("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", scram.ClientFirstMessage);
        var final = scram.ClientFinalMessage("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        Assert.Equal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", final);
        Assert.True(scram.VerifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
        Assert.False(scram.VerifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    }
}
