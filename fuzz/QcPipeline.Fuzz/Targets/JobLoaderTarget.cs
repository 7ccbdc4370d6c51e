using QcPipeline.Cli;
using QcPipeline.Core.Graph;
using QcPipeline.Core.Jobs;
using QcPipeline.Core.Stages;

namespace QcPipeline.Fuzz.Targets;

/// <summary>A job file's bytes through the loader and the compiler, with every shipped stage type: a bad file
/// must end as diagnostics (JobInvalidException), each one line at a FILE:LINE:COL of the job file, never as another
/// exception, a hang or a stack overflow.</summary>
public sealed class JobLoaderTarget : FuzzTarget
{
    private static readonly StageRegistry Registry = StageCatalog.Create();
    private static readonly string File = Path.Combine(Path.GetTempPath(), "qcpipeline-fuzz", "job.yaml");

    /// <inheritdoc/>
    public override string Name => "job-loader";

    /// <inheritdoc/>
    public override IReadOnlyList<string> Instrumented => ["QcPipeline.Core.dll", "YamlDotNet.dll"];

    /// <inheritdoc/>
    public override void Run(byte[] input)
    {
        try
        {
            var job = new JobLoader(Registry, _ => null).Parse(input, File);
            GraphCompiler.Compile(job);
        }
        catch (JobInvalidException e)
        {
            foreach (var d in e.Diagnostics)
            {
                if (d.Location.Line < 1 || d.Location.Column < 1 || !File.EndsWith(d.Location.File, StringComparison.Ordinal))
                    throw new FuzzFinding($"a problem not placed in the job file: {d}");
                if (d.Message.Length == 0 || d.ToString().AsSpan().IndexOfAny('\r', '\n') >= 0)
                    throw new FuzzFinding($"a problem that is not one line: {d}");
            }
        }
    }
}
