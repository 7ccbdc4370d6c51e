using QcPipeline.Vision.Checks;

namespace QcPipeline.Inspection.Checks;

/// <summary>One check kind as the inspection stages use it: its parameter class (declared once with [Option], so
/// binding, schema and docs follow), whether it compares with a golden image, and how to build the Vision check.</summary>
public abstract class CheckComponent
{
    /// <summary>The kind.</summary>
    public abstract CheckKind Kind { get; }

    /// <summary>The YAML section that holds this kind's parameters (its name: template, diff, ...).</summary>
    public string Section => Kind.ToString().ToLowerInvariant();

    /// <summary>The parameter class.</summary>
    public abstract Type ParametersType { get; }

    /// <summary>True for checks that compare with a golden image.</summary>
    public abstract bool NeedsGolden { get; }

    /// <summary>The Vision check for these parameters, given the whole-image offset of the test against the golden.</summary>
    public abstract IRoiCheck Create(object parameters, int offsetX, int offsetY);
}

/// <summary>A check kind whose parameters are of class <typeparamref name="TParams"/>.</summary>
public abstract class CheckComponent<TParams> : CheckComponent where TParams : class, new()
{
    /// <inheritdoc />
    public override Type ParametersType => typeof(TParams);

    /// <inheritdoc />
    public override IRoiCheck Create(object parameters, int offsetX, int offsetY) => Create((TParams)parameters, offsetX, offsetY);

    /// <summary>Builds the check.</summary>
    protected abstract IRoiCheck Create(TParams parameters, int offsetX, int offsetY);
}

/// <summary>The registered check kinds. A new kind is a parameter class, a component and one line here.</summary>
public static class CheckKinds
{
    private static readonly IReadOnlyDictionary<CheckKind, CheckComponent> All = new CheckComponent[]
    {
        new TemplateComponent(), new DiffComponent(), new IntensityComponent(), new EdgesComponent(),
    }.ToDictionary(c => c.Kind);

    /// <summary>The component of a kind.</summary>
    public static CheckComponent Get(CheckKind kind) => All[kind];

    /// <summary>Every component, in the enum's order.</summary>
    public static IEnumerable<CheckComponent> Components => All.Values.OrderBy(c => c.Kind);
}
