namespace PgHa.Workflows.Store;

/// <summary>
/// Turns the engine's untyped values (workflow data, persistence data, event data, outcomes, context items,
/// extension attributes, subscription data) into column text and back, without storing CLR type names.
/// </summary>
public interface IStoredValueSerializer
{
    /// <summary>Null for a null value; otherwise the stored text. Throws for a type that is not allowed.</summary>
    string? Serialize(object? value);

    /// <summary>Null for null/empty text; otherwise the value. Throws for text it does not recognise.</summary>
    object? Deserialize(string? text);
}
