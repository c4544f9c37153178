using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace PgHa.Workflows.Activities;

/// <summary>
/// Every activity the engine can run, described from its own declaration (attribute + input record), so the
/// designer, the API, validation and execution all read one source.
/// </summary>
public sealed class ActivityCatalog
{
    private readonly Dictionary<string, ActivityDescriptor> _byName;
    private readonly ILookup<string, Validation.INodeInputCheck> _inputChecks;

    public ActivityCatalog(IEnumerable<ActivityRegistration> registrations, IEnumerable<Validation.INodeInputCheck>? inputChecks = null)
    {
        _inputChecks = (inputChecks ?? []).ToLookup(c => c.Activity, StringComparer.Ordinal);
        _byName = new Dictionary<string, ActivityDescriptor>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            var descriptor = ActivityDescriptor.Describe(registration.ActivityType);
            if (!_byName.TryAdd(descriptor.Name, descriptor))
                throw new InvalidOperationException(
                    $"Two activities are named '{descriptor.Name}': {_byName[descriptor.Name].ActivityType.Name} and {registration.ActivityType.Name}.");
        }
    }

    public IReadOnlyCollection<ActivityDescriptor> All => _byName.Values.OrderBy(d => d.Category).ThenBy(d => d.Name).ToList();

    public ActivityDescriptor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>What the node's activity reports about its literal inputs at validation (see <see cref="Validation.INodeInputCheck"/>).</summary>
    public IEnumerable<Validation.RunbookError> CheckInputs(Model.RunbookNode node) => _inputChecks[node.Activity].SelectMany(c => c.Check(node));

    public IActivity Create(ActivityDescriptor descriptor, IServiceProvider services) =>
        (IActivity)services.GetRequiredService(descriptor.ActivityType);
}

public sealed record ActivityRegistration(Type ActivityType);

public sealed record ActivityDescriptor
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string Category { get; init; }
    public required IReadOnlyList<string> Outcomes { get; init; }
    public required IReadOnlyDictionary<string, string> Outputs { get; init; }
    public required bool Mutates { get; init; }
    public required bool PlansInDryRun { get; init; }

    /// <summary>Why a dry run may not run this activity (it changes hosts and has no plan mode), or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? DryRunRefusal => Mutates && !PlansInDryRun
        ? $"activity '{Name}' changes hosts and has no plan mode (PlansInDryRun), so a dry run cannot run it without changing something"
        : null;
    public required JsonObject InputSchema { get; init; }
    public required IReadOnlyDictionary<string, InputField> InputFields { get; init; }

    /// <summary>Input field → what in the cluster its literal values must name (see <see cref="ClusterReferenceAttribute"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public required IReadOnlyDictionary<string, ClusterReferenceAttribute> ClusterReferences { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public required Type ActivityType { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public required Type InputType { get; init; }

    public static ActivityDescriptor Describe(Type activityType)
    {
        var attribute = activityType.GetCustomAttribute<ActivityAttribute>()
            ?? throw new InvalidOperationException($"{activityType.Name} has no [Activity] attribute.");
        var inputType = activityType.GetInterfaces().Contains(typeof(IActivity))
            ? ActivityInputType(activityType)
            : throw new InvalidOperationException($"{activityType.Name} does not implement IActivity.");

        var schema = InputSchemas.For(inputType);
        return new ActivityDescriptor
        {
            Name = attribute.Name,
            Description = attribute.Description,
            Category = attribute.Category,
            Outcomes = attribute.Outcomes,
            Outputs = activityType.GetCustomAttributes<ActivityOutputAttribute>()
                .ToDictionary(o => o.Name, o => o.Description, StringComparer.Ordinal),
            Mutates = attribute.Mutates,
            PlansInDryRun = attribute.PlansInDryRun,
            InputSchema = schema,
            InputFields = InputSchemas.Fields(schema),
            ClusterReferences = inputType.GetProperties()
                .Select(p => (Field: JsonNamingPolicy.CamelCase.ConvertName(p.Name), Reference: p.GetCustomAttribute<ClusterReferenceAttribute>()))
                .Where(p => p.Reference is not null)
                .ToDictionary(p => p.Field, p => p.Reference!, StringComparer.Ordinal),
            ActivityType = activityType,
            InputType = inputType,
        };
    }

    private static Type ActivityInputType(Type activityType)
    {
        for (var t = activityType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Activity<>))
                return t.GetGenericArguments()[0];
        throw new InvalidOperationException($"{activityType.Name} must derive from Activity<TInput>.");
    }
}

/// <summary>One top-level input of an activity: its JSON type(s), whether it must be given, and the values it accepts.</summary>
public sealed record InputField(IReadOnlyList<string> Types, bool Required, string? Description,
    double? Minimum = null, double? Maximum = null, IReadOnlyList<string>? Allowed = null);

internal static class InputSchemas
{
    private static readonly JsonSchemaExporterOptions ExporterOptions = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, schema) =>
        {
            var attributes = context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(true) ?? [];
            if (schema is not JsonObject obj) return schema;
            if (attributes.OfType<DescriptionAttribute>().FirstOrDefault()?.Description is { } description) obj["description"] = description;
            // Bounds the activity reads its input with become the schema's, so validation refuses at save what would fail at run.
            var type = Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type;
            if (attributes.OfType<RangeAttribute>().FirstOrDefault() is { } range)
                (obj["minimum"], obj["maximum"]) = (Convert.ToDouble(range.Minimum), Convert.ToDouble(range.Maximum));
            else if (type == typeof(int))
                (obj["minimum"], obj["maximum"]) = ((double)int.MinValue, (double)int.MaxValue);
            if (attributes.OfType<AllowedValuesAttribute>().FirstOrDefault() is { } allowed)
                obj["enum"] = new JsonArray(allowed.Values.Select(v => (JsonNode?)JsonValue.Create(v?.ToString())).ToArray());
            return schema;
        },
    };

    public static JsonObject For(Type inputType) =>
        ActivityJson.SchemaOptions.GetJsonSchemaAsNode(inputType, ExporterOptions) as JsonObject
        ?? throw new InvalidOperationException($"{inputType.Name} is not an object type.");

    public static IReadOnlyDictionary<string, InputField> Fields(JsonObject schema)
    {
        var required = (schema["required"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToHashSet(StringComparer.Ordinal)
                       ?? [];
        var fields = new Dictionary<string, InputField>(StringComparer.Ordinal);
        if (schema["properties"] is not JsonObject properties) return fields;
        foreach (var (name, node) in properties)
            fields[name] = new InputField(TypesOf(node), required.Contains(name), node?["description"]?.GetValue<string>(),
                node?["minimum"]?.GetValue<double>(), node?["maximum"]?.GetValue<double>(),
                (node?["enum"] as JsonArray)?.Select(v => v!.GetValue<string>()).ToList());
        return fields;
    }

    private static IReadOnlyList<string> TypesOf(JsonNode? node) => node?["type"] switch
    {
        JsonValue v => [v.GetValue<string>()],
        JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
        // No type keyword (e.g. a JsonElement input) accepts anything.
        _ => [],
    };
}
