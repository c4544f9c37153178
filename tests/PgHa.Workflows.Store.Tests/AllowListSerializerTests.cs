using System.Text.Json;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store.Tests;

public sealed class AllowListSerializerTests
{
    private sealed class NotRegistered { public int X { get; set; } }
    public sealed record Dto(string Name, int Count, object? Extra);

    private readonly AllowListSerializer _s = new AllowListSerializer().Register<Dto>("dto");

    [Fact]
    public void Uses_the_tag_envelope_and_no_type_names()
    {
        var text = _s.Serialize(new Dto("a", 1, null));
        Assert.Equal("""{"$t":"dto","v":{"Name":"a","Count":1,"Extra":null}}""", text);
    }

    [Theory]
    [InlineData("str")]
    [InlineData(true)]
    [InlineData(42)]
    [InlineData(42L)]
    [InlineData(1.5)]
    public void Built_in_primitives_round_trip_with_their_type(object value)
    {
        var back = _s.Deserialize(_s.Serialize(value));
        Assert.Equal(value, back);
        Assert.Equal(value.GetType(), back!.GetType());
    }

    [Fact]
    public void DateTime_keeps_utc_and_JsonElement_round_trips()
    {
        var t = new DateTime(2025, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);
        var back = (DateTime)_s.Deserialize(_s.Serialize(t))!;
        Assert.Equal(t, back);
        Assert.Equal(DateTimeKind.Utc, back.Kind);

        using var doc = JsonDocument.Parse("""{"a":[1,2,{"b":null}]}""");
        var el = (JsonElement)_s.Deserialize(_s.Serialize(doc.RootElement))!;
        Assert.Equal("""{"a":[1,2,{"b":null}]}""", el.GetRawText());
    }

    [Fact]
    public void WorkflowCore_persistence_types_come_back_as_themselves()
    {
        Assert.IsType<ControlPersistenceData>(_s.Deserialize(_s.Serialize(new ControlPersistenceData { ChildrenActive = true })));
        var it = Assert.IsType<IteratorPersistenceData>(_s.Deserialize(_s.Serialize(new IteratorPersistenceData { Index = 4 })));
        Assert.Equal(4, it.Index);
    }

    [Fact]
    public void Null_and_empty_text_are_null()
    {
        Assert.Null(_s.Serialize(null));
        Assert.Null(_s.Deserialize(null));
        Assert.Null(_s.Deserialize(""));
    }

    [Fact]
    public void Unregistered_type_is_refused_with_a_message_naming_it_and_how_to_register()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _s.Serialize(new NotRegistered()));
        Assert.Contains(typeof(NotRegistered).FullName!, ex.Message);
        Assert.Contains("Register<NotRegistered>", ex.Message);
    }

    [Fact]
    public void Subclass_of_a_registered_type_is_not_allowed_implicitly()
    {
        var s = new AllowListSerializer();
        Assert.Throws<InvalidOperationException>(() => s.Serialize(new List<int>()));
        Assert.Throws<InvalidOperationException>(() => s.Serialize(new Dto("a", 1, null)));
    }

    [Fact]
    public void Unknown_tag_and_foreign_formats_are_refused_on_read()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _s.Deserialize("""{"$t":"gone","v":1}"""));
        Assert.Contains("'gone'", ex.Message);
        // WorkflowCore's own format (type names) is never honoured.
        Assert.Throws<InvalidOperationException>(() => _s.Deserialize("""{"$type":"System.IO.FileInfo, System.IO","fileName":"x"}"""));
        Assert.Throws<InvalidOperationException>(() => _s.Deserialize("not json"));
    }

    [Fact]
    public void Registration_conflicts_are_errors_and_repeats_are_no_ops()
    {
        _s.Register<Dto>("dto");
        Assert.Throws<InvalidOperationException>(() => _s.Register<Dto>("dto2"));
        Assert.Throws<InvalidOperationException>(() => _s.Register<NotRegistered>("dto"));
        Assert.Throws<ArgumentException>(() => _s.Register<NotRegistered>("has space"));
    }

    [Fact]
    public void Nested_object_values_come_back_as_json_not_as_a_named_type()
    {
        var back = (Dto)_s.Deserialize(_s.Serialize(new Dto("a", 1, new Dto("inner", 2, null))))!;
        var extra = Assert.IsType<JsonElement>(back.Extra);
        Assert.Equal("inner", extra.GetProperty("Name").GetString());
    }
}
