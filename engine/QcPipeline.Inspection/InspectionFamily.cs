using QcPipeline.Core.Stages;
using QcPipeline.Files;

namespace QcPipeline.Inspection;

/// <summary>Visual inspection on OpenCV: load an image, fan it out into ROIs, check them in parallel,
/// join them back by image, write verdicts; plus the DeepPCB pairs source and its scoring.</summary>
public static class InspectionFamily
{
    /// <summary>Registers the inspection stages.</summary>
    public static StageRegistry AddInspection(this StageRegistry registry) => registry
        .Transform<ImageLoadStage, FileItem, LoadedImage, ImageLoadOptions>()
        .FanOut<RoiFanOutStage, LoadedImage, RoiTask, RoiFanOutOptions>()
        .Transform<RoiCheckStage, RoiTask, RoiResult, NoOptions>()
        .Join<RoiJoinStage, RoiResult, ImageVerdict, RoiJoinOptions>()
        .Sink<VerdictSink, ImageVerdict, VerdictOptions>()
        .Source<DeepPcbPairsSource, PairedFile, DeepPcbPairsOptions>()
        .Sink<DeepPcbScoreSink, ImageVerdict, DeepPcbScoreOptions>()
        // What crosses machines when load..join run on cluster workers (the listing's files go as "file").
        .WireItem<FileItem>("file")
        .WireItem<PairedFile>("paired-file")
        .WireItem<ImageVerdict>("image-verdict", new VerdictWire());
}
