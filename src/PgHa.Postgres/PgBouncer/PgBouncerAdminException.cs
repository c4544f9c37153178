namespace PgHa.Postgres.PgBouncer;

public enum PgBouncerErrorKind
{
    /// <summary>Nothing listens on the admin port.</summary>
    Refused,
    /// <summary>No answer in time (also: PAUSE still waiting for server connections to be released).</summary>
    Timeout,
    /// <summary>Name resolution failed or the network is unreachable.</summary>
    Unreachable,
    /// <summary>pgbouncer rejected the login: wrong password, user not in auth_file, or not in admin_users.</summary>
    AuthenticationFailed,
    /// <summary>pgbouncer accepted the login but rejected the command.</summary>
    CommandRejected,
    /// <summary>The peer did not speak the protocol we expect (not pgbouncer, TLS-only, ...).</summary>
    ProtocolViolation,
}

/// <summary>A pgbouncer admin console operation failed. Messages name host, port and user, never the password.</summary>
public sealed class PgBouncerAdminException : Exception
{
    public PgBouncerAdminException(PgBouncerErrorKind kind, string message, string? sqlState = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        SqlState = sqlState;
    }

    public PgBouncerErrorKind Kind { get; }

    /// <summary>SQLSTATE from pgbouncer's ErrorResponse, if it sent one.</summary>
    public string? SqlState { get; }
}
