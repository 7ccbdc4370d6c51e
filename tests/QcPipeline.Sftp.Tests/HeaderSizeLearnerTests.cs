using QcPipeline.Media;

namespace QcPipeline.Sftp.Tests;

/// <summary>The first round of reads is learnt per size class: the ranges recent files used, widened and joined.</summary>
public sealed class HeaderSizeLearnerTests
{
    [Fact]
    public void A_camera_s_exif_tags_and_xmp_become_two_ranges_read_at_once()
    {
        var learner = new HeaderSizeLearner(16 * 1024, 256 * 1024);
        Assert.Equal([new JpegMetadataExtent.Range(0, 16 * 1024)], learner.FirstReads(1_440_000)); // nothing learnt yet
        // Two thermal frames: tags in the first ~1.2 KB, the thumbnail, then XMP at 16.3–18.0 KB (8 KB long).
        learner.Learn(1_440_000, [new(0, 2), new(2, 1180), new(16_284, 8_192)]);
        learner.Learn(1_441_000, [new(0, 2), new(2, 1175), new(17_991, 8_192)]);
        var reads = learner.FirstReads(1_439_000);
        Assert.Equal(2, reads.Count);
        Assert.Equal(0, reads[0].Offset);
        Assert.True(reads[0].Offset + reads[0].Length >= 1182 + 1024, "the tags, with a margin");
        Assert.True(reads[1].Offset <= 16_284 - 1024 && reads[1].Offset + reads[1].Length >= 17_991 + 8_192 + 1024, "every XMP position seen, with a margin");
        Assert.InRange(reads.Sum(r => r.Length), 12_000, 16_000); // not the 26 KB of Exif (thumbnail) + XMP
        Assert.Equal([new JpegMetadataExtent.Range(0, 16 * 1024)], learner.FirstReads(5_000_000)); // another size class
    }
}
