// The page of `faas serve`: reads the platform's own REST API (/api/v1, with the page's cookie) and follows
// its changes on one stream of server-sent events (/api/v1/_faas/events). Plain JavaScript, no build step.
"use strict";

const API = "/api/v1";
const MAX_ROWS = 500; // executions kept in the table; older ones drop off the end
const state = {
  project: null, view: "executions", services: {}, triggers: {}, rows: new Map(),
  execution: null, logCheckpoint: null, dataset: null, pipeline: null, cycle: null, node: null,
};
const $ = (selector) => document.querySelector(selector);

// -- small helpers -----------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (method !== "GET") {
    options.headers = { "Content-Type": "application/json", "X-Faas-Page": "1" };
    options.body = JSON.stringify(body === undefined ? {} : body);
  }
  const response = await fetch(API + path, options);
  if (response.status === 401) {
    setLive(false, "signed out: open the address faas serve printed");
    throw new Error("401");
  }
  const data = await response.json();
  if (!response.ok) throw new Error(data.message || response.status);
  return data;
}

function debounce(fn, ms = 300) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" }); // made once: one per call is slow
const time = (iso) => (iso ? clock.format(new Date(iso)) : "");
const json = (value) => JSON.stringify(value, null, 2);
const dot = (status) => el("span", { class: "dot", "data-status": status || "" });

function setLive(on, text) {
  const badge = $("#live");
  badge.className = on ? "on" : "off";
  badge.textContent = text || (on ? "live" : "reconnecting");
}

// -- projects and views ------------------------------------------------------------------------------

async function loadProjects() {
  const projects = await api("GET", "/projects");
  const select = $("#project");
  const keep = state.project;
  select.replaceChildren(...projects.map((p) => el("option", { value: p.id }, p.name)));
  state.project = projects.some((p) => p.id === keep) ? keep : projects.length ? projects[0].id : null;
  if (state.project) select.value = state.project;
}

async function loadProjectParts() {
  if (!state.project) return;
  const filter = { $and: [{ projectId: state.project }] };
  const [services, triggers] = await Promise.all([
    api("POST", "/query/faas", { resource: "services", filter, page: 0, pageSize: 1000 }),
    api("POST", "/query/faas", { resource: "triggers", filter, page: 0, pageSize: 1000 }),
  ]);
  state.services = Object.fromEntries(services.items.map((s) => [s.id, s]));
  state.triggers = Object.fromEntries(triggers.items.map((t) => [t.id, t]));
  fillOptions($("#filter-service"), services.items);
  fillOptions($("#filter-trigger"), triggers.items);
}

function fillOptions(select, records) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, "all"), ...records.map((r) => el("option", { value: r.id }, r.name)));
  select.value = records.some((r) => r.id === keep) ? keep : "";
}

async function reloadAll() {
  await loadProjects();
  await loadProjectParts();
  await showView(state.view);
}

async function showView(view) {
  state.view = view;
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.view === view);
  for (const section of document.querySelectorAll(".view")) section.classList.toggle("hidden", section.id !== `view-${view}`);
  if (!state.project) return;
  if (view === "executions") await loadExecutions();
  else if (view === "data") await loadDatasets();
  else if (view === "services") await loadServices();
  else if (view === "pipelines") await loadPipelines();
}

// -- executions --------------------------------------------------------------------------------------

function summaryOf(record) {
  const latest = record.latestStatus || {};
  return {
    id: record.id, status: latest.status, percent: latest.percentComplete, message: (latest.message || "").split("\n")[0],
    projectId: record.projectId, serviceId: record.serviceId, serviceName: record.serviceName,
    functionName: record.functionName, triggerId: record.triggerId, createdAt: record.createdAt,
    duration: record.duration, pipeline: record.pipeline,
  };
}

function matches(s) {
  const service = $("#filter-service").value, status = $("#filter-status").value, trigger = $("#filter-trigger").value;
  return s.projectId === state.project && (!service || s.serviceId === service) && (!status || s.status === status)
    && (!trigger || s.triggerId === trigger);
}

async function loadExecutions() {
  const and = [{ projectId: state.project }];
  if ($("#filter-service").value) and.push({ serviceId: $("#filter-service").value });
  if ($("#filter-status").value) and.push({ "latestStatus.status": $("#filter-status").value });
  if ($("#filter-trigger").value) and.push({ triggerId: $("#filter-trigger").value });
  const page = await api("POST", "/query/faas", {
    resource: "executions", filter: { $and: and }, sort: { createdAt: "descending" }, page: 0, pageSize: MAX_ROWS,
  });
  $("#executions tbody").replaceChildren();
  state.rows.clear();
  for (const record of page.items) upsertRow(summaryOf(record));
  countRows();
}

function countRows() {
  $("#executions-count").textContent = `${state.rows.size} shown`;
}

function cells(s) {
  const trigger = s.triggerId ? (state.triggers[s.triggerId] || {}).name || s.triggerId
    : s.pipeline ? "pipeline" : "";
  const percent = Math.max(0, Math.min(100, Number(s.percent) || 0));
  const fill = el("span");
  fill.style.width = `${percent}%`; // through the CSSOM: the page's policy allows no inline style attribute
  return [
    el("td", { title: s.status }, dot(s.status)),
    el("td", { title: s.message || "" }, `${s.serviceName}.${s.functionName}`),
    el("td", {}, trigger),
    el("td", { title: s.createdAt }, time(s.createdAt)),
    el("td", {}, typeof s.duration === "number" ? `${s.duration.toFixed(2)} s` : ""),
    el("td", {}, el("span", { class: "bar" }, fill), ` ${percent}%`),
  ];
}

function upsertRow(s) {
  const body = $("#executions tbody");
  let row = state.rows.get(s.id);
  if (s.deleted || !matches(s)) {
    if (row) {
      row.remove();
      state.rows.delete(s.id);
    }
    return;
  }
  // What a row shows: a change that alters none of it (a log line, a second claim) costs no DOM work.
  const shows = `${s.status}|${s.percent}|${s.duration}|${s.message}|${s.triggerId}`;
  if (row) {
    if (row.dataset.shows === shows) return;
    row.dataset.status = s.status;
    row.dataset.shows = shows;
    row.replaceChildren(...cells(s));
    return;
  }
  row = el("tr", { id: `exec-${s.id}`, "data-status": s.status, "data-created": s.createdAt, "data-shows": shows,
    onclick: () => openExecution(s.id) }, ...cells(s));
  // Newest first: most news is the newest, so look from the top.
  let before = body.firstElementChild;
  while (before && before.dataset.created > s.createdAt) before = before.nextElementSibling;
  body.insertBefore(row, before);
  state.rows.set(s.id, row);
  if (state.execution === s.id) row.classList.add("selected");
  while (state.rows.size > MAX_ROWS) {
    const last = body.lastElementChild;
    state.rows.delete(last.id.slice(5));
    last.remove();
  }
}

async function openExecution(id) {
  if (state.view !== "executions") await showView("executions");
  for (const row of document.querySelectorAll("#executions tr.selected")) row.classList.remove("selected");
  if (state.rows.get(id)) state.rows.get(id).classList.add("selected");
  state.execution = id;
  state.logCheckpoint = null;
  const panel = $("#execution");
  panel.classList.remove("hidden");
  panel.replaceChildren(el("h2", {}, "execution ", id), el("div", { id: "execution-record" }),
    el("h3", {}, "logs"), el("pre", { id: "logs", class: "logs" }));
  await Promise.all([renderExecution(), fetchLogs()]);
}

async function renderExecution() {
  const id = state.execution;
  const page = await api("POST", "/query/faas", { resource: "executions", filter: { $and: [{ id }] }, page: 0, pageSize: 1 });
  const record = page.items[0];
  if (!record || id !== state.execution) return;
  const latest = record.latestStatus || {};
  const trigger = record.triggerId ? (state.triggers[record.triggerId] || {}).name || record.triggerId : "";
  const rows = [["status", el("span", { "data-status": latest.status }, dot(latest.status), " ", latest.status)],
    ["function", `${record.serviceName}.${record.functionName}`], ["package", `${record.packageName} ${record.packageRevision}`],
    ["trigger", trigger], ["attempts", `${record.attempts} of ${record.maxAttempts}`], ["created", record.createdAt],
    ["started", record.startedAt || ""], ["took", typeof record.duration === "number" ? `${record.duration} s` : ""],
    ["progress", `${latest.percentComplete || 0}%${latest.message ? " · " + latest.message.split("\n")[0] : ""}`]];
  if (record.pipeline) rows.push(["pipeline", `${record.pipeline.id} node ${record.pipeline.nodeId}`]);
  const history = el("table", { id: "status-history" },
    el("thead", {}, el("tr", {}, el("th", {}, "time"), el("th", {}, "status"), el("th", {}, "%"), el("th", {}, "message"))),
    el("tbody", {}, (record.statusLog || []).map((entry) => el("tr", { "data-status": entry.status },
      el("td", {}, time(entry.timestamp)), el("td", {}, dot(entry.status), " ", entry.status),
      el("td", {}, entry.percentComplete ?? ""), el("td", { class: "muted" }, (entry.message || "").split("\n")[0])))));
  $("#execution-record").replaceChildren(
    el("table", {}, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))))),
    el("h3", {}, "inputs"), el("pre", { id: "execution-input" }, json(record.input)),
    el("h3", {}, "output"), el("pre", { id: "execution-output" }, json(record.output)),
    el("h3", {}, "status history"), history);
}

async function fetchLogs() {
  const id = state.execution;
  for (let page = 0; page < 20; page++) { // at most 20 pages of 500 lines per look; the rest on the next change
    const answer = await api("POST", "/services/logs", { executionId: [id], size: 500, checkpoint: state.logCheckpoint || undefined });
    if (id !== state.execution) return;
    state.logCheckpoint = answer.checkpoint;
    const pre = $("#logs");
    for (const line of answer.logs) pre.append(`${time(line.timestamp)} ${line.level} ${line.message}\n`);
    if (!answer.logs.length || answer.logs.length < 500) return;
  }
}

const refreshExecution = debounce(() => state.execution && renderExecution().catch(() => {}));
const refreshLogs = debounce(() => state.execution && fetchLogs().catch(() => {}), 200);

// -- data --------------------------------------------------------------------------------------------

async function loadDatasets() {
  const page = await api("POST", "/datasets/query", { context: { projects: [state.project] }, filter: {}, page: 0, pageSize: 1000 });
  if (!page.items.some((d) => d.id === state.dataset)) state.dataset = page.items.length ? page.items[0].id : null;
  $("#datasets").replaceChildren(...page.items.map((d) => el("li", {
    class: d.id === state.dataset ? "selected" : "", "data-id": d.id,
    onclick: () => { state.dataset = d.id; loadDatasets(); },
  }, d.name, el("span", { class: "tag" }, `${d.itemsCount ?? 0} items`))));
  await loadItems();
}

async function loadItems() {
  const grid = $("#items");
  if (!state.dataset) return grid.replaceChildren(el("p", { class: "muted" }, "no datasets in this project"));
  const page = await api("POST", `/datasets/${state.dataset}/query`, {
    resource: "items", filter: { $and: [{ type: "file" }] }, sort: { createdAt: "descending" }, page: 0, pageSize: 200,
  });
  grid.replaceChildren(...page.items.map((item) => {
    const mimetype = ((item.metadata || {}).system || {}).mimetype || "";
    const picture = mimetype.startsWith("image/")
      ? el("img", { src: `${API}/items/${item.id}/thumbnail`, alt: item.name, loading: "lazy" })
      : el("div", { class: "file" }, mimetype || "file");
    return el("div", { class: "tile", "data-id": item.id, title: item.filename }, picture, el("div", {}, item.name));
  }));
}

const refreshData = debounce(() => state.view === "data" && loadDatasets().catch(() => {}), 500);

// -- services ----------------------------------------------------------------------------------------

async function loadServices() {
  const filter = { $and: [{ projectId: state.project }] };
  const packages = await api("POST", "/query/faas", { resource: "packages", filter, page: 0, pageSize: 1000 });
  const byPackage = Object.fromEntries(packages.items.map((p) => [p.id, p]));
  const cards = Object.values(state.services).map((s) => {
    const runtime = s.runtime || {};
    const pkg = byPackage[s.packageId] || {};
    const triggers = Object.values(state.triggers).filter((t) => ((t.spec || {}).operation || {}).serviceId === s.id);
    return el("div", { class: "card", "data-id": s.id },
      el("strong", {}, s.name), el("span", { class: "tag" }, s.active ? "active" : "paused"),
      el("div", { class: "meta" }, `package ${pkg.name || s.packageId} ${s.packageRevision || ""} · concurrency ${runtime.concurrency ?? 1}`
        + ` · replicas ${runtime.numReplicas ?? 1}${runtime.podType ? " · " + runtime.podType : ""}`),
      triggers.length ? triggers.map(describeTrigger) : el("div", { class: "trigger muted" }, "no triggers"));
  });
  $("#services").replaceChildren(el("h2", {}, "services and their triggers"), ...cards,
    el("h2", {}, "packages"), el("ul", { class: "list" }, packages.items.map((p) => el("li", {}, p.name,
      el("span", { class: "tag" }, p.version || ""),
      el("span", { class: "muted" }, " ", (p.modules || []).map((m) => `${m.name}: ${(m.functions || []).map((f) => f.name).join(", ")}`).join("; "))))));
}

function describeTrigger(t) {
  const spec = t.spec || {};
  const what = t.type === "Cron" ? `cron ${spec.cron}` : `${spec.resource} ${(spec.actions || []).join(", ")}`;
  const filter = spec.filter && Object.keys(spec.filter).length ? ` where ${JSON.stringify(spec.filter)}` : "";
  return el("div", { class: "trigger", "data-id": t.id }, "⚡ ", el("strong", {}, t.name), ` ${what} → ${(spec.operation || {}).functionName || "run"}`,
    el("span", { class: "muted" }, filter), el("span", { class: "tag" }, t.active ? "active" : "inactive"));
}

const refreshServices = debounce(async () => {
  await loadProjectParts();
  if (state.view === "services") await loadServices();
}, 500);

// -- pipelines ---------------------------------------------------------------------------------------

async function loadPipelines() {
  const page = await api("POST", "/pipelines/query", { resource: "pipeline", filter: { $and: [{ projectId: state.project }] }, page: 0, pageSize: 1000 });
  if (!page.items.some((p) => p.id === state.pipeline)) state.pipeline = page.items.length ? page.items[0].id : null;
  $("#pipelines").replaceChildren(el("h2", {}, "pipelines"), ...page.items.map((p) => el("li", {
    class: p.id === state.pipeline ? "selected" : "", onclick: () => { state.pipeline = p.id; state.cycle = null; loadPipelines(); },
  }, p.name, el("span", { class: "tag" }, p.status))));
  await loadCycles();
}

async function loadCycles() {
  if (!state.pipeline) return $("#cycles").replaceChildren();
  const page = await api("POST", "/pipelines/query", {
    resource: "pipelineState", filter: { $and: [{ pipelineId: state.pipeline }] }, sort: { createdAt: "descending" }, page: 0, pageSize: 100,
  });
  if (!page.items.some((c) => c.id === state.cycle)) state.cycle = page.items.length ? page.items[0].id : null;
  $("#cycles").replaceChildren(el("h2", {}, "executions"), ...page.items.map((c) => el("li", {
    class: c.id === state.cycle ? "selected" : "", "data-status": c.status, "data-id": c.id,
    onclick: () => { state.cycle = c.id; loadCycles(); },
  }, dot(c.status), ` ${time(c.createdAt)} ${c.status}`, el("span", { class: "muted" }, c.message ? ` · ${c.message}` : ""))));
  await renderCycle();
}

async function renderCycle() {
  const box = $("#cycle");
  if (!state.cycle) return box.replaceChildren(el("p", { class: "muted" }, "no executions of this pipeline yet"));
  const [pipeline, cycle] = await Promise.all([api("GET", `/pipelines/${state.pipeline}`),
    api("GET", `/pipelines/${state.pipeline}/executions/${state.cycle}`)]);
  const status = Object.fromEntries((cycle.nodes || []).map((n) => [n.id, n.status]));
  const place = layout(pipeline.nodes || [], pipeline.connections || [], pipeline.startNodes || []);
  const W = 170, H = 46;
  const width = Math.max(...Object.values(place).map((p) => p.x)) + W + 20;
  const height = Math.max(...Object.values(place).map((p) => p.y)) + H + 20;
  const edges = (pipeline.connections || []).filter((c) => place[c.src.nodeId] && place[c.tgt.nodeId]).map((c) => {
    const a = place[c.src.nodeId], b = place[c.tgt.nodeId];
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    return svg("path", { class: "edge", d: `M${x1},${y1} C${x1 + 40},${y1} ${x2 - 40},${y2} ${x2},${y2}` });
  });
  const nodes = (pipeline.nodes || []).map((n) => svg("g", {
    class: "node", "data-status": status[n.id] || "pending", "data-name": n.name, transform: `translate(${place[n.id].x},${place[n.id].y})`,
    onclick: () => showNode(cycle, n),
  }, svg("rect", { width: W, height: H, rx: 6 }), svg("text", { x: 10, y: 19 }, n.name),
    svg("text", { x: 10, y: 36, fill: "#5f6368" }, status[n.id] || "pending")));
  const marker = svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#5f6368" })));
  box.replaceChildren(el("h2", {}, `${cycle.pipelineName} · `, dot(cycle.status), ` ${cycle.status}`),
    cycle.message ? el("p", { class: "muted" }, cycle.message) : "",
    svg("svg", { id: "graph", width, height, viewBox: `0 0 ${width} ${height}` }, marker, ...edges, ...nodes),
    el("div", { id: "node" }));
  const chosen = (pipeline.nodes || []).find((n) => n.id === state.node);
  if (chosen) showNode(cycle, chosen); // a redraw keeps the node that was open
}

function layout(nodes, connections, starts) {
  // Columns by distance from the start node; within a column, the order of the positions the pipeline
  // gives its nodes (the platform's editor coordinates vary in scale: only their order is kept).
  const depth = {};
  const first = (starts.find((s) => s.type === "root") || starts[0] || {}).nodeId;
  const start = nodes.find((n) => n.id === first) || nodes[0];
  const queue = start ? [[start.id, 0]] : [];
  while (queue.length) {
    const [id, d] = queue.shift();
    if (id in depth || d > nodes.length) continue;
    depth[id] = d;
    for (const c of connections) if (c.src.nodeId === id) queue.push([c.tgt.nodeId, d + 1]);
  }
  const y = (n) => ((n.metadata || {}).position || {}).y || 0;
  const columns = {};
  for (const n of nodes) (columns[depth[n.id] ?? 0] = columns[depth[n.id] ?? 0] || []).push(n);
  const place = {};
  for (const [d, column] of Object.entries(columns)) {
    column.sort((a, b) => y(a) - y(b)).forEach((n, row) => { place[n.id] = { x: 10 + d * 230, y: 10 + row * 70 }; });
  }
  return place;
}

function showNode(cycle, node) {
  state.node = node.id;
  const ids = (cycle.executions || {})[node.id] || [];
  $("#node").replaceChildren(el("h3", {}, `node ${node.name}`), ids.length
    ? el("ul", { class: "list" }, ids.map((id) => el("li", { onclick: () => openExecution(id) }, `execution ${id}`)))
    : el("p", { class: "muted" }, "no execution of this node in this run"));
}

const refreshPipelines = debounce(() => state.view === "pipelines" && loadPipelines().catch(() => {}), 400);

// -- live changes ------------------------------------------------------------------------------------

function applyChanges(changes) {
  let rowsChanged = false;
  for (const change of changes) {
    switch (change.kind) {
      case "executions":
        if (state.view === "executions") { upsertRow(change); rowsChanged = true; }
        if (change.id === state.execution) refreshExecution();
        if (change.pipeline) refreshPipelines();
        break;
      case "logs":
        if (change.executionId === state.execution) refreshLogs();
        break;
      case "items":
        if (change.datasetId === state.dataset) refreshData();
        break;
      case "datasets":
        refreshData();
        break;
      case "services": case "triggers": case "packages":
        refreshServices();
        break;
      case "pipelines": case "pipelineExecutions":
        refreshPipelines();
        break;
      case "projects":
        refreshProjects();
        break;
    }
  }
  if (rowsChanged) countRows();
}

// Changes are drawn at most twice a second, each thing once at its latest state: under a burst, drawing
// (style, layout, paint) costs the browser more than the script, and the browser shares the platform's CPUs.
const DRAW_MS = 500;
const pending = new Map();
let drawTimer = null;
function queueChanges(changes) {
  for (const change of changes) {
    const key = `${change.kind}/${change.id}`;
    pending.delete(key);
    pending.set(key, change);
  }
  if (drawTimer === null) {
    drawTimer = setTimeout(() => {
      drawTimer = null;
      const batch = [...pending.values()];
      pending.clear();
      applyChanges(batch);
    }, DRAW_MS);
  }
}

const refreshProjects = debounce(async () => {
  const before = state.project;
  await loadProjects();
  if (state.project !== before) await reloadAll();
}, 500);

let stream = null;
function connect() {
  stream = new EventSource(`${API}/_faas/events`);
  stream.addEventListener("hello", (event) => {
    setLive(true);
    if (JSON.parse(event.data).reset) reloadAll().catch(() => {}); // first contact, or changes were missed
  });
  stream.addEventListener("changes", (event) => queueChanges(JSON.parse(event.data)));
  stream.addEventListener("open", () => setLive(true));
  stream.onerror = () => {
    setLive(false);
    if (stream.readyState === EventSource.CLOSED) setTimeout(connect, 5000); // refused (too many pages open?)
  };
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => showView(button.dataset.view));
  $("#project").addEventListener("change", async (event) => {
    state.project = event.target.value;
    state.execution = null;
    $("#execution").classList.add("hidden");
    await loadProjectParts();
    await showView(state.view);
  });
  for (const id of ["#filter-service", "#filter-status", "#filter-trigger"]) $(id).addEventListener("change", () => loadExecutions());
  connect();
});
