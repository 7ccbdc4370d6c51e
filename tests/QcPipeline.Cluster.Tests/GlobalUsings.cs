global using Xunit;

// Each test starts a nats-server, an sshd and several processes: one at a time, so that they do not starve
// each other on a small machine (timing is never asserted, but timeouts are).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
