using System.Buffers.Binary;
using System.Text;

namespace QcPipeline.Demo.Generation;

/// <summary>One TIFF/EXIF directory entry: tag, field type, value count and the value's bytes (little-endian).</summary>
public sealed record TiffEntry(ushort Tag, ushort Type, int Count, byte[] Value)
{
    /// <summary>TIFF field types: BYTE, ASCII, SHORT, LONG, RATIONAL and SRATIONAL.</summary>
    public const ushort TypeByte = 1, TypeAscii = 2, TypeShort = 3, TypeLong = 4, TypeRational = 5, TypeSRational = 10;

    /// <summary>A NUL-terminated ASCII string.</summary>
    public static TiffEntry Ascii(ushort tag, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "\0");
        return new(tag, TypeAscii, bytes.Length, bytes);
    }

    /// <summary>BYTE values.</summary>
    public static TiffEntry Bytes(ushort tag, params byte[] values) => new(tag, TypeByte, values.Length, values);

    /// <summary>One SHORT.</summary>
    public static TiffEntry Short(ushort tag, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return new(tag, TypeShort, 1, b);
    }

    /// <summary>One LONG.</summary>
    public static TiffEntry Long(ushort tag, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return new(tag, TypeLong, 1, b);
    }

    /// <summary>Unsigned rationals, numerator/denominator as stored (0/0 is allowed: hostile files need it).</summary>
    public static TiffEntry Rationals(ushort tag, params (uint Num, uint Den)[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 8), values[i].Num);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 8 + 4), values[i].Den);
        }
        return new(tag, TypeRational, values.Length, b);
    }

    /// <summary>Signed rationals (some writers store GPS coordinates as negative SRATIONALs).</summary>
    public static TiffEntry SRationals(ushort tag, params (int Num, int Den)[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 8), values[i].Num);
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(i * 8 + 4), values[i].Den);
        }
        return new(tag, TypeSRational, values.Length, b);
    }
}

/// <summary>Deliberate damage to the EXIF structure, for hostile test files.</summary>
public enum ExifDamage
{
    /// <summary>A well-formed structure.</summary>
    None,
    /// <summary>The GPS IFD pointer points far beyond the EXIF segment.</summary>
    GpsPointerOutOfRange,
    /// <summary>The TIFF header's first IFD offset points beyond the segment (no EXIF readable at all).</summary>
    Ifd0OffsetOutOfRange,
    /// <summary>The GPS latitude's value offset points beyond the segment.</summary>
    GpsValueOffsetOutOfRange,
}

/// <summary>Builds the body of an EXIF APP1 segment ("Exif\0\0" + a little-endian TIFF structure).</summary>
public static class ExifWriter
{
    private const ushort TagExifPointer = 0x8769, TagGpsPointer = 0x8825;

    /// <param name="ifd0">IFD0 entries (Make, Model, …); the sub-IFD pointers are added here.</param>
    /// <param name="exif">The EXIF sub-IFD (DateTimeOriginal, …), or null for none.</param>
    /// <param name="gps">The GPS IFD, or null for none (an empty list writes an empty GPS IFD).</param>
    /// <param name="damage">What to break, for hostile files.</param>
    public static byte[] Build(IEnumerable<TiffEntry> ifd0, IReadOnlyList<TiffEntry>? exif, IReadOnlyList<TiffEntry>? gps, ExifDamage damage = ExifDamage.None)
    {
        var main = ifd0.ToList();
        if (exif is not null) main.Add(TiffEntry.Long(TagExifPointer, 0));
        if (gps is not null) main.Add(TiffEntry.Long(TagGpsPointer, 0));
        var ifds = new List<List<TiffEntry>> { Sorted(main) };
        if (exif is not null) ifds.Add(Sorted(exif));
        if (gps is not null) ifds.Add(Sorted(gps));

        // Lay out: TIFF header (8 bytes), then each IFD followed by its out-of-line values.
        var offsets = new List<int>();
        var at = 8;
        foreach (var ifd in ifds)
        {
            offsets.Add(at);
            at += Size(ifd);
        }
        var gpsOffset = gps is not null ? offsets[^1] : 0;
        var exifOffset = exif is not null ? offsets[1] : 0;
        if (damage == ExifDamage.GpsPointerOutOfRange) gpsOffset = 0x7FFF_FF00;
        ifds[0] = ifds[0].Select(e => e.Tag switch
        {
            TagExifPointer => TiffEntry.Long(TagExifPointer, (uint)exifOffset),
            TagGpsPointer => TiffEntry.Long(TagGpsPointer, (uint)gpsOffset),
            _ => e,
        }).ToList();

        var tiff = new byte[at];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), damage == ExifDamage.Ifd0OffsetOutOfRange ? 0x00FF_FF00u : 8u);
        for (var i = 0; i < ifds.Count; i++)
            WriteIfd(tiff, offsets[i], ifds[i], damage == ExifDamage.GpsValueOffsetOutOfRange && gps is not null && i == ifds.Count - 1);
        return [.. "Exif\0\0"u8, .. tiff];
    }

    private static List<TiffEntry> Sorted(IEnumerable<TiffEntry> entries) => entries.OrderBy(e => e.Tag).ToList();

    private static int Size(List<TiffEntry> ifd) =>
        2 + ifd.Count * 12 + 4 + ifd.Sum(e => e.Value.Length > 4 ? (e.Value.Length + 1) & ~1 : 0);

    private static void WriteIfd(byte[] tiff, int offset, List<TiffEntry> ifd, bool breakLatitude)
    {
        var span = tiff.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)ifd.Count);
        var data = offset + 2 + ifd.Count * 12 + 4; // out-of-line values follow the entries and the next-IFD link (0)
        for (var i = 0; i < ifd.Count; i++)
        {
            var e = ifd[i];
            var at = offset + 2 + i * 12;
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], e.Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], e.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], (uint)e.Count);
            if (e.Value.Length <= 4) e.Value.CopyTo(span[(at + 8)..]);
            else
            {
                var pointer = breakLatitude && e.Tag == 2 ? 0x00FF_FFF0u : (uint)data;
                BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], pointer);
                e.Value.CopyTo(span[data..]);
                data += (e.Value.Length + 1) & ~1;
            }
        }
    }
}
