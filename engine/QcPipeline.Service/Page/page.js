// The service page: runs with live progress bars, the latest verdicts, links to reports. Everything comes from
// the API; live updates from the server-sent events of /v1/events, read with fetch so that a bearer token can be
// sent (EventSource cannot send one).
"use strict";

const state = { token: sessionStorage.getItem("qc-token"), runs: new Map(), events: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (state.token) h.Authorization = "Bearer " + state.token;
  return h;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({}, options, { headers: headers((options || {}).headers) }));
  if (response.status === 401) { askToken(); throw new Error("the server needs its token"); }
  return response;
}

function askToken() {
  const dialog = $("token-dialog");
  if (!dialog.open) dialog.showModal();
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("qc-token", state.token);
  $("token-dialog").close();
  connect();
});

// --- the event stream ------------------------------------------------------------------------------------------

let stream = null;

async function connect() {
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  try {
    const response = await api("/v1/events", { signal: controller.signal, headers: { Accept: "text/event-stream" } });
    if (!response.ok) throw new Error("events: HTTP " + response.status);
    connected(true);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (controller.signal.aborted) return;
  }
  if (stream !== controller) return;
  connected(false);
  setTimeout(connect, 2000); // the server went away (stopping, restarting): try again
}

function dispatch(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join("\n"));
  state.events++;
  document.body.setAttribute("data-events", String(state.events));
  switch (type) {
    case "hello": hello(payload); break;
    case "run": case "progress": case "end": updateRun(payload, type); break;
    case "failure": addFailure(payload); break;
    case "inspection": showInspections(payload); break;
    default: break; // heartbeats and anything newer
  }
}

function connected(on) {
  const c = $("connection");
  c.textContent = on ? "live" : "reconnecting…";
  c.className = "conn " + (on ? "on" : "off");
  document.body.setAttribute("data-connected", on ? "1" : "0");
}

// --- runs ------------------------------------------------------------------------------------------------------

function hello(h) {
  $("served").textContent = h.disabled ? "runs only (" + h.disabled + ")" : "inspecting " + (h.products || []).join(", ");
  const select = $("job");
  const chosen = select.value;
  select.replaceChildren(...(h.jobs || []).map((j) => el("option", { value: j, textContent: j })));
  if (chosen) select.value = chosen;
  else if ((h.jobs || []).includes("site-scan")) select.value = "site-scan";
  for (const run of (h.runs || []).slice().reverse()) updateRun(run, "hello");
  showInspections(h.inspection);
  $("page-status").textContent = "rendered";
  document.body.setAttribute("data-rendered", "1");
}

function updateRun(run, type) {
  let entry = state.runs.get(run.id);
  if (!entry) {
    entry = { row: newRow(run), progressEvents: 0, failures: [] };
    state.runs.set(run.id, entry);
    $("runs").tBodies[0].prepend(entry.row);
    for (const f of run.failures || []) entry.failures.push(f);
  }
  if (type === "progress") entry.progressEvents++;
  entry.run = run;
  render(entry);
  $("no-runs").hidden = state.runs.size > 0;
}

function newRow(run) {
  const row = el("tr", { "data-run": run.id });
  row.append(
    el("td", {}, el("div", { class: "id" }, run.id), el("div", { class: "job" }, run.job + (run.overrides && run.overrides.length ? " · " + run.overrides.join(" ") : ""))),
    el("td", { class: "state" }),
    el("td", { class: "progress-cell" }, el("progress", { max: 1, value: 0 }), el("span", { class: "progress-text" }), el("ul", { class: "failures" })),
    el("td", { class: "n failed" }),
    el("td", { class: "n time" }),
    el("td", { class: "actions" }));
  return row;
}

function render(entry) {
  const run = entry.run, row = entry.row, counts = run.counts || {};
  const expected = Math.max(counts.expected || 0, counts.produced || 0);
  const done = counts.done || 0;
  row.setAttribute("data-state", run.state);
  row.setAttribute("data-done", String(done));
  row.setAttribute("data-expected", String(expected));
  row.setAttribute("data-progress-events", String(entry.progressEvents));
  const stateCell = row.querySelector(".state");
  stateCell.textContent = run.state.replace("_", " ");
  stateCell.className = "state " + run.state;
  const bar = row.querySelector("progress");
  const finished = run.state !== "running" && run.state !== "cancelling";
  bar.max = Math.max(1, expected);
  bar.value = finished && expected === 0 ? bar.max : done;
  const share = expected > 0 ? Math.round((100 * done) / expected) : finished ? 100 : 0;
  const cancelled = counts.cancelled ? " · " + counts.cancelled + " cancelled" : "";
  row.querySelector(".progress-text").textContent = done + " / " + (expected || "?") + " (" + share + "%)" + cancelled + stageText(counts.stages);
  row.querySelector(".failed").textContent = String(counts.failed || 0);
  row.querySelector(".time").textContent = counts.seconds !== undefined ? counts.seconds.toFixed(1) + " s" : "";
  const list = row.querySelector(".failures");
  list.replaceChildren(...entry.failures.slice(-3).map((f) => el("li", {}, f.item + ": " + (f.stage ? f.stage + ": " : "") + (f.reason || ""))));
  const actions = row.querySelector(".actions");
  actions.replaceChildren();
  if (finished) actions.append(reportLink(run));
  else if (run.state === "running") actions.append(el("button", { class: "cancel", type: "button", textContent: "Cancel", onclick: () => cancel(run.id) }));
}

function stageText(stages) {
  if (!stages || stages.length === 0) return "";
  return " · " + stages.map((s) => s.name + " " + s.in).join(", ");
}

function reportLink(run) {
  const a = el("a", { href: run.links.report, target: "_blank", rel: "noopener", textContent: "report", class: "report" });
  // With a token the report is fetched with it and shown from memory (a plain link cannot send it).
  a.addEventListener("click", async (e) => {
    if (!state.token) return;
    e.preventDefault();
    const response = await api(run.links.report);
    const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
    window.open(url, "_blank", "noopener");
  });
  return a;
}

function addFailure(f) {
  const entry = state.runs.get(f.run);
  if (!entry) return;
  entry.failures.push(f);
  if (entry.failures.length > 20) entry.failures.shift();
  render(entry);
}

async function cancel(id) {
  const response = await api("/v1/runs/" + encodeURIComponent(id), { method: "DELETE" });
  if (response.ok) updateRun(await response.json(), "cancel");
}

$("start-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const result = $("start-result");
  const set = $("overrides").value.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  result.textContent = "starting…";
  try {
    const response = await api("/v1/runs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ job: $("job").value, set: set }),
    });
    const body = await response.json();
    if (response.ok) { result.textContent = "started " + body.id; updateRun(body, "start"); }
    else result.textContent = body.error + (body.problems ? ": " + body.problems.join("; ") : "");
  } catch (err) {
    result.textContent = err.message;
  }
});

// --- inspections -----------------------------------------------------------------------------------------------

function showInspections(s) {
  if (!s) return;
  $("totals").replaceChildren(...["pass", "fail", "error", "refused"].map((k) =>
    el("div", { class: "count " + k }, el("b", {}, String(s[k] || 0)), k)));
  $("verdicts").tBodies[0].replaceChildren(...(s.latest || []).map((v) => el("tr", { "data-image": v.image },
    el("td", {}, new Date(v.time).toLocaleTimeString()),
    el("td", {}, v.product),
    el("td", {}, v.image),
    el("td", { class: "verdict " + v.verdict }, v.verdict),
    el("td", { class: "n" }, v.ms === null || v.ms === undefined ? "" : v.ms.toFixed(1)),
    el("td", { class: "n" }, String(v.defects)))));
  $("no-verdicts").hidden = (s.latest || []).length > 0;
}

window.addEventListener("error", (e) => { $("page-status").textContent = "error: " + e.message; });
connect();
