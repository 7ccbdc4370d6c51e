using System.Runtime.InteropServices;

namespace QcPipeline.SiteScan.Flight;

/// <summary>
/// duplicate, across the whole site: photos with the same EXIF and XMP bytes (<see cref="HeaderHash"/>), or taken
/// at the same instant at the same position (to 1e-7°, about a centimetre). Of each set of copies one is the
/// original and keeps no flag: the one with the shortest name (copies get suffixes: "DJI_0042 (1).JPG",
/// "DJI_0042-copy.JPG"), then the first by folder and name.
/// </summary>
public static class Duplicates
{
    public static void Mark(IReadOnlyList<List<PhotoFacts>> folders, IReadOnlyList<string> folderNames)
    {
        var all = new List<(int Folder, int Index)>();
        for (var f = 0; f < folders.Count; f++)
            for (var i = 0; i < folders[f].Count; i++)
                if (folders[f][i].Status != GpsStatus.Error) all.Add((f, i));
        all.Sort((a, b) =>
        {
            string na = folders[a.Folder][a.Index].Name, nb = folders[b.Folder][b.Index].Name;
            var c = na.Length.CompareTo(nb.Length);
            if (c == 0) c = string.CompareOrdinal(folderNames[a.Folder], folderNames[b.Folder]);
            return c != 0 ? c : string.CompareOrdinal(na, nb);
        });
        var byHash = new Dictionary<ulong, (int Folder, int Index)>();
        var byCapture = new Dictionary<(long, long, long), (int Folder, int Index)>();
        foreach (var at in all)
        {
            ref var f = ref CollectionsMarshal.AsSpan(folders[at.Folder])[at.Index];
            (int Folder, int Index)? original = null;
            if (f.Hash != 0 && byHash.TryGetValue(f.Hash, out var h)) original = h;
            var capture = f.HasPosition && f.HasTime ? (f.Ticks, (long)Math.Round(f.Lat * 1e7), (long)Math.Round(f.Lon * 1e7)) : ((long, long, long)?)null;
            if (original is null && capture is { } key && byCapture.TryGetValue(key, out var c)) original = c;
            if (original is { } o)
            {
                f.Flags |= PhotoFlags.Duplicate;
                var name = folders[o.Folder][o.Index].Name;
                f.DuplicateOf = o.Folder == at.Folder ? name : $"{folderNames[o.Folder]}/{name}";
                continue;
            }
            if (f.Hash != 0) byHash[f.Hash] = at;
            if (capture is { } k) byCapture[k] = at;
        }
    }
}
