using System.Text;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Options;
using QcPipeline.Core.Stages;

namespace QcPipeline.Core.Docs;

/// <summary>The reference of every stage type and its options, from the option declarations:
/// printed by `qcpipeline stages` and written into the README.</summary>
public static class StageReference
{
    /// <summary>The reference as Markdown tables (the README's).</summary>
    public static string Markdown(StageRegistry registry)
    {
        var sb = new StringBuilder();
        sb.AppendLine("### Job keys").AppendLine();
        Table(sb, JobRows(registry));
        sb.AppendLine().AppendLine("### Keys of every stage").AppendLine();
        Table(sb, OptionSpec.For(typeof(CommonStageOptions)), "");
        foreach (var (name, type, doc) in registry.Connections)
        {
            sb.AppendLine().AppendLine($"### Connection `{name}`").AppendLine().AppendLine(doc).AppendLine();
            Table(sb, OptionSpec.For(type), "");
        }
        foreach (var d in registry.Stages)
        {
            sb.AppendLine().AppendLine($"### Stage `{d.Name}`").AppendLine().AppendLine(d.Summary).AppendLine();
            sb.AppendLine($"Reads: {d.InputType?.Name ?? "nothing (source)"} · writes: {d.OutputType?.Name ?? "nothing (sink)"} · workers by default: {d.DefaultWorkers}").AppendLine();
            if (d.Options.Count > 0) Table(sb, d.Options, "");
        }
        return sb.ToString();
    }

    /// <summary>The reference as plain text (`qcpipeline stages`).</summary>
    public static string Text(StageRegistry registry)
    {
        var sb = new StringBuilder();
        void Options(IEnumerable<OptionSpec> specs, string indent)
        {
            foreach (var o in Flatten(specs, ""))
            {
                var meta = string.Join(", ", new[] { o.Type, o.Default.Length > 0 ? "default " + o.Default : "", o.Range }.Where(x => x.Length > 0));
                sb.AppendLine($"{indent}{o.Name} ({meta})");
                sb.AppendLine($"{indent}    {o.Doc}");
            }
        }
        sb.AppendLine("Keys of every stage:");
        Options(OptionSpec.For(typeof(CommonStageOptions)), "  ");
        foreach (var (name, type, doc) in registry.Connections)
        {
            sb.AppendLine().AppendLine($"connection type {name}: {doc}");
            Options(OptionSpec.For(type), "  ");
        }
        foreach (var d in registry.Stages)
        {
            sb.AppendLine().AppendLine($"{d.Name}: {d.Summary}");
            sb.AppendLine($"  reads {d.InputType?.Name ?? "nothing (source)"}, writes {d.OutputType?.Name ?? "nothing (sink)"}, workers by default {d.DefaultWorkers}");
            Options(d.Options, "  ");
        }
        return sb.ToString();
    }

    private sealed record Row(string Name, string Type, string Default, string Range, string Doc);

    private static IEnumerable<Row> Flatten(IEnumerable<OptionSpec> specs, string prefix)
    {
        foreach (var o in specs)
        {
            var name = prefix + o.Name;
            if (OptionSpec.IsSection(o.Type) && o.Type.GetCustomAttributes(typeof(ConnectionTypeAttribute), false).Length == 0)
            {
                yield return new Row(name, "section", "", "", o.Doc);
                foreach (var r in Flatten(OptionSpec.For(o.Type), name + ".")) yield return r;
            }
            else
            {
                var type = o.Type.GetCustomAttributes(typeof(ConnectionTypeAttribute), false).Length > 0 ? "connection name"
                    : OptionSpec.ListElement(o.Type) is { } e && OptionSpec.IsSection(e) ? "list of sections" : OptionSpec.TypeName(o.Type);
                yield return new Row(name, type, o.DefaultText, o.RangeText, o.Doc + (o.Required ? " Required." : ""));
                if (OptionSpec.ListElement(o.Type) is { } el && OptionSpec.IsSection(el))
                    foreach (var r in Flatten(OptionSpec.For(el), name + "[].")) yield return r;
            }
        }
    }

    // The job's own keys, each of its sections followed by the keys other projects add to it, then the sections
    // other projects add, as if they were declared with the job's own.
    private static IEnumerable<Row> JobRows(StageRegistry registry)
    {
        var sections = registry.JobSections.ToList();
        foreach (var o in OptionSpec.For(typeof(JobOptions)))
        {
            foreach (var r in Flatten([o], "")) yield return r;
            foreach (var added in sections.Where(s => s.Extends && s.Name == o.Name))
                foreach (var r in Flatten(OptionSpec.For(added.OptionsType), o.Name + ".")) yield return r;
        }
        foreach (var s in sections.Where(s => !s.Extends))
        {
            yield return new Row(s.Name, "section", "", "", s.Doc);
            foreach (var r in Flatten(OptionSpec.For(s.OptionsType), s.Name + ".")) yield return r;
        }
    }

    private static void Table(StringBuilder sb, IEnumerable<OptionSpec> specs, string prefix) => Table(sb, Flatten(specs, prefix));

    private static void Table(StringBuilder sb, IEnumerable<Row> rows)
    {
        sb.AppendLine("| key | type | default | allowed | meaning |").AppendLine("|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine($"| `{r.Name}` | {r.Type} | {Cell(r.Default)} | {Cell(r.Range)} | {r.Doc.Replace("|", "\\|")} |");
    }

    private static string Cell(string s) => s.Length == 0 ? "" : $"`{s.Replace("|", "\\|")}`";
}
