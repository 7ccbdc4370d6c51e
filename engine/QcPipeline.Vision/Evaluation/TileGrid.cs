namespace QcPipeline.Vision.Evaluation;

/// <summary>Cuts an image into a grid of square ROIs.</summary>
public static class TileGrid
{
    /// <summary>Row-major tiles of <paramref name="tileSize"/> pixels; the last row and column are
    /// narrower when the size does not divide the image.</summary>
    public static IReadOnlyList<PixelBox> Tiles(int width, int height, int tileSize)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), "image size must be positive");
        if (tileSize <= 0) throw new ArgumentOutOfRangeException(nameof(tileSize), "tile size must be positive");
        var tiles = new List<PixelBox>();
        for (var y = 0; y < height; y += tileSize)
            for (var x = 0; x < width; x += tileSize)
                tiles.Add(new PixelBox(x, y, Math.Min(tileSize, width - x), Math.Min(tileSize, height - y)));
        return tiles;
    }
}
