using QcPipeline.Cli;
using QcPipeline.Cluster.TestWorker;

// qcpipeline, with test.pace among its stages: `worker` and `JOB.yaml --cluster` as the real program.
StageCatalog.Extend(r => r.AddPace());
return await CommandLine.RunAsync(args);
