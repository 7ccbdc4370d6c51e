namespace QcPipeline.Demo.Generation;

/// <summary>How many of each fault to inject into one flight.</summary>
public sealed record FaultPlan
{
    /// <summary>Single photos removed.</summary>
    public int RemovedSingles { get; init; } = 5;
    /// <summary>Runs of 2 to <see cref="LongestRun"/> photos removed together.</summary>
    public int RemovedRuns { get; init; } = 3;
    /// <summary>The most photos one removed run takes.</summary>
    public int LongestRun { get; init; } = 6;
    /// <summary>Photos moved kilometres away (a GPS glitch).</summary>
    public int MovedFar { get; init; } = 1;
    /// <summary>Photos with the gimbal level instead of pointing down.</summary>
    public int GimbalLevel { get; init; } = 1;
    /// <summary>Photos with the gimbal pointing up.</summary>
    public int GimbalUp { get; init; } = 1;
    /// <summary>Photos without GPS.</summary>
    public int GpsRemoved { get; init; } = 2;
    /// <summary>Photos without gimbal data.</summary>
    public int GimbalRemoved { get; init; } = 2;
    /// <summary>Captures uploaded twice.</summary>
    public int Duplicated { get; init; } = 1;
    /// <summary>Runs of 3 to 5 photos flown 15 to 45 m off their line's altitude.</summary>
    public int AltitudeSteps { get; init; } = 1;
    /// <summary>Photos at position 0,0.</summary>
    public int NullIsland { get; init; }
    /// <summary>Photos with a long (blurring) exposure.</summary>
    public int LongExposure { get; init; }
    /// <summary>Photos with an RTK float fix instead of a fixed one.</summary>
    public int RtkFloat { get; init; }
    /// <summary>Photos from another camera model.</summary>
    public int OtherCamera { get; init; }

    /// <summary>What a survey log's headers can show: its faults, none that needs fields the log lacks.</summary>
    public static FaultPlan HeadersOfALog { get; } = new();

    /// <summary>Everything, for a generated flight that has every field.</summary>
    public static FaultPlan Everything { get; } = new() { NullIsland = 1, LongExposure = 2, RtkFloat = 2, OtherCamera = 1 };
}

/// <summary>A flight with faults injected, and the truth about them.</summary>
public sealed class FaultedFlight
{
    /// <summary>The photos to write, in capture order (duplicates beside their originals).</summary>
    public List<PlannedPhoto> Photos { get; } = [];
    /// <summary>The flag each faulted photo must get (by file name); every other photo is clean.</summary>
    public Dictionary<string, string> Expected { get; } = new(StringComparer.Ordinal);
    /// <summary>The photos removed, with their place in the original capture order.</summary>
    public List<(string Name, int Index)> Removed { get; } = [];
    /// <summary>The original flight (all photos, before faults), for where removed photos lay.</summary>
    public List<PlannedPhoto> Original { get; } = [];
}

/// <summary>
/// Injects faults into a flight the way they happen: photos lost singly and in runs (not the first or last two,
/// which no header can show are missing), one moved kilometres away (a GPS glitch), the gimbal level or pointing
/// up, GPS or gimbal data missing, a capture uploaded twice, a run of photos at another altitude; and where the
/// flight has the fields, a null-island position, a long exposure, an RTK float fix, another camera. Each fault
/// takes photos no other fault touched. Deterministic for a seed.
/// </summary>
public static class FlightFaults
{
    /// <summary>The flight with the plan's faults injected, drawn from <paramref name="seed"/>.</summary>
    public static FaultedFlight Inject(IReadOnlyList<PlannedPhoto> flight, FaultPlan plan, int seed)
    {
        var random = new Random(seed);
        var result = new FaultedFlight();
        result.Original.AddRange(flight);
        var n = flight.Count;
        var used = new bool[n];
        var removed = new bool[n];
        var changed = new PlannedPhoto?[n];
        var duplicate = new bool[n];

        int[]? Take(int length, bool keepEnds)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var start = keepEnds ? random.Next(2, Math.Max(3, n - 2 - length)) : random.Next(0, n - length + 1);
                if (start + length > n || Enumerable.Range(start, length).Any(i => used[i])) continue;
                // Leave a photo between faults, so one does not hide another.
                if ((start > 0 && used[start - 1]) || (start + length < n && used[start + length])) continue;
                for (var i = start; i < start + length; i++) used[i] = true;
                return Enumerable.Range(start, length).ToArray();
            }
            return null;
        }
        void Change(int count, string flag, Func<PlannedPhoto, PlannedPhoto> how, int length = 1)
        {
            for (var c = 0; c < count; c++)
                if (Take(length, keepEnds: false) is { } picked)
                    foreach (var i in picked) { changed[i] = how(changed[i] ?? flight[i]); result.Expected[flight[i].Name] = flag; }
        }

        for (var c = 0; c < plan.RemovedSingles; c++) if (Take(1, true) is { } one) removed[one[0]] = true;
        for (var c = 0; c < plan.RemovedRuns; c++) if (Take(random.Next(2, plan.LongestRun + 1), true) is { } run) foreach (var i in run) removed[i] = true;
        Change(plan.MovedFar, "far_from_site", p =>
        {
            var bearing = random.NextDouble() * 2 * Math.PI;
            var km = 2000 + random.NextDouble() * 3000;
            var (lat, lon) = SiteGenerator.Offset(p.Latitude!.Value, p.Longitude!.Value, km * Math.Sin(bearing), km * Math.Cos(bearing));
            return p with { Latitude = lat, Longitude = lon };
        });
        Change(plan.GimbalLevel, "not_nadir", p => p with { GimbalPitch = 0 });
        Change(plan.GimbalUp, "not_nadir", p => p with { GimbalPitch = 15 + random.Next(0, 16) });
        Change(plan.GpsRemoved, "no_position", p => p with { Latitude = null, Longitude = null, GpsAltitude = null });
        Change(plan.GimbalRemoved, "no_gimbal", p => p with { GimbalPitch = null, GimbalYaw = null });
        for (var c = 0; c < plan.AltitudeSteps; c++)
        {
            var step = (random.Next(2) == 0 ? 1 : -1) * (15 + random.NextDouble() * 30);
            Change(1, "altitude_off", p => p with
            {
                RelativeAltitude = p.RelativeAltitude + step, AbsoluteAltitude = p.AbsoluteAltitude + step, GpsAltitude = p.GpsAltitude + step,
            }, random.Next(3, 6));
        }
        Change(plan.NullIsland, "invalid_position", p => p with { Latitude = 0, Longitude = 0 });
        Change(plan.LongExposure, "motion_blur_risk", p => p with { Camera = (p.Camera ?? new CameraSettings()) with { ExposureTime = 1.0 / 30 } });
        Change(plan.RtkFloat, "rtk_not_fixed", p => p with { RtkFlag = 34 });
        Change(plan.OtherCamera, "mixed_camera", p => p with { Model = "FC3411" });
        for (var c = 0; c < plan.Duplicated; c++)
            if (Take(1, keepEnds: false) is { } d) { duplicate[d[0]] = true; result.Expected[Copy(flight[d[0]].Name)] = "duplicate"; }

        for (var i = 0; i < n; i++)
        {
            if (removed[i]) { result.Removed.Add((flight[i].Name, i)); continue; }
            var photo = changed[i] ?? flight[i];
            result.Photos.Add(photo);
            if (duplicate[i]) result.Photos.Add(photo with { Name = Copy(photo.Name) });
        }
        return result;
    }

    /// <summary>The name a copy of a photo gets when it is uploaded twice.</summary>
    public static string Copy(string name) => Path.GetFileNameWithoutExtension(name) + " (1)" + Path.GetExtension(name);
}
