using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using PgHa.Remote;
using Xunit.Abstractions;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class RemoteCommandTests(LabFixture lab, ITestOutputHelper output)
{
    [Fact]
    public void Bring_up_time_is_reported()
    {
        var line = $"lab bring-up: {lab.BringUpTime.TotalSeconds:0.00} s total; steps: " +
                   string.Join(", ", lab.UpResult.Steps.Select(s => $"{s.Step} {s.Duration.TotalSeconds:0.00}s"));
        output.WriteLine(line);
        Console.WriteLine("[lab] " + line);
        Assert.False(lab.UpResult.AlreadyUp);
        Assert.InRange(lab.BringUpTime, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task Silkcloud_runs_a_command_on_its_own_host()
    {
        var view = await lab.Host("pgha-slave", "silkcloud").ReadAsync(RemoteCommand.Bash("echo \"$(hostname) $(id -un)\""));
        Assert.Equal("pgha-slave silkcloud", view);
    }

    [Fact]
    public async Task Devops_runs_through_sudo_and_silkcloud_cannot()
    {
        Assert.Equal("root", await lab.Host("pgha-master", "devops").ReadAsync(new RemoteCommand { Program = "id", Arguments = ["-un"], Sudo = true }));

        var refused = await Assert.ThrowsAsync<RemoteCommandFailedException>(() =>
            lab.Host("pgha-master", "silkcloud").RunAsync(new RemoteCommand { Program = "id", Arguments = ["-un"], Sudo = true }));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(refused.LastStdErrLines, l => l.Contains("password is required", StringComparison.Ordinal));
        Assert.Contains("pgha-master", refused.Message);
    }

    [Fact]
    public async Task A_failing_command_can_be_returned_instead_of_thrown()
    {
        var result = await lab.Host("pgha-replica", "silkcloud").RunAsync(new RemoteCommand { Script = "echo out; echo err >&2; exit 7", ThrowOnFailure = false });
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.StdOut);
        Assert.Equal("err\n", result.StdErr);
    }

    [Fact]
    public async Task Long_output_arrives_line_by_line_while_the_command_runs()
    {
        // The command waits for a file that the test creates only once it has received line 5000: if output were
        // delivered at the end instead of streamed, the command would give up waiting and print "not released".
        var host = lab.Host("pgha-master", "silkcloud");
        var flag = $"/tmp/pgha-stream-{Guid.NewGuid():N}";
        var lines = new List<OutputLine>();
        Task? release = null;
        var result = await host.RunAsync(
            RemoteCommand.Bash($"for i in $(seq 1 5000); do echo \"line $i\"; done; echo 'to stderr' >&2; " +
                               $"for _ in $(seq 1 600); do [ -e {flag} ] && break; sleep 0.1; done; " +
                               $"if [ -e {flag} ]; then echo released; else echo 'not released'; fi; rm -f {flag}; echo last"),
            line =>
            {
                lock (lines) lines.Add(line);
                if (line.Text == "line 5000") release = host.RunAsync(RemoteCommand.Run("touch", flag));
            });
        Assert.NotNull(release);
        await release;

        var stdout = lines.Where(l => l.Stream == OutputStream.StdOut).Select(l => l.Text).ToList();
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => $"line {i}").Append("released").Append("last"), stdout);
        Assert.Contains(lines, l => l is { Stream: OutputStream.StdErr, Text: "to stderr" });
        Assert.Equal(5002, result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Timeout_kills_the_remote_command_and_everything_it_started()
    {
        var host = lab.Host("pgha-slave", "silkcloud");
        var clock = Stopwatch.StartNew();
        var timeout = await Assert.ThrowsAsync<RemoteTimeoutException>(() => host.RunAsync(new RemoteCommand
        {
            Script = "sleep 3017 & sleep 3018 & echo started; wait",
            Timeout = TimeSpan.FromSeconds(2),
        }));
        clock.Stop();
        output.WriteLine($"timed out after {clock.Elapsed.TotalSeconds:0.0} s: {timeout.Message}");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));

        // Checked on the host itself: neither the command nor its background child survived.
        var left = await host.RunAsync(new RemoteCommand { Script = "ps -eo args | grep -E '^sleep 301[78]$' || true" });
        Assert.Equal("", left.StdOut);
    }

    [Fact]
    public async Task Cancelling_a_run_kills_the_remote_process()
    {
        var host = lab.Host("pgha-replica", "devops");
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var run = host.RunAsync(new RemoteCommand { Script = "echo started; exec sleep 3019", Sudo = true },
            l => { if (l.Text == "started") started.TrySetResult(); }, cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var left = await host.RunAsync(new RemoteCommand { Script = "ps -eo args | grep -E '^sleep 3019$' || true" });
        Assert.Equal("", left.StdOut);
    }

    [Fact]
    public async Task A_secret_in_the_environment_never_shows_in_output_logs_or_errors()
    {
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        lab.Redactor.Register(secret); // what SecretStore does when a runbook resolves ${secrets.x}
        var streamed = new List<string>();
        var failure = await Assert.ThrowsAsync<RemoteCommandFailedException>(() => lab.Host("pgha-master", "devops").RunAsync(new RemoteCommand
        {
            Script = "printenv PGHA_TEST_SECRET; printf %s \"$PGHA_TEST_SECRET\" | sha256sum; echo \"password=$PGHA_TEST_SECRET\" >&2; exit 4",
            Environment = new Dictionary<string, string> { ["PGHA_TEST_SECRET"] = secret },
            Sudo = true,
        }, l => { lock (streamed) streamed.Add(l.Text); }));

        // It did arrive intact on the host...
        var expectedHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        Assert.Contains(streamed, l => l.StartsWith(expectedHash, StringComparison.Ordinal));
        // ...and was masked everywhere it came back.
        Assert.Contains("***", streamed);
        Assert.Contains("password=***", streamed);
        Assert.DoesNotContain(streamed, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, failure.Message);
        Assert.Contains("password=***", failure.Message);
        Assert.DoesNotContain(secret, lab.Logs.AllText);
        Assert.Contains("PGHA_TEST_SECRET=***", lab.Logs.AllText);
    }

    [Fact]
    public async Task Shell_syntax_in_arguments_arrives_verbatim()
    {
        var nasty = new[]
        {
            "$(touch /tmp/pgha-injected)", "`touch /tmp/pgha-injected`", "a; touch /tmp/pgha-injected", "it's \"quoted\"",
            "'; touch /tmp/pgha-injected; '", "$HOME *", "back\\slash", "new\nline", "", "&& || | > <",
        };
        var host = lab.Host("pgha-replica", "silkcloud");
        var result = await host.RunAsync(new RemoteCommand { Program = "printf", Arguments = ["[%s]\\n", .. nasty] });
        Assert.Equal(string.Concat(nasty.Select(n => $"[{n}]\n")), result.StdOut);

        var env = await host.ReadAsync(new RemoteCommand
        {
            Program = "printenv", Arguments = ["WEIRD"], Environment = new Dictionary<string, string> { ["WEIRD"] = nasty[4] + nasty[0] },
        });
        Assert.Equal(nasty[4] + nasty[0], env);

        var dir = "/tmp/it's a dir; $(x)";
        await host.RunAsync(RemoteCommand.Run("mkdir", "-p", "--", dir));
        Assert.Equal(dir, await host.ReadAsync(new RemoteCommand { Program = "pwd", WorkingDirectory = dir }));
        Assert.Equal("absent", await host.ReadAsync(RemoteCommand.Bash("test -e /tmp/pgha-injected && echo present || echo absent")));
    }
}
