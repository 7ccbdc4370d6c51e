using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using static QcPipeline.SiteScan.MetadataValues;
using L = QcPipeline.SiteScan.ReadingLimits;

namespace QcPipeline.SiteScan;

/// <summary>
/// The camera and flight data of a photo that flight QC uses, from what a header fetch already holds (the APP1
/// EXIF and XMP segments, nothing else, so a header fetch and a whole file read the same): exposure, ISO, focal length, focal-plane
/// resolution and image size from EXIF; DJI's flight data (drone-dji: altitudes, gimbal and flight angles,
/// speeds, RTK fix) from XMP. Values outside <see cref="ReadingLimits"/> are left out.
/// </summary>
internal static class CameraFields
{
    private const int TagMake = 0x010F, TagModel = 0x0110;
    private const int TagExposureTime = 0x829A, TagIso = 0x8827, TagFocalLength = 0x920A, TagFocal35 = 0xA405;
    private const int TagFocalPlaneX = 0xA20E, TagFocalPlaneUnit = 0xA210, TagPixelX = 0xA002, TagPixelY = 0xA003;
    private const string XmpExifNs = "http://ns.adobe.com/exif/1.0/";

    public static GpsReading Read(ExifIfd0Directory? ifd0, IReadOnlyList<ExifSubIfdDirectory> subIfds, XmpCore.IXmpMeta? xmp)
    {
        double? Sub(int tag) => subIfds.Select(d => Number(d, tag)).FirstOrDefault(v => v is not null);
        double? Dji(string name) => XmpNumber(xmp, DjiNs, name);
        var width = Side(Sub(TagPixelX) ?? XmpNumber(xmp, XmpExifNs, "PixelXDimension"));
        var height = Side(Sub(TagPixelY) ?? XmpNumber(xmp, XmpExifNs, "PixelYDimension"));
        var rtk = Dji("RtkFlag");
        return new GpsReading
        {
            Make = Text(ifd0, TagMake) ?? XmpText(xmp, TiffNs, "Make"),
            Model = Text(ifd0, TagModel) ?? XmpText(xmp, TiffNs, "Model"),
            ExposureTimeS = L.Keep(Sub(TagExposureTime), L.ExposureTime),
            Iso = L.Keep(Sub(TagIso), L.Iso),
            FocalLengthMm = L.Keep(Sub(TagFocalLength), L.FocalLength),
            FocalLength35mm = L.Keep(Sub(TagFocal35), L.FocalLength),
            FocalPlanePxPerMm = L.Keep(PxPerMm(Sub(TagFocalPlaneX), Sub(TagFocalPlaneUnit)), L.PxPerMm),
            ImageWidth = width,
            ImageHeight = height,
            AbsoluteAltitudeM = L.Keep(Dji("AbsoluteAltitude"), L.Altitude),
            RelativeAltitudeM = L.Keep(Dji("RelativeAltitude"), L.Altitude),
            GimbalPitchDeg = L.Keep(Dji("GimbalPitchDegree"), L.Angle),
            GimbalYawDeg = L.Keep(Dji("GimbalYawDegree"), L.Angle),
            FlightYawDeg = L.Keep(Dji("FlightYawDegree"), L.Angle),
            FlightXSpeed = L.Keep(Dji("FlightXSpeed"), L.Speed),
            FlightYSpeed = L.Keep(Dji("FlightYSpeed"), L.Speed),
            FlightZSpeed = L.Keep(Dji("FlightZSpeed"), L.Speed),
            RtkFlag = rtk is { } f && f == Math.Floor(f) && L.RtkFlag((int)f) ? (int)f : null,
            RtkStdLonM = L.Keep(Dji("RtkStdLon"), L.RtkStd),
            RtkStdLatM = L.Keep(Dji("RtkStdLat"), L.RtkStd),
            RtkStdHgtM = L.Keep(Dji("RtkStdHgt"), L.RtkStd),
        };
    }

    private static int? Side(double? v) => v is { } x && x == Math.Floor(x) && x is > 0 and <= int.MaxValue && L.ImageSide((int)x) ? (int)x : null;

    // FocalPlaneXResolution is pixels per unit: 2 inch (the default), 3 cm, 4 mm, 5 µm.
    private static double? PxPerMm(double? resolution, double? unit) => resolution is not { } r ? null : (unit ?? 2) switch
    {
        2 => r / 25.4,
        3 => r / 10,
        4 => r,
        5 => r * 1000,
        _ => null,
    };
}
