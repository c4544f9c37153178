using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Secrets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace PgHa.Remote;

/// <summary>
/// Keeps one SSH connection (and one SFTP connection, when used) per host and user, shared by every caller.
/// Thread-safe. A connection the server dropped is re-opened on next use. Host keys are checked against
/// the cluster's known_hosts before a single byte of authentication is sent.
/// </summary>
public sealed class SshConnectionPool(SecretRedactor redactor, ILoggerFactory? loggerFactory = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, PooledConnection> _connections = new();
    private readonly ILoggerFactory _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SshConnectionPool>();
    private bool _disposed;

    public SecretRedactor Redactor { get; } = redactor;

    /// <summary>The handle to run commands on and upload files to one host as one user.</summary>
    public RemoteHost Host(SshTarget target) =>
        new(this, target, _loggerFactory.CreateLogger<RemoteHost>());

    internal Task<SshClient> ShellAsync(SshTarget target, CancellationToken ct) =>
        GetAsync(target, c => c.Shell, (c, v) => c.Shell = v, info => new SshClient(info), ct);

    internal Task<SftpClient> SftpAsync(SshTarget target, CancellationToken ct) =>
        GetAsync(target, c => c.Sftp, (c, v) => c.Sftp = v, info => new SftpClient(info), ct);

    /// <summary>Forgets a connection that failed mid-use, so the next call opens a fresh one.</summary>
    internal void Evict(SshTarget target, BaseClient client)
    {
        if (!_connections.TryGetValue(target.PoolKey, out var pooled)) return;
        lock (pooled)
        {
            if (ReferenceEquals(pooled.Shell, client)) pooled.Shell = null;
            if (ReferenceEquals(pooled.Sftp, client)) pooled.Sftp = null;
        }
        DisposeQuietly(client);
    }

    /// <summary>
    /// Drops every pooled connection to an address (any user): after the host was unreachable they may only look open,
    /// and a command on one would wait for TCP retransmission instead of connecting afresh.
    /// </summary>
    public void ForgetAddress(string address, int port)
    {
        foreach (var (key, pooled) in _connections)
        {
            if (!key.EndsWith($"@{address}:{port}", StringComparison.Ordinal)) continue;
            BaseClient?[] clients;
            lock (pooled)
            {
                clients = [pooled.Shell, pooled.Sftp];
                pooled.Shell = null;
                pooled.Sftp = null;
            }
            foreach (var client in clients) if (client is not null) DisposeQuietly(client);
        }
    }

    private async Task<T> GetAsync<T>(SshTarget target, Func<PooledConnection, T?> get, Action<PooledConnection, T?> set,
        Func<ConnectionInfo, T> create, CancellationToken ct) where T : BaseClient
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pooled = _connections.GetOrAdd(target.PoolKey, _ => new PooledConnection());
        await pooled.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var existing = get(pooled);
            if (existing is { IsConnected: true }) return existing;
            if (existing is not null)
            {
                _logger.LogInformation("SSH connection to {Host} as {User} was dropped; reconnecting", target.HostName, target.User);
                set(pooled, null);
                DisposeQuietly(existing);
            }
            var client = await ConnectAsync(target, create, ct).ConfigureAwait(false);
            set(pooled, client);
            return client;
        }
        finally { pooled.Gate.Release(); }
    }

    private async Task<T> ConnectAsync<T>(SshTarget target, Func<ConnectionInfo, T> create, CancellationToken ct) where T : BaseClient
    {
        PrivateKeyFile key;
        try
        {
            key = target.KeyPassphrase is null ? new PrivateKeyFile(target.KeyFile) : new PrivateKeyFile(target.KeyFile, target.KeyPassphrase);
        }
        catch (Exception e) when (e is SshException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new AuthenticationFailedException(target.HostName, target.User,
                $"cannot use key file {target.KeyFile}: {Redactor.Redact(e.Message)}");
        }

        var info = new ConnectionInfo(target.Address, target.Port, target.User, new PrivateKeyAuthenticationMethod(target.User, key))
        {
            Timeout = target.ConnectTimeout,
        };
        var pinned = KnownHosts.Load(target.KnownHostsFile);
        var pinnedForHost = pinned.For(target.HostName, target.Address, target.Port);
        RestrictHostKeyAlgorithms(info, pinnedForHost);

        RemoteException? refusal = null;
        var client = create(info);
        client.HostKeyReceived += (_, e) =>
        {
            refusal = CheckHostKey(target, pinned, pinnedForHost, e.HostKeyName, e.HostKey);
            e.CanTrust = refusal is null;
        };
        try
        {
            await client.ConnectAsync(ct).ConfigureAwait(false);
            client.KeepAliveInterval = TimeSpan.FromSeconds(15);
            _logger.LogInformation("Connected to {Host} ({Address}:{Port}) as {User}", target.HostName, target.Address, target.Port, target.User);
            return client;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DisposeQuietly(client);
            var mapped = refusal ?? Classify(target, e);
            _logger.LogWarning("Cannot connect to {Host} ({Address}:{Port}) as {User}: {Reason}",
                target.HostName, target.Address, target.Port, target.User, mapped.Message);
            throw mapped;
        }
    }

    private RemoteException? CheckHostKey(SshTarget target, KnownHosts pinned, IReadOnlyList<KnownHostEntry> pinnedForHost, string keyType, byte[] key)
    {
        var seen = KnownHosts.Fingerprint(key);
        if (pinned.IsRevoked(key))
            return new HostKeyMismatchException(target.HostName, keyType, seen, "(this key is marked @revoked)", pinned.Path);
        // Compare raw key blobs: SSH.NET's own fingerprint string lacks the SHA256: prefix and padding.
        if (pinnedForHost.Any(e => e.Key.AsSpan().SequenceEqual(key))) return null;
        if (pinnedForHost.Count > 0)
        {
            var expected = string.Join(" or ", pinnedForHost.Select(e => $"{e.KeyType} {e.Fingerprint}"));
            return new HostKeyMismatchException(target.HostName, keyType, seen, expected, pinned.Path);
        }
        if (!target.TrustOnFirstUse)
            return new UnknownHostKeyException(target.HostName, keyType, seen, pinned.Path);

        var blobType = BlobKeyType(key) ?? keyType;
        KnownHosts.Append(target.KnownHostsFile, target.HostName, target.Address, target.Port, blobType, key);
        _logger.LogWarning("Trusted new host key of {Host} on first use: {KeyType} {Fingerprint}, appended to {KnownHostsFile}",
            target.HostName, blobType, seen, target.KnownHostsFile);
        return null;
    }

    // Offer the server only algorithms of the pinned key types, so a host with several keys presents the pinned one.
    private static void RestrictHostKeyAlgorithms(ConnectionInfo info, IReadOnlyList<KnownHostEntry> pinned)
    {
        if (pinned.Count == 0) return;
        var types = pinned.Select(p => p.KeyType).ToHashSet(StringComparer.Ordinal);
        bool Wanted(string algorithm) => types.Contains(algorithm) ||
            (types.Contains("ssh-rsa") && algorithm.StartsWith("rsa-sha2-", StringComparison.Ordinal));
        var unwanted = info.HostKeyAlgorithms.Keys.Where(a => !Wanted(a)).ToList();
        if (unwanted.Count == info.HostKeyAlgorithms.Count) return;
        foreach (var algorithm in unwanted) info.HostKeyAlgorithms.Remove(algorithm);
    }

    // The key blob starts with its own type name (uint32 length + ascii), e.g. ssh-rsa even when signed with rsa-sha2-512.
    private static string? BlobKeyType(byte[] key)
    {
        if (key.Length < 4) return null;
        var length = (key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3];
        return length > 0 && length <= key.Length - 4 ? System.Text.Encoding.ASCII.GetString(key, 4, length) : null;
    }

    private RemoteException Classify(SshTarget target, Exception e)
    {
        var reason = Redactor.Redact(e.Message);
        return e switch
        {
            SshAuthenticationException => new AuthenticationFailedException(target.HostName, target.User, reason, e),
            SocketException s => new HostUnreachableException(target.HostName, target.Address, target.Port, $"{reason} ({s.SocketErrorCode})", e),
            SshOperationTimeoutException or TimeoutException =>
                new HostUnreachableException(target.HostName, target.Address, target.Port, "no answer within " + target.ConnectTimeout.TotalSeconds + " s", e),
            SshConnectionException or ProxyException or IOException =>
                new HostUnreachableException(target.HostName, target.Address, target.Port, reason, e),
            _ => new HostUnreachableException(target.HostName, target.Address, target.Port, $"{e.GetType().Name}: {reason}", e),
        };
    }

    private static void DisposeQuietly(BaseClient client)
    {
        try { if (client.IsConnected) client.Disconnect(); } catch (Exception) { /* already broken */ }
        try { client.Dispose(); } catch (Exception) { /* already broken */ }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var pooled in _connections.Values)
        {
            if (pooled.Shell is { } s) DisposeQuietly(s);
            if (pooled.Sftp is { } f) DisposeQuietly(f);
        }
        _connections.Clear();
    }

    private sealed class PooledConnection
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public SshClient? Shell;
        public SftpClient? Sftp;
    }
}
