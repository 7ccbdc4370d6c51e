namespace QcPipeline.SiteScan.Flight;

/// <summary>Where a photo is: its folder's number and its place among the folder's photos.</summary>
internal readonly record struct PhotoAt(int Folder, int Index);

/// <summary>
/// duplicate, across the whole site: photos with the same EXIF and XMP bytes (<see cref="HeaderHash"/>), or taken
/// at the same instant at the same position (to 1e-7°, about a centimetre). Of each set of copies one is the
/// original and keeps no flag: the one with the shortest name (copies get suffixes: "DJI_0042 (1).JPG",
/// "DJI_0042-copy.JPG"), then the first by folder and name. Works from two sorted arrays of keys, so a site of
/// 100,000 photos costs a few megabytes, for a moment.
/// </summary>
internal static class Duplicates
{
    private readonly record struct Key(ulong A, long B, long C, PhotoAt At);

    /// <param name="photos">Every photo of the site (not unreadable ones), with its facts.</param>
    /// <param name="count">How many photos there are (the look-up lists are sized for them).</param>
    /// <param name="folderNames">The folders' names, by number.</param>
    /// <param name="nameOf">A photo's file name (asked only for photos that have a copy).</param>
    /// <returns>The duplicates: what each is a copy of ("folder/name" when in another folder).</returns>
    public static Dictionary<PhotoAt, string> Find(IEnumerable<(PhotoAt At, PhotoFacts Facts)> photos, int count, IReadOnlyList<string> folderNames,
        Func<PhotoAt, string> nameOf)
    {
        var byHash = new List<Key>(count);
        var byCapture = new List<Key>(count);
        foreach (var (at, f) in photos)
        {
            if (f.Hash != 0) byHash.Add(new Key(f.Hash, 0, 0, at));
            if (f.HasPosition && f.HasTime) byCapture.Add(new Key((ulong)f.Ticks, (long)Math.Round(f.Lat * 1e7), (long)Math.Round(f.Lon * 1e7), at));
        }
        var copies = new Dictionary<PhotoAt, string>();
        foreach (var keys in new[] { byHash, byCapture })
        {
            keys.Sort((x, y) => x.A != y.A ? x.A.CompareTo(y.A) : x.B != y.B ? x.B.CompareTo(y.B) : x.C.CompareTo(y.C));
            for (var i = 0; i < keys.Count;)
            {
                var j = i + 1;
                while (j < keys.Count && keys[j].A == keys[i].A && keys[j].B == keys[i].B && keys[j].C == keys[i].C) j++;
                if (j - i > 1) Mark(keys.GetRange(i, j - i).Select(k => k.At).Where(a => !copies.ContainsKey(a)).ToList(), folderNames, nameOf, copies);
                i = j;
            }
        }
        return copies;
    }

    private static void Mark(List<PhotoAt> group, IReadOnlyList<string> folderNames, Func<PhotoAt, string> nameOf, Dictionary<PhotoAt, string> copies)
    {
        if (group.Count < 2) return;
        var named = group.Select(at => (At: at, Name: nameOf(at))).ToList();
        named.Sort((a, b) =>
        {
            var c = a.Name.Length.CompareTo(b.Name.Length);
            if (c == 0) c = string.CompareOrdinal(folderNames[a.At.Folder], folderNames[b.At.Folder]);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        var original = named[0];
        foreach (var (at, _) in named.Skip(1))
            copies[at] = at.Folder == original.At.Folder ? original.Name : $"{folderNames[original.At.Folder]}/{original.Name}";
    }
}
