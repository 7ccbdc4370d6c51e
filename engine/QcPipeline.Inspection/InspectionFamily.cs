namespace QcPipeline.Inspection;

/// <summary>Visual inspection on OpenCV: load an image, fan it out into ROIs, check them in parallel,
/// join them back by image, write verdicts; plus the DeepPCB pairs source and its scoring.</summary>
public static class InspectionFamily;
