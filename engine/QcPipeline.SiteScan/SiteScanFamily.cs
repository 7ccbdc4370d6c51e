using QcPipeline.Core.Stages;

namespace QcPipeline.SiteScan;

/// <summary>Stages of a site scan: read each photo's GPS (gps.exif), then aggregate per folder and site (gps.aggregate).
/// Generated survey sites (for the demo, the tests and the benchmarks) live in QcPipeline.Demo.</summary>
public static class SiteScanFamily
{
    /// <summary>Registers gps.exif and gps.aggregate.</summary>
    public static StageRegistry AddSiteScan(this StageRegistry registry) => registry
        .Transform<ExifGpsStage, FileContent, GpsPoint, ExifGpsOptions>()
        .Sink<GpsAggregateStage, GpsPoint, GpsAggregateOptions>()
        .WireItem<GpsPoint>("gps-point");
}
