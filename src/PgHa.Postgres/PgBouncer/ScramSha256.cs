using System.Security.Cryptography;
using System.Text;

namespace PgHa.Postgres.PgBouncer;

/// <summary>
/// Client side of SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL and pgbouncer use it, without channel binding.
/// The password is used as UTF-8 without SASLprep, which is exact for ASCII passwords.
/// </summary>
internal sealed class ScramSha256
{
    private readonly string _password;
    private readonly string _clientNonce;
    private readonly string _user;
    private string? _authMessage;
    private byte[]? _saltedPassword;

    public ScramSha256(string password, string? clientNonce = null, string user = "")
    {
        _password = password;
        _user = user;
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    }

    // PostgreSQL takes the user name from the startup packet, so the SCRAM user name is left empty (as libpq does);
    // a name is accepted only so the RFC 7677 test vector can be reproduced.
    private string ClientFirstBare => $"n={_user},r={_clientNonce}";

    public string ClientFirstMessage => "n,," + ClientFirstBare;

    public string ClientFinalMessage(string serverFirst)
    {
        var attributes = Parse(serverFirst);
        if (!attributes.TryGetValue('r', out var nonce) || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
            throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation, "SCRAM server nonce does not extend the client nonce");
        if (!attributes.TryGetValue('s', out var salt) || !attributes.TryGetValue('i', out var iterationsText) ||
            !int.TryParse(iterationsText, out var iterations) || iterations < 1)
            throw new PgBouncerAdminException(PgBouncerErrorKind.ProtocolViolation, "SCRAM server-first-message lacks salt or iteration count");

        var withoutProof = $"c=biws,r={nonce}"; // biws = base64("n,,"): no channel binding
        _authMessage = $"{ClientFirstBare},{serverFirst},{withoutProof}";
        _saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(_password), Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(_saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var signature = HMACSHA256.HashData(storedKey, Encoding.UTF8.GetBytes(_authMessage));
        var proof = new byte[clientKey.Length];
        for (var i = 0; i < proof.Length; i++) proof[i] = (byte)(clientKey[i] ^ signature[i]);
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    public bool VerifyServerFinal(string serverFinal)
    {
        if (_authMessage is null || _saltedPassword is null) return false;
        var attributes = Parse(serverFinal);
        if (!attributes.TryGetValue('v', out var verifier)) return false;
        var serverKey = HMACSHA256.HashData(_saltedPassword, "Server Key"u8);
        var expected = HMACSHA256.HashData(serverKey, Encoding.UTF8.GetBytes(_authMessage));
        byte[] actual;
        try { actual = Convert.FromBase64String(verifier); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static Dictionary<char, string> Parse(string message)
    {
        var result = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
            if (part.Length >= 2 && part[1] == '=')
                result[part[0]] = part[2..];
        return result;
    }
}
