using System.Text.Json;
using System.Text.Json.Nodes;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Docs;

/// <summary>
/// The JSON Schema of the job format, made from the same option declarations that validation uses,
/// so editors (yaml-language-server) complete and check job files exactly as `validate` does.
/// </summary>
public static class JobSchema
{
    /// <summary>The schema as indented JSON.</summary>
    public static string Generate(StageRegistry registry)
    {
        var root = Section(typeof(JobOptions));
        var props = (JsonObject)root["properties"]!;
        foreach (var added in registry.JobSections)
        {
            if (!added.Extends) { props[added.Name] = Section(added.OptionsType, added.Doc); continue; }
            // Keys added to one of the job's sections: beside the engine's keys there.
            var own = (JsonObject)props[added.Name]!;
            foreach (var o in OptionSpec.For(added.OptionsType))
            {
                ((JsonObject)own["properties"]!)[o.Name] = Property(o);
                if (o.Required) ((JsonArray)own["required"]!).Add(o.Name);
            }
        }

        var connections = new JsonArray();
        foreach (var (name, type, doc) in registry.Connections)
        {
            var c = Section(type, doc);
            ((JsonObject)c["properties"]!)["type"] = new JsonObject { ["const"] = name, ["description"] = "The connection type." };
            ((JsonArray)c["required"]!).Add("type");
            connections.Add(c);
        }
        props["connections"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Named connections that stages refer to with `connection: NAME`.",
            ["additionalProperties"] = new JsonObject { ["oneOf"] = connections },
        };

        var stageTypes = new JsonArray();
        foreach (var d in registry.Stages)
        {
            var s = Section(typeof(CommonStageOptions), d.Summary);
            var sp = (JsonObject)s["properties"]!;
            sp["type"] = new JsonObject { ["const"] = d.Name, ["description"] = d.Summary };
            foreach (var o in d.Options) sp[o.Name] = Property(o);
            foreach (var o in d.Options.Where(o => o.Required)) ((JsonArray)s["required"]!).Add(o.Name);
            stageTypes.Add(s);
        }
        props["stages"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "The stages, by name; a chain in file order unless `from:` says otherwise.",
            ["minProperties"] = 1,
            ["additionalProperties"] = new JsonObject { ["oneOf"] = stageTypes },
        };
        ((JsonArray)root["required"]!).Add("stages");
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["title"] = "QcPipeline job";
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Section(Type t, string? doc = null)
    {
        var props = new JsonObject();
        var required = new JsonArray();
        foreach (var o in OptionSpec.For(t))
        {
            props[o.Name] = Property(o);
            if (o.Required) required.Add(o.Name);
        }
        var s = new JsonObject { ["type"] = "object", ["properties"] = props, ["required"] = required, ["additionalProperties"] = false };
        if (doc is not null) s["description"] = doc;
        return s;
    }

    private static JsonObject Property(OptionSpec o)
    {
        var p = TypeSchema(o.Type, o);
        p["description"] = o.Doc;
        JsonNode? def = o.Default switch
        {
            Workers w => w.IsAuto ? JsonValue.Create("auto") : JsonValue.Create(w.Count),
            Enum => JsonValue.Create(o.DefaultText),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            bool b => JsonValue.Create(b),
            string { Length: > 0 } str => JsonValue.Create(str),
            _ => null,
        };
        if (def is not null) p["default"] = def;
        return p;
    }

    private static JsonObject TypeSchema(Type t, OptionSpec? o)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (OptionSpec.ListElement(t) is { } e)
            return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "array", ["items"] = TypeSchema(e, o) }, TypeSchema(e, o)) };
        var a = o?.Attribute;
        JsonObject Num(string type)
        {
            var n = new JsonObject { ["type"] = type };
            if (a is not null && !double.IsNaN(a.Min)) n["minimum"] = a.Min;
            if (a is not null && !double.IsNaN(a.Max)) n["maximum"] = a.Max;
            return n;
        }
        if (t.GetCustomAttributes(typeof(ConnectionTypeAttribute), false).Length > 0)
            return new JsonObject { ["type"] = "string", ["description"] = "The name of a connection under connections:." };
        if (OptionSpec.IsSection(t)) return Section(t);
        if (t == typeof(string))
        {
            var s = new JsonObject { ["type"] = "string" };
            if (a?.Allowed is { } allowed) s["enum"] = new JsonArray(allowed.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
            return s;
        }
        if (t == typeof(int) || t == typeof(long)) return Num("integer");
        if (t == typeof(double)) return Num("number");
        if (t == typeof(bool)) return new JsonObject { ["type"] = "boolean" };
        if (t == typeof(TimeSpan))
        {
            var (lo, hi) = o?.DurationRange ?? (TimeSpan.Zero, Duration.Longest);
            return new JsonObject { ["anyOf"] = new JsonArray(
                new JsonObject { ["type"] = "number", ["minimum"] = lo.TotalSeconds, ["maximum"] = hi.TotalSeconds },
                new JsonObject { ["type"] = "string", ["pattern"] = @"^\d+(\.\d+)?(ms|s|m|h)?$" }) };
        }
        if (t == typeof(Workers))
            return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 256 },
                new JsonObject { ["const"] = "auto" }) };
        if (t == typeof(Secret)) return new JsonObject { ["type"] = "string", ["pattern"] = "^(env|file):" };
        if (t.IsEnum) return new JsonObject { ["enum"] = new JsonArray(Enum.GetNames(t).Select(n => (JsonNode)JsonValue.Create(OptionSpec.SnakeCase(n))!).ToArray()) };
        return new JsonObject();
    }
}
