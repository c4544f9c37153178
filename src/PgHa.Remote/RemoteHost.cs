using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace PgHa.Remote;

/// <summary>
/// One host reached as one user: run commands with live output, upload files. Obtained from
/// <see cref="SshConnectionPool.Host"/>; cheap to create, the connection itself is pooled.
/// </summary>
public sealed partial class RemoteHost
{
    private const string GroupMarker = "PGHA-PGID ";
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AnnouncementWait = TimeSpan.FromSeconds(2);

    private readonly SshConnectionPool _pool;
    private readonly ILogger _logger;

    internal RemoteHost(SshConnectionPool pool, SshTarget target, ILogger logger)
    {
        _pool = pool;
        Target = target;
        _logger = logger;
    }

    public SshTarget Target { get; }
    public string Name => Target.HostName;

    /// <summary>
    /// Runs <paramref name="command"/> and streams each redacted output line to <paramref name="onOutput"/>.
    /// The remote side runs in its own process group under <c>timeout -s KILL</c>, so a timeout or a
    /// cancellation kills everything the command started (daemons that detach themselves, like a postmaster, survive).
    /// </summary>
    public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, Action<OutputLine>? onOutput = null, CancellationToken ct = default)
    {
        var described = _pool.Redactor.Redact(command.Describe());
        var input = BuildStdin(command);
        var commandLine = (command.Sudo ? "sudo -n " : "") + "setsid -w bash -s";
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["Host"] = Name, ["User"] = Target.User });
        _logger.LogInformation("Running on {Host} as {User}: {Command}", Name, Target.User, described);

        var stopwatch = Stopwatch.StartNew();
        var (client, ssh, execution) = await StartAsync(commandLine, ct).ConfigureAwait(false);
        using var _ = ssh;
        try
        {
            await using var stdin = ssh.CreateInputStream();
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(input), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The remote side ended before reading its script (e.g. sudo refused); its exit status tells why.
            _logger.LogDebug("Could not send the script to {Host}: {Reason}", Name, _pool.Redactor.Redact(e.Message));
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var lastErrors = new Queue<string>();
        // Written by the stderr pump, awaited on timeout/cancel: stdout and stderr are pumped apart, so a command's first
        // stdout line can arrive before the announcement that the wrapper wrote to stderr ahead of it.
        var processGroup = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var outPump = PumpAsync(ssh.OutputStream, OutputStream.StdOut, stdout, null, onOutput);
        var errPump = PumpAsync(ssh.ExtendedOutputStream, OutputStream.StdErr, stderr, line =>
        {
            // The wrapper announces its process group as the first stderr line; it is ours, not the command's.
            if (!processGroup.Task.IsCompleted && line.StartsWith(GroupMarker, StringComparison.Ordinal) &&
                int.TryParse(line.AsSpan(GroupMarker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pgid))
            {
                processGroup.TrySetResult(pgid);
                return false;
            }
            lock (lastErrors)
            {
                lastErrors.Enqueue(line);
                if (lastErrors.Count > 20) lastErrors.Dequeue();
            }
            return true;
        }, onOutput);

        // The remote `timeout` fires first; our own deadline only catches a host that stopped answering.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(command.Timeout + KillGrace);
        try
        {
            await execution.WaitAsync(deadline.Token).ConfigureAwait(false);
            await Task.WhenAll(outPump, errPump).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var reached = await KillProcessGroupAsync(await AnnouncedGroupAsync(processGroup.Task, errPump).ConfigureAwait(false), command.Sudo).ConfigureAwait(false);
            try { await DedicatedThread.RunAsync(() => ssh.CancelAsync(forceKill: true, millisecondsTimeout: 2000)).ConfigureAwait(false); }
            catch (Exception) { /* already finished */ }
            ct.ThrowIfCancellationRequested();
            if (!reached)
            {
                // No exit status even after the remote timeout, and the host does not answer the kill either:
                // the link or the host went away mid-command. The host's own `timeout -s KILL` still ends it.
                _pool.Evict(Target, client);
                _logger.LogWarning("Lost contact with {Host} while running: {Command}", Name, described);
                throw new HostUnreachableException(Name, Target.Address, Target.Port,
                    $"no answer while running a command (no exit status within its {command.Timeout.TotalSeconds:0} s timeout, and the kill request was not answered); " +
                    "the host's own timeout ends the command");
            }
            _logger.LogWarning("Timed out on {Host} after {Timeout}: {Command}", Name, command.Timeout, described);
            throw new RemoteTimeoutException(Name, described, command.Timeout);
        }
        catch (SshConnectionException e)
        {
            _pool.Evict(Target, client);
            throw new HostUnreachableException(Name, Target.Address, Target.Port, "connection lost while running a command: " + _pool.Redactor.Redact(e.Message), e);
        }
        stopwatch.Stop();

        var exitCode = ssh.ExitStatus ?? (ssh.ExitSignal is null ? -1 : 128 + SignalNumber(ssh.ExitSignal));
        if (stopwatch.Elapsed >= command.Timeout && exitCode != 0)
        {
            _logger.LogWarning("Timed out on {Host} after {Timeout}: {Command}", Name, command.Timeout, described);
            throw new RemoteTimeoutException(Name, described, command.Timeout);
        }

        var result = new RemoteCommandResult
        {
            ExitCode = exitCode,
            StdOut = stdout.ToString(),
            StdErr = stderr.ToString(),
            Duration = stopwatch.Elapsed,
        };
        _logger.LogInformation("Finished on {Host} with exit code {ExitCode} in {DurationMs} ms: {Command}",
            Name, exitCode, (long)stopwatch.Elapsed.TotalMilliseconds, described);
        if (!result.Succeeded && command.ThrowOnFailure)
        {
            List<string> tail;
            lock (lastErrors) tail = lastErrors.TakeLast(10).ToList();
            throw new RemoteCommandFailedException(Name, described, exitCode, tail);
        }
        return result;
    }

    /// <summary>Runs a command and returns its trimmed stdout (throws on non-zero exit).</summary>
    public async Task<string> ReadAsync(RemoteCommand command, CancellationToken ct = default) =>
        (await RunAsync(command with { ThrowOnFailure = true }, null, ct).ConfigureAwait(false)).StdOut.TrimEnd('\n');

    // Opens the exec channel, re-opening the pooled connection once if the server had dropped it. Retrying is
    // safe: a failed exec request means the command never started.
    private async Task<(SshClient, SshCommand, Task)> StartAsync(string commandLine, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var client = await _pool.ShellAsync(Target, ct).ConfigureAwait(false);
            SshCommand? ssh = null;
            try
            {
                ssh = client.CreateCommand(commandLine, Encoding.UTF8);
                var command = ssh;
                return (client, ssh, await DedicatedThread.StartAsync(() => command.ExecuteAsync(CancellationToken.None)).ConfigureAwait(false));
            }
            // A channel that never opens (SshOperationTimeoutException) means the pooled connection only looks open:
            // the link or the host went away since it was last used.
            catch (Exception e) when (e is SshConnectionException or SshOperationTimeoutException or ObjectDisposedException)
            {
                ssh?.Dispose();
                _pool.Evict(Target, client);
                if (attempt > 1)
                    throw new HostUnreachableException(Name, Target.Address, Target.Port, "connection lost: " + _pool.Redactor.Redact(e.Message), e);
                _logger.LogInformation("Connection to {Host} as {User} was lost ({Reason}); reconnecting", Name, Target.User, _pool.Redactor.Redact(e.Message));
            }
        }
    }

    /// <summary>
    /// The script sent on stdin (never on a command line, so environment values do not show in `ps`).
    /// Braces make bash read the whole block before running it; the command itself reads /dev/null.
    /// </summary>
    internal static string BuildStdin(RemoteCommand command)
    {
        if ((command.Program is null) == (command.Script is null))
            throw new ArgumentException("A remote command needs exactly one of Program or Script.", nameof(command));
        if (command.Timeout <= TimeSpan.Zero)
            throw new ArgumentException("A remote command needs a positive timeout.", nameof(command));

        var body = command.Script ?? "exec " + ShellQuoting.Join([command.Program!, .. command.Arguments]);
        var delimiter = "PGHA_END_" + Guid.NewGuid().ToString("N");
        var seconds = (long)Math.Ceiling(command.Timeout.TotalSeconds);
        var script = new StringBuilder();
        script.Append("{\n");
        script.Append("printf '").Append(GroupMarker).Append("%s\\n' \"$$\" >&2\n");
        foreach (var (name, value) in command.Environment)
        {
            if (!ShellQuoting.IsValidVariableName(name))
                throw new ArgumentException($"'{name}' is not a valid environment variable name.", nameof(command));
            script.Append("export ").Append(name).Append('=').Append(ShellQuoting.Quote(value)).Append('\n');
        }
        if (command.WorkingDirectory is { } dir)
            script.Append("cd -- ").Append(ShellQuoting.Quote(dir)).Append(" || exit 126\n");
        script.Append("exec timeout -s KILL ").Append(seconds).Append(" bash /dev/fd/3 </dev/null 3<<'").Append(delimiter).Append("'\n");
        script.Append(body);
        if (!body.EndsWith('\n')) script.Append('\n');
        script.Append(delimiter).Append('\n');
        script.Append("}\n");
        return script.ToString();
    }

    private async Task PumpAsync(Stream stream, OutputStream kind, StringBuilder capture, Func<string, bool>? filter, Action<OutputLine>? onOutput)
    {
        await Task.Yield();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } raw)
        {
            var line = _pool.Redactor.Redact(raw);
            if (filter is not null && !filter(line)) continue;
            lock (capture) capture.Append(line).Append('\n');
            _logger.LogDebug("{Host} {Stream}: {Line}", Name, kind, line);
            onOutput?.Invoke(new OutputLine(kind, line));
        }
    }

    /// <summary>The process group the wrapper announced, or 0 when stderr ended or stayed silent without it (the command never started).</summary>
    private static async Task<int> AnnouncedGroupAsync(Task<int> announced, Task stderrPump)
    {
        await Task.WhenAny(announced, stderrPump, Task.Delay(AnnouncementWait)).ConfigureAwait(false);
        return announced.IsCompleted ? announced.Result : 0;
    }

    /// <summary>Kills the command's process group; false when the host could not be asked (no answer).</summary>
    private async Task<bool> KillProcessGroupAsync(int pgid, bool sudo)
    {
        // Group not announced yet: nothing to kill (the remote `timeout -s KILL` still ends it), but ask the host
        // something all the same, to tell a slow command from a host that stopped answering.
        var announced = pgid > 1;
        try
        {
            var client = await _pool.ShellAsync(Target, CancellationToken.None).WaitAsync(KillGrace).ConfigureAwait(false);
            using var kill = client.CreateCommand(announced ? (sudo ? "sudo -n " : "") + "kill -KILL -- -" + pgid.ToString(CultureInfo.InvariantCulture) : "true");
            kill.CommandTimeout = KillGrace;
            await DedicatedThread.RunAsync(() => kill.ExecuteAsync(CancellationToken.None)).ConfigureAwait(false);
            if (announced) _logger.LogInformation("Killed process group {ProcessGroup} on {Host}", pgid, Name);
            return true;
        }
        catch (Exception e)
        {
            // The remote `timeout -s KILL` still ends it when the host is reachable again.
            _logger.LogWarning("Could not kill process group {ProcessGroup} on {Host}: {Reason}", pgid, Name, _pool.Redactor.Redact(e.Message));
            return e is not (SshOperationTimeoutException or SshConnectionException or TimeoutException or ObjectDisposedException or RemoteException);
        }
    }

    private static int SignalNumber(string signal) => signal switch
    {
        "HUP" => 1, "INT" => 2, "QUIT" => 3, "ABRT" => 6, "KILL" => 9, "SEGV" => 11, "PIPE" => 13, "ALRM" => 14, "TERM" => 15,
        _ => 0,
    };
}
