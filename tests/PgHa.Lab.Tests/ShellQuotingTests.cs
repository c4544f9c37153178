using static PgHa.Lab.Tests.LocalProgram;
using System.Diagnostics;
using PgHa.Remote;

namespace PgHa.Lab.Tests;

public sealed class ShellQuotingTests
{
    public static TheoryData<string> Words => new()
    {
        "", "plain", "/var/lib/postgresql/15/pgha", "it's", "'", "''", "$(id)", "`id`", "a;b", "a b", "*", "~", "\"", "\\", "new\nline",
        "'; rm -rf /; '", "$HOME", "!event", "{a,b}", "tab\there", "é ü 中",
    };

    [Theory]
    [MemberData(nameof(Words))]
    public void A_quoted_word_reaches_a_real_shell_unchanged(string word)
    {
        // Judged by bash itself, not by re-implementing its rules.
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, ArgumentList = { "-c", "printf %s " + ShellQuoting.Quote(word) } };
        using var bash = Process.Start(psi)!;
        var echoed = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();
        Assert.Equal(word, echoed);
    }

    [Fact]
    public void Safe_words_stay_readable()
    {
        Assert.Equal("/usr/sbin/pgbouncer", ShellQuoting.Quote("/usr/sbin/pgbouncer"));
        Assert.Equal("'it'\\''s'", ShellQuoting.Quote("it's"));
        Assert.Equal("''", ShellQuoting.Quote(""));
    }

    [Theory]
    [InlineData("PGDATA", true)]
    [InlineData("_x1", true)]
    [InlineData("1X", false)]
    [InlineData("A-B", false)]
    [InlineData("A=B", false)]
    [InlineData("A;rm", false)]
    public void Environment_names_must_be_identifiers(string name, bool valid) => Assert.Equal(valid, ShellQuoting.IsValidVariableName(name));
}

public sealed class KnownHostsTests
{
    private const string Ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIJ0n6v4mBvI0u0nEw3o2kqgTqQvCz5v3yZ0Y8p1mV6rB";

    [Fact]
    public void Lines_are_read_the_way_openssh_writes_them()
    {
        var known = KnownHosts.Parse("kh", [
            "# comment", "", "pgha-master,10.77.0.11 ssh-ed25519 " + Ed25519 + " root@pgha-master",
            "[pgha-slave]:2222 ssh-ed25519 " + Ed25519, "@revoked * ssh-rsa AAAAB3NzaC1yc2E=", "broken line", "h ssh-ed25519 !!notbase64",
        ]);
        Assert.Equal(2, known.Entries.Count);
        Assert.Single(known.For("pgha-master", "10.77.0.99", 22));
        Assert.Single(known.For("nobody", "10.77.0.11", 22));
        Assert.Empty(known.For("pgha-master", "10.77.0.11", 2222));
        Assert.Single(known.For("pgha-slave", "10.77.0.12", 2222));
        Assert.Empty(known.For("pgha-slave", "10.77.0.12", 22));
        Assert.True(known.IsRevoked(Convert.FromBase64String("AAAAB3NzaC1yc2E=")));
    }

    [Fact]
    public void Fingerprints_match_ssh_keygen()
    {
        var dir = Directory.CreateTempSubdirectory("pgha-kh-").FullName;
        try
        {
            var key = Path.Combine(dir, "k");
            Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
            var blob = Convert.FromBase64String(File.ReadAllText(key + ".pub").Split(' ')[1]);
            var expected = Run("ssh-keygen", "-l", "-E", "sha256", "-f", key + ".pub").Split(' ')[1];
            Assert.Equal(expected, KnownHosts.Fingerprint(blob));

            // Hashed entries (ssh-keygen -H) match too.
            var kh = Path.Combine(dir, "known_hosts");
            KnownHosts.Append(kh, "pgha-master", "10.77.0.11", 22, "ssh-ed25519", blob);
            Run("ssh-keygen", "-H", "-f", kh);
            var hashed = KnownHosts.Load(kh);
            Assert.All(hashed.Entries, e => Assert.StartsWith("|1|", e.HostPatterns[0]));
            Assert.Equal(blob, hashed.For("pgha-master", "10.77.0.11", 22).First().Key);
            Assert.Empty(hashed.For("pgha-slave", "10.77.0.12", 22));
        }
        finally { Directory.Delete(dir, true); }
    }

}
