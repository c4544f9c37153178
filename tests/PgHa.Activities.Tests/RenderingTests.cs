using System.Diagnostics;
using PgHa.Activities;
using PgHa.Activities.PgBouncer;
using PgHa.Clusters;

namespace PgHa.Activities.Tests;

public sealed class RenderingTests
{
    private static ClusterInventory Inventory(IReadOnlyList<string>? databases = null, Dictionary<string, string>? settings = null, string deployment = "/home/silkcloud/pgha") => new()
    {
        Id = "c1",
        Hosts = [new ClusterHost { Name = "db-a", Address = "10.0.0.1" }, new ClusterHost { Name = "db-b", Address = "10.0.0.2" }, new ClusterHost { Name = "db-c", Address = "10.0.0.3" }],
        Roles = new Dictionary<string, string> { ["master"] = "db-b", ["slave"] = "db-a", ["replica"] = "db-c" },
        Accounts = new ClusterAccounts
        {
            Admin = new ClusterAccount { User = "devops", KeyFile = "/k/devops" },
            Deploy = new ClusterAccount { User = "silkcloud", KeyFile = "/k/silkcloud" },
        },
        KnownHostsFile = "/k/known_hosts",
        Databases = databases ?? ["appdb", "billing"],
        Settings = settings ?? new Dictionary<string, string>(),
        Paths = new ClusterPaths { Deployment = deployment },
    };

    /// <summary>Sources the rendered file in a real bash and prints variables back, so quoting is checked by the shell itself.</summary>
    private static string[] SourceInBash(string env, string printScript)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, env);
        try
        {
            var psi = new ProcessStartInfo("bash", ["-c", $"set -eu; . \"$1\"; {printScript}", "bash", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "bash failed: " + error);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Pgha_env_names_the_current_roles_and_the_reading_host()
    {
        var env = PgHaEnvironment.Render(Inventory(), "db-a");
        var values = SourceInBash(env, "printf '%s\\n' \"$MASTER_HOST\" \"$SLAVE_HOST\" \"$REPLICA_HOST\" \"$THIS_HOST\" \"$THIS_ROLES\" \"${ALL_HOSTS[*]}\" \"$DB_PORT\" \"$PGBOUNCER_PORT\" \"$DEPLOYMENT_PATH\" \"${#REPLICA_DATABASES[@]}\" \"${REPLICA_DATABASES[1]}\"");
        Assert.Equal(["10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1", "slave", "10.0.0.1 10.0.0.2 10.0.0.3", "5432", "6543", "/home/silkcloud/pgha", "2", "billing"], values);
    }

    [Fact]
    public void Pgha_env_values_with_quotes_spaces_and_shell_syntax_come_back_verbatim()
    {
        var nasty = new[] { "it's a db", "say \"hi\"", "$(touch /tmp/pgha-pwned)", "a;b|c`d`", "back\\slash" };
        var env = PgHaEnvironment.Render(Inventory(nasty, new Dictionary<string, string> { ["clientNetworks"] = "10.0.0.0/8 192.168.0.0/16" }, "/opt/pg ha/it's"), "db-c");
        var values = SourceInBash(env, "printf '%s\\n' \"${REPLICA_DATABASES[@]}\" \"$CLIENT_NETWORKS\" \"$DEPLOYMENT_PATH\"");
        Assert.Equal([.. nasty, "10.0.0.0/8 192.168.0.0/16", "/opt/pg ha/it's"], values);
        Assert.False(File.Exists("/tmp/pgha-pwned"));
    }

    [Fact]
    public void Pgha_env_refuses_a_line_break_and_an_unknown_host()
    {
        Assert.Throws<ArgumentException>(() => PgHaEnvironment.Render(Inventory(["ok", "two\nlines"]), "db-a"));
        Assert.Throws<ArgumentException>(() => PgHaEnvironment.Render(Inventory(), "db-x"));
    }

    [Fact]
    public void Pgha_env_holds_no_secret_names_or_values()
    {
        var env = PgHaEnvironment.Render(Inventory() with { Secrets = new Dictionary<string, string> { ["replicationPassword"] = "lab-replication-password" } }, "db-a");
        Assert.DoesNotContain("lab-replication-password", env);
        Assert.DoesNotContain("PASSWORD", env);
    }

    [Fact]
    public void Pgbouncer_ini_routes_every_database_by_name_to_the_target()
    {
        var ini = PgBouncerLayout.Config(Inventory(), "10.0.0.1").RenderIni();
        Assert.StartsWith("[databases]\nappdb = host=10.0.0.1 port=5432 dbname=appdb\nbilling = host=10.0.0.1 port=5432 dbname=billing\n\n[pgbouncer]\n", ini);
        Assert.Contains("auth_type = scram-sha-256\n", ini);
        Assert.Contains("auth_file = /etc/pgbouncer/userlist.txt\n", ini);
        Assert.Contains("admin_users = pgbadmin\n", ini);
        Assert.Contains("pidfile = /var/run/postgresql/pgbouncer.pid\n", ini);
        Assert.DoesNotContain("* =", ini);
    }

    [Theory]
    [InlineData(null, "transaction")]
    [InlineData("transaction", "transaction")]
    [InlineData("session", "session")]
    public void Pgbouncer_pool_mode_follows_the_cluster_setting_and_defaults_to_transaction(string? setting, string expected)
    {
        var inventory = Inventory();
        if (setting is not null) inventory = inventory with { Settings = new Dictionary<string, string> { [ClusterInventory.PoolModeSetting] = setting } };
        Assert.Contains($"\npool_mode = {expected}\n", PgBouncerLayout.Config(inventory, "10.0.0.1").RenderIni());
    }

    [Fact]
    public void A_pool_mode_other_than_transaction_or_session_is_refused_naming_the_setting()
    {
        var inventory = Inventory() with { Settings = new Dictionary<string, string> { [ClusterInventory.PoolModeSetting] = "statement" } };
        var error = Assert.Single(ClusterValidator.Validate(inventory, checkFiles: false));
        Assert.Equal("settings.pgbouncerPoolMode", error.Field);
    }
}
