namespace QcPipeline.Telemetry;

/// <summary>The report's style and script, inlined into every report.html (it must work offline).</summary>
internal static class ReportAssets
{
    public const string Css = """
        body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px 24px; max-width: 1400px; color: #1d2329; background: #fff; }
        h1 { margin: 0 0 4px; font-size: 24px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
        .sub { color: #5b6670; margin: 0 0 8px; } .error { color: #b42318; font-weight: 600; } .note { color: #5b6670; margin: 4px 0 8px; }
        .outcome { font-weight: 600; } .outcome.succeeded { color: #1a7f37; } .outcome.itemsfailed, .outcome.failed { color: #b42318; } .outcome.cancelled { color: #9a6700; }
        .counts { display: flex; gap: 12px; flex-wrap: wrap; } .count { border: 1px solid #e3e6ea; border-radius: 6px; padding: 6px 12px; min-width: 90px; color: #5b6670; }
        .count b { display: block; font-size: 20px; color: #1d2329; } .count.failed b { color: #b42318; } .count.skipped b { color: #9a6700; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
        th { background: #f6f8fa; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; } td.bad { color: #b42318; font-weight: 600; }
        table.failures td:nth-child(4), table.reasons td:nth-child(4) { word-break: break-word; } code { font: 12px ui-monospace, monospace; word-break: break-all; }
        .bar { display: inline-block; width: 60px; height: 8px; background: #eef0f2; margin-right: 6px; border-radius: 4px; overflow: hidden; vertical-align: middle; }
        .bar i { display: block; height: 100%; background: #4c9be8; }
        .stage-gantt { margin: 10px 0 18px; } .stage-gantt h3 { font-size: 14px; margin: 0 0 4px; } .stage-gantt h3 span { color: #5b6670; font-weight: 400; }
        canvas { display: block; } .legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: #5b6670; margin: 4px 0; }
        .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
        #tooltip { position: fixed; pointer-events: none; background: #1d2329; color: #fff; font-size: 12px; padding: 4px 8px; border-radius: 4px; display: none; max-width: 600px; word-break: break-all; z-index: 10; }
        svg text { font: 11px system-ui, sans-serif; fill: #5b6670; } ul.warnings li { color: #9a6700; }
        footer { margin-top: 32px; color: #8c959f; font-size: 12px; }
        """;

    public const string Script = """
        (function () {
          'use strict';
          var status = document.getElementById('render-status');
          window.addEventListener('error', function (e) {
            document.body.setAttribute('data-render-error', String(e.message));
            status.textContent = 'render error: ' + e.message;
          });
          var data = JSON.parse(document.getElementById('report-data').textContent);
          var OUTCOMES = ['ok', 'failed', 'skipped', 'cancelled'];
          var COLORS = ['#4c9be8', '#e5484d', '#f5a623', '#9aa0a6'];
          var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
          var SVGNS = 'http://www.w3.org/2000/svg'; // an XML namespace name, not a request

          function el(tag, attrs, parent, text) {
            var e = tag.indexOf('svg:') === 0 ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
            for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
            if (text !== undefined) e.textContent = text;
            if (parent) parent.appendChild(e);
            return e;
          }
          function fmtMs(ms) { return ms === 0 ? '0' : ms < 1000 ? ms.toFixed(ms < 10 ? 2 : 0) + ' ms' : ms < 60000 ? (ms / 1000).toFixed(2) + ' s' : (ms / 60000).toFixed(1) + ' min'; }
          function niceStep(range, count) {
            var raw = range / count, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
            return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
          }
          var tooltip = el('div', { id: 'tooltip' }, document.body);
          function showTip(ev, text) { tooltip.textContent = text; tooltip.style.display = 'block'; tooltip.style.left = (ev.clientX + 12) + 'px'; tooltip.style.top = (ev.clientY + 12) + 'px'; }
          function hideTip() { tooltip.style.display = 'none'; }
          function legend(parent, items) {
            var l = el('div', { 'class': 'legend' }, parent);
            items.forEach(function (it) { var s = el('span', {}, l); el('i', { style: 'background:' + it[1] }, s); s.appendChild(document.createTextNode(it[0])); });
          }

          // The timeline: entries are flat [stage, worker, key, startMs, endMs, outcome] sextets.
          var E = data.timeline.entries, keys = data.timeline.keys, n = E.length / 6;
          var total = Math.max(data.durationMs, 1);
          for (var i = 0; i < n; i++) total = Math.max(total, E[i * 6 + 4]);
          var byStage = data.stages.map(function () { return []; });
          for (i = 0; i < n; i++) if (byStage[E[i * 6]]) byStage[E[i * 6]].push(i);

          function gantt() {
            var host = document.getElementById('gantt');
            if (n === 0) { el('p', { 'class': 'note' }, host, 'No item timings were recorded.'); return; }
            legend(host, OUTCOMES.map(function (o, k) { return [o, COLORS[k]]; }));
            var width = Math.max(640, host.clientWidth || 1200), labelW = 70, plotW = width - labelW - 10;
            data.stages.forEach(function (stage, s) {
              var idx = byStage[s];
              if (idx.length === 0) return;
              var lanesCount = stage.workers; // idle workers get their (empty) row too
              idx.forEach(function (j) { lanesCount = Math.max(lanesCount, E[j * 6 + 1] + 1); });
              var lanes = []; for (var w = 0; w < lanesCount; w++) lanes.push([]);
              idx.forEach(function (j) { lanes[E[j * 6 + 1]].push(j); });
              lanes.forEach(function (l) { l.sort(function (a, b) { return E[a * 6 + 3] - E[b * 6 + 3]; }); });
              var rowH = Math.max(3, Math.min(16, Math.floor(480 / lanesCount))), axisH = 18, height = rowH * lanesCount + axisH;
              var box = el('div', { 'class': 'stage-gantt' }, host);
              var h = el('h3', {}, box, stage.name + ' ');
              el('span', {}, h, '(' + stage.type + ', ' + lanesCount + ' worker' + (lanesCount > 1 ? 's' : '') + ', ' + idx.length + ' items)');
              var canvas = el('canvas', { 'class': 'gantt', 'data-stage': stage.name }, box);
              var dpr = window.devicePixelRatio || 1;
              canvas.width = width * dpr; canvas.height = height * dpr; canvas.style.width = width + 'px'; canvas.style.height = height + 'px';
              var g = canvas.getContext('2d');
              g.scale(dpr, dpr);
              g.font = '11px system-ui, sans-serif'; g.textBaseline = 'middle';
              for (w = 0; w < lanesCount; w++) {
                g.fillStyle = w % 2 ? '#f6f8fa' : '#fbfcfd'; g.fillRect(labelW, w * rowH, plotW, rowH);
                if (rowH >= 9) { g.fillStyle = '#5b6670'; g.fillText('worker ' + w, 4, w * rowH + rowH / 2); }
              }
              idx.forEach(function (j) {
                var x0 = labelW + E[j * 6 + 3] / total * plotW, x1 = labelW + E[j * 6 + 4] / total * plotW;
                g.fillStyle = COLORS[E[j * 6 + 5]] || COLORS[3];
                g.fillRect(x0, E[j * 6 + 1] * rowH + 1, Math.max(1, x1 - x0 - 0.5), Math.max(1, rowH - 2));
              });
              var step = niceStep(total, 10);
              g.fillStyle = '#5b6670'; g.strokeStyle = '#d0d7de'; g.textBaseline = 'top';
              for (var t = 0; t <= total; t += step) {
                var x = labelW + t / total * plotW;
                g.beginPath(); g.moveTo(x + 0.5, 0); g.lineTo(x + 0.5, lanesCount * rowH + 3); g.stroke();
                g.fillText(fmtMs(t), x + 2, lanesCount * rowH + 4);
              }
              canvas.addEventListener('mousemove', function (ev) {
                var r = canvas.getBoundingClientRect(), lane = Math.floor((ev.clientY - r.top) / rowH);
                var tm = (ev.clientX - r.left - labelW) / plotW * total, slack = total / plotW * 2;
                var hit = (lanes[lane] || []).filter(function (j) { return E[j * 6 + 3] - slack <= tm && tm <= E[j * 6 + 4] + slack; })[0];
                if (hit === undefined) { hideTip(); return; }
                showTip(ev, keys[E[hit * 6 + 2]] + ' · ' + stage.name + ' worker ' + E[hit * 6 + 1] + ' · ' + fmtMs(E[hit * 6 + 4] - E[hit * 6 + 3]) + ' · ' + OUTCOMES[E[hit * 6 + 5]]);
              });
              canvas.addEventListener('mouseleave', hideTip);
            });
          }

          function throughput() {
            var host = document.getElementById('throughput');
            if (n === 0) { el('p', { 'class': 'note' }, host, 'No item timings were recorded.'); return; }
            var bins = Math.max(10, Math.min(120, Math.ceil(total / 50))), binMs = total / bins, W = 1000, H = 260, L = 56, B = 24;
            var series = [], max = 1;
            data.stages.forEach(function (stage, s) {
              if (byStage[s].length === 0) return;
              var c = new Array(bins).fill(0);
              byStage[s].forEach(function (j) { c[Math.min(bins - 1, Math.floor(E[j * 6 + 4] / binMs))]++; });
              var rates = c.map(function (v) { return v / (binMs / 1000); });
              rates.forEach(function (v) { max = Math.max(max, v); });
              series.push({ name: stage.name, rates: rates, color: PALETTE[series.length % PALETTE.length] });
            });
            var svg = el('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', 'class': 'throughput' }, host);
            var ystep = niceStep(max, 5);
            for (var y = 0; y <= max; y += ystep) {
              var py = H - B - y / max * (H - B - 10);
              el('svg:line', { x1: L, x2: W, y1: py, y2: py, stroke: '#eef0f2' }, svg);
              el('svg:text', { x: L - 6, y: py + 4, 'text-anchor': 'end' }, svg, y >= 1000 ? (y / 1000).toFixed(1) + 'k' : String(Math.round(y * 10) / 10));
            }
            var xstep = niceStep(total, 8);
            for (var t = 0; t <= total; t += xstep) el('svg:text', { x: L + t / total * (W - L), y: H - 6, 'text-anchor': 'middle' }, svg, fmtMs(t));
            series.forEach(function (sr) {
              var pts = sr.rates.map(function (v, k) { return (L + (k + 0.5) / bins * (W - L)).toFixed(1) + ',' + (H - B - v / max * (H - B - 10)).toFixed(1); });
              el('svg:polyline', { points: pts.join(' '), fill: 'none', stroke: sr.color, 'stroke-width': 1.8 }, svg);
            });
            el('svg:text', { x: 4, y: 12 }, svg, 'items/s');
            legend(host, series.map(function (sr) { return [sr.name, sr.color]; }));
          }

          function slowest() {
            var host = document.getElementById('slowest');
            if (n === 0) { el('p', { 'class': 'note' }, host, 'No item timings were recorded.'); return; }
            var all = []; for (var j = 0; j < n; j++) all.push(j);
            all.sort(function (a, b) { return (E[b * 6 + 4] - E[b * 6 + 3]) - (E[a * 6 + 4] - E[a * 6 + 3]); });
            var table = el('table', {}, host), head = el('tr', {}, el('thead', {}, table)), body = el('tbody', {}, table);
            ['Item', 'Stage', 'Worker', 'Took', 'Outcome'].forEach(function (c) { el('th', {}, head, c); });
            all.slice(0, 15).forEach(function (j) {
              var tr = el('tr', {}, body);
              el('code', {}, el('td', {}, tr), keys[E[j * 6 + 2]]);
              el('td', {}, tr, data.stages[E[j * 6]].name);
              el('td', { 'class': 'n' }, tr, String(E[j * 6 + 1]));
              el('td', { 'class': 'n' }, tr, fmtMs(E[j * 6 + 4] - E[j * 6 + 3]));
              el('td', {}, tr, OUTCOMES[E[j * 6 + 5]]);
            });
          }

          gantt(); throughput(); slowest();

          // What contributed sections draw with: qcReport.section(id, fn) runs fn(host, data, helpers) at once.
          var failed = false;
          window.qcReport = {
            el: el, legend: legend, niceStep: niceStep, palette: PALETTE, showTip: showTip, hideTip: hideTip,
            section: function (id, draw) {
              var host = document.getElementById('section-' + id);
              try { draw(host, JSON.parse(document.getElementById('section-data-' + id).textContent), window.qcReport); }
              catch (e) {
                failed = true;
                document.body.setAttribute('data-render-error', id + ': ' + e.message);
                el('p', { 'class': 'error' }, host, 'This section could not be drawn: ' + e.message);
              }
            },
            done: function () {
              status.textContent = failed ? 'rendered with errors' : 'rendered';
              document.body.setAttribute('data-rendered', '1');
            }
          };
        })();
        """;
}
