using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

/// <summary>
/// Allow-list serializer: only registered types can be stored, each under a short stable tag, as
/// <c>{"$t":"tag","v":&lt;System.Text.Json value&gt;}</c>. A tag survives renames and moves of the CLR type,
/// and stored text can never name a type to instantiate (the WorkflowCore default, Newtonsoft with
/// TypeNameHandling.All, can).
/// Built-in tags (reserved): string, bool, int, long, double, decimal, guid, datetime, datetimeoffset, timespan, json,
/// wc.* for WorkflowCore types. Built in: string, bool, int, long, double, decimal, Guid, DateTime, DateTimeOffset, TimeSpan, JsonElement and
/// WorkflowCore's own persistence types (its container steps test <c>PersistenceData is ControlPersistenceData</c>,
/// so they must come back as themselves).
/// Thread-safe; register your types at start-up, before the workflow host starts.
/// </summary>
public sealed partial class AllowListSerializer : IStoredValueSerializer
{
    private const string TagProperty = "$t";
    private const string ValueProperty = "v";

    private readonly ConcurrentDictionary<Type, string> _tagsByType = new();
    private readonly ConcurrentDictionary<string, Type> _typesByTag = new(StringComparer.Ordinal);
    private readonly object _registerLock = new();
    private readonly JsonSerializerOptions _options;

    // Short strings (step outcomes, keys) are written and read for every pointer of every checkpoint and load.
    // Their stored text depends only on the value, and strings are immutable, so both directions are memoised.
    private const int MaxMemoLength = 64;
    private const int MaxMemoEntries = 4096;
    private readonly ConcurrentDictionary<string, string> _textByString = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _stringByText = new(StringComparer.Ordinal);

    public AllowListSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.General);
        Register<string>("string");
        Register<bool>("bool");
        Register<int>("int");
        Register<long>("long");
        Register<double>("double");
        Register<decimal>("decimal");
        Register<Guid>("guid");
        Register<DateTime>("datetime");
        Register<DateTimeOffset>("datetimeoffset");
        Register<TimeSpan>("timespan");
        Register<JsonElement>("json");
        Register<ControlPersistenceData>("wc.control");
        Register<IteratorPersistenceData>("wc.iterator");
        Register<SchedulePersistenceData>("wc.schedule");
        Register<ActivityResult>("wc.activity-result");
    }

    /// <summary>The serializer options used for every value (shared; do not mutate after first use).</summary>
    public JsonSerializerOptions Options => _options;

    /// <summary>
    /// Allows <typeparamref name="T"/> (exactly that runtime type, not subclasses) under <paramref name="tag"/>.
    /// Re-registering the same pair is a no-op; reusing a tag or a type for something else throws.
    /// </summary>
    public AllowListSerializer Register<T>(string tag) => Register(typeof(T), tag);

    public AllowListSerializer Register(Type type, string tag)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (string.IsNullOrEmpty(tag) || !TagPattern().IsMatch(tag))
            throw new ArgumentException($"Tag '{tag}' is invalid: use 1-64 characters among letters, digits, '.', '-', '_', ':'.", nameof(tag));
        lock (_registerLock)
        {
            if (_tagsByType.TryGetValue(type, out var existingTag))
            {
                if (existingTag == tag) return this;
                throw new InvalidOperationException($"Type {type.FullName} is already registered with tag '{existingTag}'; it cannot also use '{tag}'.");
            }
            if (_typesByTag.TryGetValue(tag, out var existingType))
                throw new InvalidOperationException($"Tag '{tag}' is already used by {existingType.FullName}; choose another tag for {type.FullName}.");
            _typesByTag[tag] = type;
            _tagsByType[type] = tag;
        }
        return this;
    }

    public bool IsRegistered(Type type) => _tagsByType.ContainsKey(type);

    public string? Serialize(object? value)
    {
        if (value is null) return null;
        if (value is string s && s.Length <= MaxMemoLength && _textByString.TryGetValue(s, out var memo)) return memo;
        var type = value.GetType();
        if (!_tagsByType.TryGetValue(type, out var tag))
            throw new InvalidOperationException(
                $"Type {type.FullName} is not allowed in the workflow store. Register it with a stable tag at start-up, " +
                $"e.g. serializer.Register<{type.Name}>(\"my-tag\") on the {nameof(AllowListSerializer)} singleton, " +
                "or store it as a registered DTO/JsonElement instead.");

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(TagProperty, tag);
            writer.WritePropertyName(ValueProperty);
            JsonSerializer.Serialize(writer, value, type, _options);
            writer.WriteEndObject();
        }
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (value is string str && str.Length <= MaxMemoLength && _textByString.Count < MaxMemoEntries)
        {
            _textByString.TryAdd(str, text);
            _stringByText.TryAdd(text, str);
        }
        return text;
    }

    public object? Deserialize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (_stringByText.TryGetValue(text, out var memo)) return memo;
        using var doc = ParseEnvelope(text);
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Null) return null;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty(TagProperty, out var tagElement) || tagElement.ValueKind != JsonValueKind.String
            || !root.TryGetProperty(ValueProperty, out var valueElement))
            throw new InvalidOperationException($"Stored value is not in the allow-list format {{\"$t\":tag,\"v\":value}}: {Excerpt(text)}");

        var tag = tagElement.GetString()!;
        if (!_typesByTag.TryGetValue(tag, out var type))
            throw new InvalidOperationException(
                $"Stored value has unknown type tag '{tag}'. Register the type that owns this tag before reading it " +
                "(tags must never be removed while stored data uses them).");

        if (type == typeof(JsonElement)) return valueElement.Clone();
        return valueElement.Deserialize(type, _options);
    }

    private static JsonDocument ParseEnvelope(string text)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Stored value is not valid JSON: {Excerpt(text)}", ex);
        }
    }

    private static string Excerpt(string text) => text.Length <= 120 ? text : text[..120] + "…";

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex TagPattern();
}
