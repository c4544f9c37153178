using System.Globalization;
using NpgsqlTypes;

namespace PgHa.Postgres;

/// <summary>
/// A WAL position (pg_lsn), written by PostgreSQL as "16/B374D848". Subtracting two gives bytes of WAL.
/// A position that PostgreSQL reported as NULL is modelled as <c>Lsn?</c> = null, meaning "unknown", never zero.
/// </summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>, IComparable
{
    public static readonly Lsn Invalid = new(0);

    public static Lsn Parse(string text) =>
        TryParse(text, out var lsn) ? lsn : throw new FormatException($"'{text}' is not a WAL position (expected e.g. 16/B374D848).");

    public static bool TryParse(string? text, out Lsn lsn)
    {
        lsn = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8) return false;
        if (!uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)) return false;
        if (!uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low)) return false;
        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    /// <summary>Parses a nullable column value; NULL stays null (unknown).</summary>
    public static Lsn? ParseNullable(string? text) => text is null ? null : Parse(text);

    public static implicit operator Lsn(NpgsqlLogSequenceNumber value) => new((ulong)value);

    public static explicit operator NpgsqlLogSequenceNumber(Lsn value) => new(value.Value);

    /// <summary>Bytes of WAL from <paramref name="behind"/> to <paramref name="ahead"/>; negative if "behind" is actually ahead.</summary>
    public static long operator -(Lsn ahead, Lsn behind) => checked((long)ahead.Value - (long)behind.Value);

    public static Lsn operator +(Lsn lsn, long bytes) => new(checked((ulong)((long)lsn.Value + bytes)));

    /// <summary>Lag in bytes, or null when either side is unknown. Never turns an unknown into 0.</summary>
    public static long? BytesBetween(Lsn? ahead, Lsn? behind) =>
        ahead is { } a && behind is { } b ? a - b : null;

    public static bool operator <(Lsn left, Lsn right) => left.Value < right.Value;
    public static bool operator >(Lsn left, Lsn right) => left.Value > right.Value;
    public static bool operator <=(Lsn left, Lsn right) => left.Value <= right.Value;
    public static bool operator >=(Lsn left, Lsn right) => left.Value >= right.Value;

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    public int CompareTo(object? obj) => obj is Lsn other ? CompareTo(other) : throw new ArgumentException("Not an Lsn.", nameof(obj));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");

    /// <summary>
    /// The timeline encoded in a WAL segment file name (first 8 hex digits), e.g. "0000000200000000000000A1" → 2.
    /// </summary>
    public static int TimelineFromWalFileName(string walFileName)
    {
        if (walFileName is not { Length: 24 } ||
            !uint.TryParse(walFileName.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tli))
            throw new FormatException($"'{walFileName}' is not a WAL segment file name.");
        return checked((int)tli);
    }
}
