using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PgHa.Postgres.PgBouncer;

/// <summary>One result set (or command completion) returned by a simple-protocol query; all values are text.</summary>
public sealed record SimpleQueryResult(string CommandTag, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows)
{
    public int Ordinal(string column)
    {
        for (var i = 0; i < Columns.Count; i++)
            if (string.Equals(Columns[i], column, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}

/// <summary>
/// A minimal PostgreSQL frontend speaking only the simple query protocol (protocol 3.0, no TLS).
/// It exists because pgbouncer's admin console rejects the extended protocol ("extended query protocol not
/// supported by admin console") and Npgsql always uses the extended protocol, even without parameters.
/// Supports trust, cleartext, MD5 and SCRAM-SHA-256 authentication.
/// </summary>
internal sealed class SimpleQueryConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly string _target;

    private SimpleQueryConnection(TcpClient client, string target)
    {
        _client = client;
        _stream = client.GetStream();
        _target = target;
    }

    /// <summary>Connects and authenticates. Failures become <see cref="PgBouncerAdminException"/> naming target and user only.</summary>
    public static async Task<SimpleQueryConnection> OpenAsync(
        string host, int port, string database, string user, string? password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var target = $"pgbouncer on {(host.Contains(':') ? $"[{host}]" : host)}:{port}";
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var client = new TcpClient { NoDelay = true };
        SimpleQueryConnection? connection = null;
        try
        {
            try
            {
                await client.ConnectAsync(host, port, bounded.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                var kind = e.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => PgBouncerErrorKind.Refused,
                    SocketError.TimedOut => PgBouncerErrorKind.Timeout,
                    _ => PgBouncerErrorKind.Unreachable,
                };
                var what = kind == PgBouncerErrorKind.Refused ? "refused the connection (is it running?)" : "is unreachable";
                throw new PgBouncerAdminException(kind, $"{target} {what}: {e.Message}", null, e);
            }

            connection = new SimpleQueryConnection(client, target);
            await connection.StartupAsync(database, user, password, bounded.Token).ConfigureAwait(false);
            return connection;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietly(connection, client).ConfigureAwait(false);
            throw new PgBouncerAdminException(PgBouncerErrorKind.Timeout,
                $"{target} did not complete admin login for user {user} within {timeout.TotalSeconds:0.#} s", null, e);
        }
        catch (IOException e)
        {
            await DisposeQuietly(connection, client).ConfigureAwait(false);
            throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation,
                $"{target} closed the connection during admin login for user {user}: {e.Message}", null, e);
        }
        catch
        {
            await DisposeQuietly(connection, client).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task DisposeQuietly(SimpleQueryConnection? connection, TcpClient client)
    {
        if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        else client.Dispose();
    }

    private async Task StartupAsync(string database, string user, string? password, CancellationToken ct)
    {
        var body = new MemoryStream();
        WriteInt32(body, 196608); // protocol 3.0
        WriteCString(body, "user"); WriteCString(body, user);
        WriteCString(body, "database"); WriteCString(body, database);
        body.WriteByte(0);
        await SendAsync(null, body.ToArray(), ct).ConfigureAwait(false);

        ScramSha256? scram = null;
        while (true)
        {
            var (type, payload) = await ReceiveAsync(ct).ConfigureAwait(false);
            switch (type)
            {
                case (byte)'R':
                    var code = BinaryPrimitives.ReadInt32BigEndian(payload);
                    switch (code)
                    {
                        case 0: break; // AuthenticationOk
                        case 3: // cleartext
                            await SendAsync((byte)'p', CString(RequirePassword(password, user)), ct).ConfigureAwait(false);
                            break;
                        case 5: // MD5: "md5" + md5(md5(password + user) + salt)
                            var inner = Md5Hex(Encoding.UTF8.GetBytes(RequirePassword(password, user) + user));
                            var outer = Md5Hex([.. Encoding.ASCII.GetBytes(inner), .. payload.AsSpan(4, 4)]);
                            await SendAsync((byte)'p', CString("md5" + outer), ct).ConfigureAwait(false);
                            break;
                        case 10: // SASL: mechanism list
                            var mechanisms = Encoding.UTF8.GetString(payload, 4, payload.Length - 4).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                            if (!mechanisms.Contains("SCRAM-SHA-256"))
                                throw Protocol($"offers only SASL mechanisms {string.Join(", ", mechanisms)}");
                            scram = new ScramSha256(RequirePassword(password, user));
                            var first = Encoding.UTF8.GetBytes(scram.ClientFirstMessage);
                            var initial = new MemoryStream();
                            WriteCString(initial, "SCRAM-SHA-256");
                            WriteInt32(initial, first.Length);
                            initial.Write(first);
                            await SendAsync((byte)'p', initial.ToArray(), ct).ConfigureAwait(false);
                            break;
                        case 11: // SASL continue: server-first-message
                            if (scram is null) throw Protocol("sent SASLContinue without SASL");
                            var final = scram.ClientFinalMessage(Encoding.UTF8.GetString(payload, 4, payload.Length - 4));
                            await SendAsync((byte)'p', Encoding.UTF8.GetBytes(final), ct).ConfigureAwait(false);
                            break;
                        case 12: // SASL final: verify the server knows the password too
                            if (scram is null || !scram.VerifyServerFinal(Encoding.UTF8.GetString(payload, 4, payload.Length - 4)))
                                throw Protocol("sent a SCRAM server signature that does not match");
                            break;
                        default:
                            throw Protocol($"requested unsupported authentication method {code}");
                    }
                    break;
                case (byte)'E':
                    var error = ParseError(payload);
                    throw new PgBouncerAdminException(PgBouncerErrorKind.AuthenticationFailed,
                        $"{_target} refused admin login for user {user}: {error.Message}", error.SqlState);
                case (byte)'Z':
                    return;
                case (byte)'S' or (byte)'K' or (byte)'N':
                    break;
                default:
                    throw Protocol($"sent unexpected message '{(char)type}' during login");
            }
        }

        static string RequirePassword(string? password, string user) =>
            password ?? throw new PgBouncerAdminException(PgBouncerErrorKind.AuthenticationFailed, $"a password is required for user {user} but none was given");
    }

    /// <summary>Sends one simple Query message and collects every result until ReadyForQuery.</summary>
    public async Task<IReadOnlyList<SimpleQueryResult>> QueryAsync(string sql, CancellationToken ct)
    {
        if (sql.Contains('\0')) throw new ArgumentException("A query cannot contain NUL.", nameof(sql));
        await SendAsync((byte)'Q', CString(sql), ct).ConfigureAwait(false);
        var results = new List<SimpleQueryResult>();
        List<string>? columns = null;
        List<IReadOnlyList<string?>>? rows = null;
        (string Message, string? SqlState)? error = null;
        while (true)
        {
            var (type, payload) = await ReceiveAsync(ct).ConfigureAwait(false);
            switch (type)
            {
                case (byte)'T':
                    columns = ParseRowDescription(payload);
                    rows = [];
                    break;
                case (byte)'D':
                    (rows ??= []).Add(ParseDataRow(payload));
                    break;
                case (byte)'C':
                    results.Add(new SimpleQueryResult(ReadCString(payload, 0, out _), columns ?? [], rows ?? []));
                    columns = null;
                    rows = null;
                    break;
                case (byte)'I': // empty query
                    break;
                case (byte)'E':
                    error = ParseError(payload);
                    break;
                case (byte)'Z':
                    if (error is { } e)
                        throw new PgBouncerAdminException(PgBouncerErrorKind.CommandRejected, $"{_target} rejected '{sql}': {e.Message}", e.SqlState);
                    return results;
                case (byte)'N' or (byte)'S':
                    break;
                default:
                    throw Protocol($"sent unexpected message '{(char)type}' in reply to '{sql}'");
            }
        }
    }

    private PgBouncerAdminException Protocol(string what) => new(PgBouncerErrorKind.ProtocolViolation, $"{_target} {what}");

    private async Task SendAsync(byte? type, byte[] body, CancellationToken ct)
    {
        var message = new byte[(type is null ? 0 : 1) + 4 + body.Length];
        var offset = 0;
        if (type is { } t) message[offset++] = t;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(offset), body.Length + 4);
        body.CopyTo(message, offset + 4);
        await _stream.WriteAsync(message, ct).ConfigureAwait(false);
    }

    private async Task<(byte Type, byte[] Payload)> ReceiveAsync(CancellationToken ct)
    {
        var header = new byte[5];
        await _stream.ReadExactlyAsync(header, ct).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        // The admin console answers with small messages; a huge length means we are not talking to pgbouncer.
        if (length < 4 || length > 64 * 1024 * 1024) throw Protocol($"sent a message of invalid length {length}");
        var payload = new byte[length - 4];
        await _stream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
        return (header[0], payload);
    }

    private static List<string> ParseRowDescription(byte[] payload)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(payload);
        var columns = new List<string>(count);
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            columns.Add(ReadCString(payload, offset, out offset));
            offset += 18; // table oid, attnum, type oid, typlen, typmod, format
        }
        return columns;
    }

    private static string?[] ParseDataRow(byte[] payload)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(payload);
        var values = new string?[count];
        var offset = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(offset));
            offset += 4;
            if (length < 0) continue; // NULL
            values[i] = Encoding.UTF8.GetString(payload, offset, length);
            offset += length;
        }
        return values;
    }

    private static (string Message, string? SqlState) ParseError(byte[] payload)
    {
        string message = "(no message)";
        string? sqlState = null, detail = null;
        var offset = 0;
        while (offset < payload.Length && payload[offset] != 0)
        {
            var field = (char)payload[offset];
            var value = ReadCString(payload, offset + 1, out offset);
            switch (field)
            {
                case 'M': message = value; break;
                case 'C': sqlState = value; break;
                case 'D': detail = value; break;
            }
        }
        return (detail is null ? message : $"{message} ({detail})", sqlState);
    }

    private static string ReadCString(byte[] buffer, int offset, out int next)
    {
        var end = Array.IndexOf(buffer, (byte)0, offset);
        if (end < 0) end = buffer.Length;
        next = Math.Min(end + 1, buffer.Length);
        return Encoding.UTF8.GetString(buffer, offset, end - offset);
    }

    private static byte[] CString(string value) => [.. Encoding.UTF8.GetBytes(value), 0];

    private static void WriteCString(Stream stream, string value) => stream.Write(CString(value));

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Terminate politely so pgbouncer does not log a client "closing because: client unexpected eof".
            using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await SendAsync((byte)'X', [], quick.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The connection is going away either way.
        }
        _client.Dispose();
    }
}
