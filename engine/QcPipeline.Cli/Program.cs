using QcPipeline.Cli;

// Every failure leaves as one line and an exit code, never a stack trace (QCPIPELINE_DEBUG=1 shows it).
try
{
    return await CommandLine.RunAsync(args);
}
catch (Exception e)
{
    Console.Error.WriteLine($"qcpipeline: error: {e.Message.ReplaceLineEndings(" ")}");
    if (Environment.GetEnvironmentVariable("QCPIPELINE_DEBUG") == "1") Console.Error.WriteLine(e);
    return ExitCodes.RunFailed;
}
