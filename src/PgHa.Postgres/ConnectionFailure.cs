using System.Net.Sockets;
using Npgsql;

namespace PgHa.Postgres;

/// <summary>Why a connection could not be made — each calls for a different operator action.</summary>
public enum ConnectionFailureKind
{
    /// <summary>Nothing listens on the port (server down, wrong port). TCP RST.</summary>
    Refused,
    /// <summary>No answer in time: host down, packets dropped, link cut, server hung.</summary>
    Timeout,
    /// <summary>The server answered and rejected the credentials or pg_hba refused the user.</summary>
    AuthenticationFailed,
    /// <summary>The server is starting up, shutting down or in crash recovery (SQLSTATE 57P03).</summary>
    NotAcceptingConnections,
    /// <summary>Name resolution failed or the network is unreachable.</summary>
    Unreachable,
    /// <summary>The server answered but the database does not exist or another server-side error.</summary>
    ServerError,
    /// <summary>Anything else (protocol error, TLS failure, ...).</summary>
    Other,
}

public static class ConnectionFailureClassifier
{
    public static ConnectionFailureKind Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return pg.SqlState switch
                    {
                        // invalid_password, invalid_authorization_specification (pg_hba "no entry" / rejected)
                        "28P01" or "28000" => ConnectionFailureKind.AuthenticationFailed,
                        "57P03" => ConnectionFailureKind.NotAcceptingConnections,
                        _ => ConnectionFailureKind.ServerError,
                    };
                case TimeoutException:
                    return ConnectionFailureKind.Timeout;
                case OperationCanceledException:
                    return ConnectionFailureKind.Timeout;
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => ConnectionFailureKind.Refused,
                        SocketError.TimedOut => ConnectionFailureKind.Timeout,
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain
                            or SocketError.NetworkUnreachable or SocketError.HostUnreachable
                            or SocketError.NetworkDown or SocketError.HostDown => ConnectionFailureKind.Unreachable,
                        _ => ConnectionFailureKind.Other,
                    };
            }
        }
        return ConnectionFailureKind.Other;
    }

    internal static string Describe(ConnectionFailureKind kind) => kind switch
    {
        ConnectionFailureKind.Refused => "refused the connection (nothing listening?)",
        ConnectionFailureKind.Timeout => "did not answer in time",
        ConnectionFailureKind.AuthenticationFailed => "refused login",
        ConnectionFailureKind.NotAcceptingConnections => "is not accepting connections (starting up or shutting down)",
        ConnectionFailureKind.Unreachable => "is unreachable",
        ConnectionFailureKind.ServerError => "rejected the connection",
        _ => "could not be connected to",
    };
}

/// <summary>A probe could not talk to PostgreSQL. The message names the endpoint and user, never the password.</summary>
public sealed class PostgresProbeException : Exception
{
    public PostgresProbeException(PostgresEndpoint endpoint, ConnectionFailureKind kind, string message, Exception? inner)
        : base(message, inner)
    {
        Endpoint = endpoint.ToString();
        Kind = kind;
        SqlState = (inner as PostgresException)?.SqlState ?? (inner?.InnerException as PostgresException)?.SqlState;
    }

    /// <summary>The endpoint as text (without password).</summary>
    public string Endpoint { get; }

    public ConnectionFailureKind Kind { get; }

    public string? SqlState { get; }

    internal static PostgresProbeException ForConnect(PostgresEndpoint endpoint, Exception e)
    {
        var kind = ConnectionFailureClassifier.Classify(e);
        var detail = kind == ConnectionFailureKind.AuthenticationFailed
            ? $"PostgreSQL on {endpoint.Address} refused login for user {endpoint.User} to database {endpoint.Database}"
            : $"PostgreSQL on {endpoint.Address} {ConnectionFailureClassifier.Describe(kind)}";
        return new PostgresProbeException(endpoint, kind, $"{detail}: {Innermost(e)}", e);
    }

    internal static PostgresProbeException ForQuery(PostgresEndpoint endpoint, string what, Exception e)
    {
        var kind = e is PostgresException ? ConnectionFailureKind.ServerError : ConnectionFailureClassifier.Classify(e);
        return new PostgresProbeException(endpoint, kind, $"{what} on {endpoint} failed: {Innermost(e)}", e);
    }

    private static string Innermost(Exception e)
    {
        // Npgsql wraps socket errors in "Exception while connecting"; the inner one is what an operator needs.
        var message = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            message = $"{message} ({inner.Message})";
        return message;
    }
}
