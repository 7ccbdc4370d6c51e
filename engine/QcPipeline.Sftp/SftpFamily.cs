namespace QcPipeline.Sftp;

/// <summary>Stages over SFTP servers: sftp.list and sftp.fetch, and the sftp connection type.</summary>
public static class SftpFamily;
