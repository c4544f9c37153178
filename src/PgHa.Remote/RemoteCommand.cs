namespace PgHa.Remote;

/// <summary>
/// One command to run on a host: either a program with arguments (each quoted, never parsed by a shell)
/// or a bash script body. Environment values may be secrets: they travel over the SSH channel's stdin,
/// never in a command line, and are redacted from output and logs.
/// </summary>
public sealed record RemoteCommand
{
    public string? Program { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>A bash script body, used instead of <see cref="Program"/>.</summary>
    public string? Script { get; init; }

    /// <summary>Run through <c>sudo -n</c> (the login user must have passwordless sudo, e.g. devops).</summary>
    public bool Sudo { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? WorkingDirectory { get; init; }

    /// <summary>After this the remote process group is killed with SIGKILL and <see cref="RemoteTimeoutException"/> is thrown.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>When true (default) a non-zero exit throws <see cref="RemoteCommandFailedException"/>; otherwise the result is returned.</summary>
    public bool ThrowOnFailure { get; init; } = true;

    public static RemoteCommand Run(string program, params string[] arguments) =>
        new() { Program = program, Arguments = arguments };

    public static RemoteCommand Bash(string script) => new() { Script = script };

    /// <summary>What the operator sees in logs: the program and arguments, environment names only, never values.</summary>
    public string Describe()
    {
        var env = Environment.Count == 0 ? "" : "env " + string.Join(' ', Environment.Keys.Select(k => k + "=***")) + " ";
        var body = Script is not null
            ? "bash script (" + Script.Split('\n').Length + " lines)"
            : ShellQuoting.Join([Program ?? "", .. Arguments]);
        return (Sudo ? "sudo -n " : "") + env + body;
    }
}

public enum OutputStream { StdOut, StdErr }

/// <summary>One line of a running command's output, already redacted.</summary>
public readonly record struct OutputLine(OutputStream Stream, string Text);

public sealed record RemoteCommandResult
{
    public required int ExitCode { get; init; }
    public required string StdOut { get; init; }
    public required string StdErr { get; init; }
    public required TimeSpan Duration { get; init; }
    public bool Succeeded => ExitCode == 0;
}
