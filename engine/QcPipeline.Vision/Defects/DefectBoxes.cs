namespace QcPipeline.Vision.Defects;

/// <summary>How image-level defect boxes are drawn from the blobs of all ROIs.</summary>
/// <param name="MergeGap">Defects of one type closer than this many pixels become one (a defect broken in pieces);
/// -1: no merging.</param>
/// <param name="Margin">Pixels added on every side, so a box shows the defect with its surroundings the way inspectors
/// (and DeepPCB's annotators) draw it, not only the changed pixels.</param>
/// <param name="MinSize">Boxes narrower or lower than this grow about their centre to it (annotators draw no box
/// smaller than about 20 px, however small the defect).</param>
public sealed record BoxRules(int MergeGap = -1, int Margin = 0, int MinSize = 0);

/// <summary>Turns ROI blobs into the image's defect list.</summary>
public static class DefectBoxes
{
    /// <summary>Merges, grows and clips the defects to <paramref name="bounds"/>; most confident first.</summary>
    public static IReadOnlyList<Defect> Finish(IEnumerable<Defect> found, BoxRules rules, PixelBox bounds)
    {
        var defects = found.Where(d => d.Box.Area > 0).ToList();
        if (rules.MergeGap >= 0) defects = Merge(defects, rules.MergeGap);
        return defects
            .Select(d => d with { Box = Grow(d.Box, rules, bounds) })
            .OrderByDescending(d => d.Confidence).ThenBy(d => d.Box.Y).ThenBy(d => d.Box.X)
            .ToList();
    }

    private static PixelBox Grow(PixelBox box, BoxRules rules, PixelBox bounds)
    {
        var b = box.Inflate(rules.Margin);
        if (b.Width < rules.MinSize) b = b with { X = b.X - (rules.MinSize - b.Width) / 2, Width = rules.MinSize };
        if (b.Height < rules.MinSize) b = b with { Y = b.Y - (rules.MinSize - b.Height) / 2, Height = rules.MinSize };
        var clipped = bounds.Area > 0 ? b.Intersect(bounds) : b;
        return clipped.Area > 0 ? clipped : box;
    }

    /// <summary>Repeatedly unites two defects of the same type closer than <paramref name="gap"/> pixels (0: only
    /// overlapping or edge-touching ones); the union keeps the larger piece's confidence.</summary>
    public static List<Defect> Merge(List<Defect> defects, int gap)
    {
        var merged = new List<Defect>(defects);
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < merged.Count && !changed; i++)
                for (var j = i + 1; j < merged.Count; j++)
                {
                    var (a, b) = (merged[i], merged[j]);
                    // Growing one box by gap (and 1 so that touching edges count) tests the distance.
                    if (a.Type != b.Type || !a.Box.Inflate(gap + 1).Overlaps(b.Box)) continue;
                    var big = a.Area >= b.Area ? a : b;
                    merged[i] = big with { Box = a.Box.Union(b.Box), Area = a.Area + b.Area, Confidence = Math.Max(a.Confidence, b.Confidence) };
                    merged.RemoveAt(j);
                    changed = true;
                    break;
                }
        }
        return merged;
    }
}
