namespace QcPipeline.Core.Jobs;

/// <summary>
/// Options another project adds to the job file: a section of its own beside the job's keys (<see cref="Extends"/>
/// false, e.g. a scale-out section), or further keys of one of the job's own sections (<see cref="Extends"/> true,
/// e.g. where the telemetry goes), bound from the same mapping. Declared once with [Option], so binding, located
/// problems, the schema and the reference treat them as the job's own.
/// </summary>
/// <param name="Name">The section's key in the job file.</param>
/// <param name="OptionsType">The options class bound from it.</param>
/// <param name="Doc">What the section is for (for a section of the job's own, its own declaration says it).</param>
/// <param name="Extends">True when <paramref name="Name"/> is a section of <see cref="JobOptions"/> these keys are added to.</param>
public sealed record JobSectionType(string Name, Type OptionsType, string Doc, bool Extends);
