namespace QcPipeline.Vision;

/// <summary>An axis-aligned rectangle in image pixels: left/top inclusive, width and height in pixels.</summary>
public readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    /// <summary>One past the last column.</summary>
    public int Right => X + Width;

    /// <summary>One past the last row.</summary>
    public int Bottom => Y + Height;

    /// <summary>Area in pixels (0 for an empty box).</summary>
    public long Area => Width <= 0 || Height <= 0 ? 0 : (long)Width * Height;

    /// <summary>A box from corners, right/bottom exclusive.</summary>
    public static PixelBox FromCorners(int x1, int y1, int x2, int y2) =>
        new(Math.Min(x1, x2), Math.Min(y1, y2), Math.Abs(x2 - x1), Math.Abs(y2 - y1));

    /// <summary>The overlap of two boxes (empty when they do not overlap).</summary>
    public PixelBox Intersect(PixelBox other)
    {
        int x = Math.Max(X, other.X), y = Math.Max(Y, other.Y);
        int r = Math.Min(Right, other.Right), b = Math.Min(Bottom, other.Bottom);
        return r > x && b > y ? new PixelBox(x, y, r - x, b - y) : default;
    }

    /// <summary>True when the boxes share at least one pixel.</summary>
    public bool Overlaps(PixelBox other) => Intersect(other).Area > 0;

    /// <summary>The smallest box containing both.</summary>
    public PixelBox Union(PixelBox other)
    {
        int x = Math.Min(X, other.X), y = Math.Min(Y, other.Y);
        return new PixelBox(x, y, Math.Max(Right, other.Right) - x, Math.Max(Bottom, other.Bottom) - y);
    }

    /// <summary>This box grown by <paramref name="margin"/> pixels on every side.</summary>
    public PixelBox Inflate(int margin) => new(X - margin, Y - margin, Width + 2 * margin, Height + 2 * margin);

    /// <summary>Intersection over union, 0..1.</summary>
    public double IoU(PixelBox other)
    {
        long inter = Intersect(other).Area;
        long union = Area + other.Area - inter;
        return union <= 0 ? 0 : (double)inter / union;
    }

    /// <inheritdoc />
    public override string ToString() => $"(x={X} y={Y} w={Width} h={Height})";
}
