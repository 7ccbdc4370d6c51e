using QcPipeline.Core.Jobs;
using Xunit;

namespace QcPipeline.Telemetry.Tests;

/// <summary>How a session reads its settings: the job first, then the standard OTEL_* variables.</summary>
public sealed class SessionTests
{
    [Theory]
    [InlineData("http/protobuf", "http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("http/protobuf", "http://collector:4318/", "http://collector:4318/v1/traces")]
    [InlineData("http/protobuf", "http://collector:4318/v1/traces", "http://collector:4318/v1/traces")]
    [InlineData("http/protobuf", "https://gateway.example/otlp", "https://gateway.example/otlp/v1/traces")]
    [InlineData("grpc", "http://collector:4317", "http://collector:4317/")]
    [InlineData("", "http://collector:4317", "http://collector:4317/")]
    public void The_traces_endpoint_follows_the_protocol(string protocol, string endpoint, string expected)
    {
        var warnings = new List<string>();
        using var session = TelemetrySession.Start(new TelemetryOptions(), new TelemetryExportOptions { Endpoint = endpoint, Protocol = protocol, Metrics = false },
            "job", warnings.Add, _ => null);
        Assert.Equal(expected, session.TracesEndpoint!.ToString());
        Assert.Equal(protocol == "" ? "grpc" : protocol, session.Protocol);
        Assert.Equal("qcpipeline", session.ServiceName);
        Assert.Empty(warnings);
    }

    [Fact]
    public void An_unsupported_protocol_is_a_warning_and_grpc_is_used()
    {
        var warnings = new List<string>();
        using var session = TelemetrySession.Start(new TelemetryOptions { Traces = false }, new TelemetryExportOptions { Metrics = false }, "job", warnings.Add,
            k => k == "OTEL_EXPORTER_OTLP_PROTOCOL" ? "http/json" : null);
        Assert.Equal("grpc", session.Protocol);
        Assert.Contains("'http/json' is not supported", Assert.Single(warnings));
    }

    [Fact]
    public void Traces_off_with_a_trace_file_says_why_no_file_is_written()
    {
        var warnings = new List<string>();
        var file = Path.Combine(Path.GetTempPath(), "qc-unused-" + Guid.NewGuid().ToString("N") + ".json");
        using (TelemetrySession.Start(new TelemetryOptions { Traces = false }, new TelemetryExportOptions { TraceFile = file }, "job", warnings.Add, _ => null)) { }
        Assert.Contains("traces are off", Assert.Single(warnings));
        Assert.False(File.Exists(file));
    }
}
