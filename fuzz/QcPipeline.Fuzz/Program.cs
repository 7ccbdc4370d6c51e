using QcPipeline.Fuzz;
using SharpFuzz;

// qcpipeline-fuzz NAME            under afl-fuzz (run.sh fuzz NAME): one input per AFL iteration, out of process
// qcpipeline-fuzz NAME FILE...    replays inputs (a crash AFL found, say) and prints what escaped
// qcpipeline-fuzz --instrument NAME   the assemblies run.sh has SharpFuzz instrument for the target
if (args is ["--instrument", var named] && FuzzTarget.All.TryGetValue(named, out var listed))
{
    foreach (var dll in listed.Instrumented) Console.WriteLine(dll);
    return 0;
}
if (args.Length == 0 || !FuzzTarget.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"qcpipeline-fuzz: name a target: {string.Join(", ", FuzzTarget.All.Keys)}");
    return 2;
}
if (args.Length > 1)
{
    var findings = 0;
    foreach (var file in args[1..])
    {
        try { target.Run(File.ReadAllBytes(file)); }
        catch (Exception e) { findings++; Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}"); }
    }
    return findings == 0 ? 0 : 1;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;
