using OpenCvSharp;

namespace QcPipeline.Vision.Defects;

/// <summary>Which grey level is copper on the boards inspected.</summary>
public enum CopperPolarity
{
    /// <summary>Copper is dark on a bright substrate (DeepPCB's binarised scans).</summary>
    Dark,
    /// <summary>Copper is bright on a dark substrate.</summary>
    Bright,
}

/// <summary>
/// Types a difference blob by classical rules on the aligned test and golden crops around it; no learned model.
/// The rules, in the order they are applied:
/// <list type="number">
/// <item>Sign of the difference: copper missing in the test (golden copper, test substrate) or copper added
/// (test copper, golden substrate), whichever covers more of the blob. Missing copper is an open, a mousebite or a
/// pin-hole; added copper a short, a spur or spurious copper.</item>
/// <item>Connectivity in a small window around the blob: the copper pieces the blob reaches are counted. Added copper
/// that reaches two or more golden conductors joined them (short), one: it grew from it (spur), none: an island
/// (spurious copper). Missing copper that leaves a test conductor on two sides cut it (open), one: bitten from its
/// edge (mousebite). Only conductors count: pieces that run out of the window or are large; the small islands a
/// curled bite encloses, and JPEG specks, do not.</item>
/// <item>Contact with the golden's copper edge: missing copper that reaches no golden substrate is a hole inside copper
/// (pin-hole), tested before connectivity, since a hole that reaches no edge cannot have cut a conductor.</item>
/// </list>
/// Confidence = how surely the blob is a defect (its size: edge jitter and JPEG noise leave small blobs) times how
/// clearly its sign is one-sided.
/// </summary>
internal static class DefectClassifier
{
    /// <summary>Pixels around the blob that the connectivity and contact rules look at.</summary>
    public const int Window = 8;

    /// <summary>Square grown around a blob to test contact (7: 3 px each side).</summary>
    internal static int TouchKernel = 7;

    /// <summary>A copper piece counts as a conductor when it leaves the window (conductors run on beyond a defect) or
    /// holds at least this many pixels: the small islands a curled bite encloses, and JPEG specks, do not.</summary>
    private const int MinConductor = 150;

    /// <summary>Area at which the size factor of the confidence reaches 1 - 1/e.</summary>
    private const double AreaScale = 40;

    /// <param name="test">Aligned, smoothed grey test crop.</param>
    /// <param name="golden">Smoothed grey golden crop of the same size.</param>
    /// <param name="labels">Connected-component labels of the difference mask over the crop.</param>
    /// <param name="label">The blob's label.</param>
    /// <param name="box">The blob's bounding box in crop pixels.</param>
    /// <param name="area">The blob's pixels.</param>
    /// <param name="copper">Which grey level is copper.</param>
    public static (DefectType Type, double Confidence) Classify(Mat test, Mat golden, Mat labels, int label, Rect box, int area, CopperPolarity copper)
    {
        var window = Rect.Intersect(new Rect(box.X - Window, box.Y - Window, box.Width + 2 * Window, box.Height + 2 * Window),
            new Rect(0, 0, test.Cols, test.Rows));
        using var tw = new Mat(test, window);
        using var gw = new Mat(golden, window);
        using var lw = new Mat(labels, window);
        using var blob = new Mat();
        Cv2.Compare(lw, new Scalar(label), blob, CmpTypes.EQ);
        var type = copper == CopperPolarity.Dark ? ThresholdTypes.BinaryInv : ThresholdTypes.Binary;
        using var testCopper = new Mat();
        using var goldCopper = new Mat();
        Cv2.Threshold(tw, testCopper, 127, 255, type);
        Cv2.Threshold(gw, goldCopper, 127, 255, type);

        using var missing = new Mat();
        using var added = new Mat();
        using var notTest = new Mat();
        using var notGold = new Mat();
        Cv2.BitwiseNot(testCopper, notTest);
        Cv2.BitwiseNot(goldCopper, notGold);
        Cv2.BitwiseAnd(blob, goldCopper, missing);
        Cv2.BitwiseAnd(missing, notTest, missing);
        Cv2.BitwiseAnd(blob, testCopper, added);
        Cv2.BitwiseAnd(added, notGold, added);
        int m = Cv2.CountNonZero(missing), e = Cv2.CountNonZero(added);
        var size = 1 - Math.Exp(-area / AreaScale);
        if (m + e == 0) return (DefectType.Difference, Math.Round(size * 0.5, 3)); // grey-level change, no copper change
        var purity = (double)Math.Max(m, e) / (m + e);
        var confidence = Math.Round(size * purity, 3);
        if (e > m)
        {
            // Added copper: how many golden conductors it reaches.
            var reached = PiecesReached(added, goldCopper);
            return (reached >= 2 ? DefectType.Short : reached == 1 ? DefectType.Spur : DefectType.Copper, confidence);
        }
        // A hole that reaches no edge cannot have cut a conductor.
        if (!Touches(missing, notGold)) return (DefectType.PinHole, confidence);
        // Missing copper at an edge: a cut leaves a conductor on each side of it, a bite only the one it was bitten from.
        return (PiecesReached(missing, testCopper) >= 2 ? DefectType.Open : DefectType.Mousebite, confidence);
    }

    /// <summary>Distinct conductors (copper pieces, 8-connected, see <see cref="MinConductor"/>) that
    /// <paramref name="region"/>, grown as in <see cref="Touches"/>, reaches.</summary>
    private static int PiecesReached(Mat region, Mat copper)
    {
        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        var n = Cv2.ConnectedComponentsWithStats(copper, labels, stats, centroids, PixelConnectivity.Connectivity8);
        if (n <= 1) return 0;
        using var grown = Grow(region);
        grown.GetArray(out byte[] near);
        labels.GetArray(out int[] pieceOf);
        int w = copper.Cols, h = copper.Rows;
        var conductor = new bool[n];
        for (var i = 1; i < n; i++)
        {
            int left = stats.At<int>(i, (int)ConnectedComponentsTypes.Left), top = stats.At<int>(i, (int)ConnectedComponentsTypes.Top);
            int right = left + stats.At<int>(i, (int)ConnectedComponentsTypes.Width), bottom = top + stats.At<int>(i, (int)ConnectedComponentsTypes.Height);
            conductor[i] = left == 0 || top == 0 || right == w || bottom == h || stats.At<int>(i, (int)ConnectedComponentsTypes.Area) >= MinConductor;
        }
        var seen = new HashSet<int>();
        for (var i = 0; i < near.Length; i++)
            if (near[i] != 0 && conductor[pieceOf[i]]) seen.Add(pieceOf[i]);
        return seen.Count;
    }

    private static Mat Grow(Mat region)
    {
        var grown = new Mat();
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(TouchKernel, TouchKernel));
        Cv2.Dilate(region, grown, kernel);
        return grown;
    }

    /// <summary>True when <paramref name="region"/> grown by 3 px meets <paramref name="other"/> (the diff's tolerance
    /// band and opening leave a blob a pixel or two short of the edge it touches).</summary>
    private static bool Touches(Mat region, Mat other)
    {
        using var grown = Grow(region);
        Cv2.BitwiseAnd(grown, other, grown);
        return Cv2.CountNonZero(grown) > 0;
    }
}
