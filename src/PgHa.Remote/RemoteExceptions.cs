namespace PgHa.Remote;

/// <summary>Base of every failure talking to a host. Messages never contain secret values.</summary>
public abstract class RemoteException(string host, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Host { get; } = host;
}

public sealed class HostUnreachableException(string host, string address, int port, string reason, Exception? inner = null)
    : RemoteException(host, $"Host {host} ({address}:{port}) is unreachable: {reason}", inner)
{
    public string Address { get; } = address;
    public int Port { get; } = port;
}

public sealed class AuthenticationFailedException(string host, string user, string reason, Exception? inner = null)
    : RemoteException(host, $"SSH login as {user}@{host} failed: {reason}", inner)
{
    public string User { get; } = user;
}

public sealed class HostKeyMismatchException(string host, string keyType, string fingerprintSeen, string fingerprintExpected, string knownHostsFile)
    : RemoteException(host,
        $"Host key of {host} has CHANGED: it presented {keyType} {fingerprintSeen} but {knownHostsFile} pins {fingerprintExpected}. " +
        "Connection refused; if the host was legitimately re-installed, replace its line in the known_hosts file.")
{
    public string FingerprintSeen { get; } = fingerprintSeen;
    public string FingerprintExpected { get; } = fingerprintExpected;
}

public sealed class UnknownHostKeyException(string host, string keyType, string fingerprintSeen, string knownHostsFile)
    : RemoteException(host,
        $"Host {host} is not in {knownHostsFile}: it presented {keyType} {fingerprintSeen} (expected: a pinned key, none found). " +
        "Connection refused; pin the key or connect once with trust-on-first-use.")
{
    public string FingerprintSeen { get; } = fingerprintSeen;
}

public sealed class RemoteTimeoutException(string host, string command, TimeSpan timeout)
    : RemoteException(host, $"'{command}' on {host} did not finish within {timeout.TotalSeconds:0.#} s; its process group was killed.")
{
    public TimeSpan Timeout { get; } = timeout;
}

public sealed class RemoteCommandFailedException(string host, string command, int exitCode, IReadOnlyList<string> lastStdErrLines)
    : RemoteException(host,
        $"'{command}' on {host} exited with {exitCode}" +
        (lastStdErrLines.Count == 0 ? "." : ":" + System.Environment.NewLine + string.Join(System.Environment.NewLine, lastStdErrLines)))
{
    public int ExitCode { get; } = exitCode;
    public IReadOnlyList<string> LastStdErrLines { get; } = lastStdErrLines;
}

/// <summary>A file transfer or remote file operation failed.</summary>
public sealed class RemoteTransferException(string host, string message, Exception? inner = null) : RemoteException(host, message, inner);
