using QcPipeline.Core.Stages;
using QcPipeline.Sftp;

namespace QcPipeline.Demo;

/// <summary>The demo, as a program composes it beside the stage families: no stages of its own, only the server
/// that an sftp connection's host: demo names.</summary>
public static class DemoFamily
{
    /// <summary>Makes host: demo serve a generated survey site from a sandboxed sshd (<see cref="DemoServer"/>).</summary>
    public static StageRegistry AddDemo(this StageRegistry registry)
    {
        SftpSandboxes.RegisterDemo(DemoServer.Start);
        return registry;
    }
}
