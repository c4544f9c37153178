using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PgHa.Lab;

public sealed record LocalCommandResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A command run on the lab machine itself (ip, useradd, nsenter...), arguments passed without a shell.</summary>
internal sealed class LocalCommand(ILogger logger)
{
    public async Task<LocalCommandResult> RunAsync(string program, IEnumerable<string> arguments, bool check = true,
        Action<string>? onLine = null, IDictionary<string, string>? environment = null, string? stdin = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var display = program + " " + string.Join(' ', psi.ArgumentList);
        logger.LogDebug("$ {Command}", display);

        using var process = Process.Start(psi) ?? throw new LabException($"could not start {program}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var outTask = Pump(process.StandardOutput, stdout, onLine);
        var errTask = Pump(process.StandardError, stderr, onLine);
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
        process.StandardInput.Close();
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        await Task.WhenAll(outTask, errTask).ConfigureAwait(false);

        var result = new LocalCommandResult(process.ExitCode, stdout.ToString(), stderr.ToString());
        if (check && !result.Succeeded)
            throw new LabException($"'{display}' failed with exit code {result.ExitCode}: {result.StdErr.Trim()} {result.StdOut.Trim()}".Trim());
        return result;
    }

    public Task<LocalCommandResult> RunAsync(string program, params string[] arguments) => RunAsync(program, arguments, true);

    public Task<LocalCommandResult> TryAsync(string program, params string[] arguments) => RunAsync(program, arguments, false);

    private static async Task Pump(StreamReader reader, StringBuilder capture, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            capture.Append(line).Append('\n');
            onLine?.Invoke(line);
        }
    }
}

/// <summary>The lab could not be brought up, inspected or torn down; the message says what to do.</summary>
public sealed class LabException(string message, Exception? inner = null) : Exception(message, inner);
