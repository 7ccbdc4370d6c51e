namespace QcPipeline.SiteScan.Report;

/// <summary>The style of the site scan's report sections and the script that draws its map (inline: the report
/// works offline).</summary>
internal static class FlightReportAssets
{
    private static readonly Dictionary<string, string> FlagColors = new()
    {
        ["no_position"] = "#5b6670", ["invalid_position"] = "#8c564b", ["far_from_site"] = "#d62728", ["duplicate"] = "#9467bd",
        ["not_nadir"] = "#ff7f0e", ["no_gimbal"] = "#e377c2", ["altitude_off"] = "#17becf", ["motion_blur_risk"] = "#bcbd22",
        ["rtk_not_fixed"] = "#6b4c9a", ["mixed_camera"] = "#2ca02c",
    };

    public static string FlagColor(string flag) => FlagColors.GetValueOrDefault(flag, "#1d2329");

    public static readonly string Css = """
        .verdict { font-weight: 700; text-transform: uppercase; padding: 1px 6px; border-radius: 4px; font-size: 12px; }
        .verdict.ok { background: #dafbe1; color: #1a7f37; } .verdict.warn { background: #fff8c5; color: #9a6700; } .verdict.fail { background: #ffebe9; color: #b42318; }
        .site-verdict { font-size: 15px; } table.verdicts td:last-child, table.flagged td:last-child { word-break: break-word; }
        span.flag { display: inline-block; font: 11px ui-monospace, monospace; padding: 0 4px; border-radius: 3px; background: #eef0f2; margin: 1px 0; }
        svg.flight-map text { font: 11px system-ui, sans-serif; fill: #5b6670; }
        """ + string.Concat(FlagColors.Select(c => $"\nspan.flag.{c.Key} {{ background: {c.Value}; color: #fff; }}"));

    /// <summary>The body of qcReport.section's draw function: (host, data, report).</summary>
    public const string MapScript = """
        var box = host.querySelector('.map'), el = report.el;
        var FLAGS = data.flags, folders = data.folders, OFF = 0; // photos off the map's extent: far away, or at impossible places
        FLAGS.forEach(function (f) { if (f[0] === 'far_from_site' || f[0] === 'invalid_position') OFF |= f[1]; });
        function firstFlag(bits) { for (var i = 0; i < FLAGS.length; i++) if (bits & FLAGS[i][1]) return FLAGS[i]; return null; }
        // Points come as columns; as rows [lon, lat, flags, file, status] here.
        folders.forEach(function (f) {
          var c = f.points, rows = [];
          for (var i = 0; i < c.lon.length; i++) rows.push([c.lon[i], c.lat[i], c.flags[i], c.file[i], c.status[i]]);
          f.points = rows;
        });
        var lons = [], lats = [];
        folders.forEach(function (f) {
          f.points.forEach(function (p) { if (!(p[2] & OFF)) { lons.push(p[0]); lats.push(p[1]); } });
          f.path.forEach(function (p) { lons.push(p[0]); lats.push(p[1]); });
        });
        if (lons.length === 0) { el('p', { 'class': 'note' }, box, 'No photo has a position to draw.'); return; }
        var minLon = Math.min.apply(null, lons), maxLon = Math.max.apply(null, lons), minLat = Math.min.apply(null, lats), maxLat = Math.max.apply(null, lats);
        var kx = Math.cos((minLat + maxLat) / 2 * Math.PI / 180); // equirectangular, true to scale at the site
        var W = 1000, H = 640, P = 24, spanX = Math.max((maxLon - minLon) * kx, 1e-9), spanY = Math.max(maxLat - minLat, 1e-9);
        var scale = Math.min((W - 2 * P) / spanX, (H - 2 * P) / spanY);
        function px(lon, lat) {
          // Photos far from the site (or at null island) sit on the map's edge, in their direction.
          var x = P + (lon - minLon) * kx * scale, y = H - P - (lat - minLat) * scale;
          return [Math.max(4, Math.min(W - 4, x)), Math.max(4, Math.min(H - 4, y))];
        }
        function pts(list) { return list.map(function (p) { var q = px(p[0], p[1]); return q[0].toFixed(1) + ',' + q[1].toFixed(1); }).join(' '); }
        var svg = el('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', 'class': 'flight-map' }, box);
        el('svg:rect', { x: 0, y: 0, width: W, height: H, fill: '#fbfcfd', stroke: '#e3e6ea' }, svg);
        var metres = spanX * 111320, bar = report.niceStep(metres, 4), barPx = bar / 111320 * scale;
        el('svg:line', { x1: P, x2: P + barPx, y1: H - 8, y2: H - 8, stroke: '#5b6670', 'stroke-width': 2 }, svg);
        el('svg:text', { x: P + barPx + 6, y: H - 4 }, svg, bar >= 1000 ? (bar / 1000) + ' km' : bar + ' m');
        var counts = {}, gapCount = 0;
        folders.forEach(function (f, k) {
          var color = report.palette[k % report.palette.length];
          if (f.path.length > 1) el('svg:polyline', { points: pts(f.path), fill: 'none', stroke: color, 'stroke-width': 1.2, 'stroke-opacity': 0.6, 'class': 'flight-path' }, svg);
          f.points.forEach(function (p) {
            if (p[2]) return;
            var q = px(p[0], p[1]), ok = p[4] === 'ok';
            var c = el('svg:circle', { cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: 2.6, fill: ok ? color : '#fff', 'fill-opacity': ok ? 0.55 : 1, stroke: color, 'stroke-width': ok ? 0.4 : 1.4, 'class': 'gps-point' }, svg);
            el('svg:title', {}, c, p[3] + ' · ' + f.name + ' · ' + p[4] + ' · ' + p[1].toFixed(6) + ', ' + p[0].toFixed(6));
          });
        });
        folders.forEach(function (f) {
          f.gaps.forEach(function (g) {
            gapCount++;
            var a = px(g[0], g[1]), b = px(g[2], g[3]);
            var line = el('svg:line', { x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1), stroke: '#d62728', 'stroke-width': 4, 'stroke-dasharray': '6 4', 'stroke-linecap': 'round', 'class': 'gap' }, svg);
            el('svg:title', {}, line, 'gap in ' + f.name + ': about ' + g[4] + ' photo' + (g[4] === 1 ? '' : 's') + ' missing between ' + g[5] + ' and ' + g[6] + ' (' + g[7] + ' m)');
          });
        });
        folders.forEach(function (f) {
          f.points.forEach(function (p) {
            if (!p[2]) return;
            var flag = firstFlag(p[2]), names = FLAGS.filter(function (x) { return p[2] & x[1]; }).map(function (x) { return x[0]; });
            names.forEach(function (n) { counts[n] = (counts[n] || 0) + 1; });
            var q = px(p[0], p[1]);
            var c = el('svg:circle', { cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: 4.5, fill: flag[2], stroke: '#1d2329', 'stroke-width': 1, 'class': 'gps-point flagged', 'data-flags': names.join(' ') }, svg);
            el('svg:title', {}, c, p[3] + ' · ' + f.name + ' · ' + p[4] + ' · ' + names.join(', ') + ' · ' + p[1].toFixed(6) + ', ' + p[0].toFixed(6));
          });
        });
        var items = FLAGS.filter(function (x) { return counts[x[0]]; }).map(function (x) { return [x[0] + ' (' + counts[x[0]] + ')', x[2]]; });
        if (gapCount) items.push(['gap (' + gapCount + ')', '#d62728']);
        report.legend(box, items);
        report.legend(box, folders.map(function (f, k) { return [f.name + ' (' + f.points.length + ')', report.palette[k % report.palette.length]]; }));
        """;
}
