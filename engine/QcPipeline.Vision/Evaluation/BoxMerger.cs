namespace QcPipeline.Vision.Evaluation;

/// <summary>Joins boxes that touch or lie within a gap of each other, e.g. pieces of one defect
/// cut apart by tile borders.</summary>
public static class BoxMerger
{
    /// <summary>Repeatedly unites any two boxes closer than <paramref name="gap"/> pixels (0 =
    /// only overlapping or edge-touching boxes) until none are.</summary>
    public static IReadOnlyList<PixelBox> Merge(IEnumerable<PixelBox> boxes, int gap)
    {
        var merged = boxes.Where(b => b.Area > 0).ToList();
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < merged.Count && !changed; i++)
                for (var j = i + 1; j < merged.Count; j++)
                {
                    // Growing one box by gap (and 1 so that touching edges count) tests the distance.
                    if (!merged[i].Inflate(gap + 1).Overlaps(merged[j]) && !merged[j].Inflate(gap + 1).Overlaps(merged[i])) continue;
                    merged[i] = merged[i].Union(merged[j]);
                    merged.RemoveAt(j);
                    changed = true;
                    break;
                }
        }
        return merged;
    }
}
