using QcPipeline.Core.Stages;
using QcPipeline.Files;
using QcPipeline.Ssh;

namespace QcPipeline.Sftp;

/// <summary>Stages over SFTP servers: sftp.list and sftp.fetch, and the sftp connection type.</summary>
public static class SftpFamily
{
    /// <summary>Registers the sftp connection type, sftp.list and sftp.fetch.</summary>
    public static StageRegistry AddSftp(this StageRegistry registry) => registry
        .Connection<SftpConnectionOptions>()
        .WireItem<FileItem>("file")
        .Source<SftpListStage, FileItem, SftpListOptions>()
        .Pooled<SftpFetchStage, FileItem, FileContent, SftpFetchOptions, SftpConnection>();
}
