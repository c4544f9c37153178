using System.Diagnostics;

namespace PgHa.Activities.Tests;

/// <summary>
/// pgha_attempt.sh, the per-host lock RunRemoteScript runs each script under: a resumed attempt of a node never runs
/// beside the earlier attempt a dead server left running. Real bash, flock and processes on this machine.
/// </summary>
public sealed class AttemptLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pgha-attempt-").FullName;
    private readonly string _key = "run-test-" + Guid.NewGuid().ToString("N")[..8] + "-node-host";
    private string Record => Path.Combine(_directory, "record");
    private string Lock => $"/tmp/pgha-attempt-{_key}.lock";

    public AttemptLockTests() =>
        File.WriteAllText(Path.Combine(_directory, "step.sh"),
            "echo \"start $1\" >> \"$RECORD\"; while [ ! -e \"$RELEASE\" ]; do sleep 0.05; done; echo \"end $1\" >> \"$RECORD\"\n");

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        File.Delete(Lock);
        File.Delete(Lock + ".pid");
    }

    private Process Attempt(string name, int waitSeconds, string release)
    {
        var wrapper = Path.Combine(new ScriptOptions().ResolveScriptsDirectory(), "pgha_attempt.sh");
        var psi = new ProcessStartInfo("bash", [wrapper, _key, waitSeconds.ToString(), Path.Combine(_directory, "step.sh"), name])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["RECORD"] = Record, ["RELEASE"] = Path.Combine(_directory, release) },
        };
        return Process.Start(psi)!;
    }

    private async Task StartedAsync(string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(File.Exists(Record) && File.ReadAllText(Record).Contains($"start {name}\n")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"attempt {name} did not start");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_second_attempt_of_a_node_waits_for_the_first_and_says_so()
    {
        using var first = Attempt("first", 30, "release-first");
        await StartedAsync("first");
        using var second = Attempt("second", 30, "release-second");
        var waiting = await second.StandardOutput.ReadLineAsync();
        Assert.StartsWith($"PGHA_ATTEMPT an earlier attempt of this node still runs on", waiting);
        // The pid it names is the first attempt's script.
        var pid = System.Text.RegularExpressions.Regex.Match(waiting!, @"\(pid (\d+)\)").Groups[1].Value;
        Assert.Contains("step.sh\0first", File.ReadAllText($"/proc/{pid}/cmdline"));
        Assert.Equal("start first\n", File.ReadAllText(Record));

        File.WriteAllText(Path.Combine(_directory, "release-first"), "");
        File.WriteAllText(Path.Combine(_directory, "release-second"), "");
        Assert.Equal("PGHA_ATTEMPT the earlier attempt ended; this attempt runs now", await second.StandardOutput.ReadLineAsync());
        await first.WaitForExitAsync();
        await second.WaitForExitAsync();

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.Equal("start first\nend first\nstart second\nend second\n", File.ReadAllText(Record));
    }

    [Fact]
    public async Task A_second_attempt_gives_up_with_exit_75_when_the_first_outlasts_its_wait()
    {
        using var first = Attempt("first", 30, "release-first");
        await StartedAsync("first");
        using var second = Attempt("second", 1, "release-second");
        await second.WaitForExitAsync();
        File.WriteAllText(Path.Combine(_directory, "release-first"), "");
        await first.WaitForExitAsync();

        Assert.Equal(75, second.ExitCode);
        Assert.Equal("start first\nend first\n", File.ReadAllText(Record));
    }

    [Fact]
    public async Task Attempts_of_other_nodes_do_not_wait()
    {
        using var first = Attempt("first", 30, "release-first");
        await StartedAsync("first");
        var other = new AttemptLockTests();
        try
        {
            File.Copy(Path.Combine(_directory, "step.sh"), Path.Combine(other._directory, "step.sh"), overwrite: true);
            using var unrelated = other.Attempt("other", 1, "release-other");
            File.WriteAllText(Path.Combine(other._directory, "release-other"), "");
            await unrelated.WaitForExitAsync();
            Assert.Equal(0, unrelated.ExitCode);
            Assert.DoesNotContain("PGHA_ATTEMPT", await unrelated.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            other.Dispose();
            File.WriteAllText(Path.Combine(_directory, "release-first"), "");
            await first.WaitForExitAsync();
        }
    }
}
