// The timeline page: draws a sim.Result (pkg/sim/result.go) as a summary and an inline SVG chart.
// File mode reads the JSON embedded in #timeline-data; live mode polls timeline.json every second.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const POLL_MS = 1000;

  // Failure causes: JSON key (in result.failures and in the timeline), label, CSS class.
  const CAUSES = [
    ["connectionRefused", "connection refused", "f-refused"],
    ["noHealthyBackend", "no healthy backend", "f-nohealthy"],
    ["reset", "reset", "f-reset"],
    ["timeout", "timeout", "f-timeout"],
  ];

  // Events drawn as vertical lines across the chart, and their labels.
  const MARKERS = {
    RolloutStarted: (e) => "rollout " + (e.detail || "").replace("revision ", "rev "),
    RolloutComplete: () => "rollout done",
    RolloutSuperseded: () => "rollout superseded",
    Scale: (e) => "scale: " + (e.detail || "").replace("replicas ", "") + " replicas",
    DeletePod: (e) => "delete pod" + (e.node ? " on " + e.node : ""),
    Cordon: (e) => "drain " + e.node,
    Drained: (e) => e.node + " drained",
    ExcludeFromLoadBalancer: (e) => e.node + " out of the pool",
    NodeAdded: (e) => "add " + e.node,
    NodeRemoved: (e) => "remove " + e.node,
    AddNodeFailed: (e) => "add " + e.node + " failed",
    UpdatedLoadBalancer: () => "pool updated",
    UpdateLoadBalancerFailed: () => "pool update failed",
  };
  // Pod events drawn as ticks in their node's lane, by CSS class.
  const POD_TICKS = {
    PodReady: "ready",
    PodNotReady: "leaving",
    PodDeleting: "leaving",
    PodSIGTERM: "leaving",
    PodExited: "leaving",
    PodDeleted: "leaving",
    PodScheduled: "",
    PodStarted: "",
    PodPending: "",
    PodEvictionRefused: "",
  };

  const live = document.body.dataset.mode === "live";
  // data: the result drawn; layout: its chart's geometry (layout()); mouse: the pointer over the chart.
  const state = { data: null, layout: null, mouse: null };

  // ---- small helpers ----

  function svg(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(tag, cls, text, parent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function num(n) {
    return String(Math.round(n || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function secs(v) {
    return v === null || v === undefined ? "–" : +(+v).toFixed(3) + " s";
  }

  // pct as the text report writes it; never "100.00%" while something failed.
  function pct(v) {
    const s = (v * 100).toFixed(2);
    return s === "100.00" && v < 1 ? "> 99.99%" : s + "%";
  }

  function sum(a) {
    let s = 0;
    for (const v of a || []) s += v;
    return s;
  }

  function at(a, i) {
    return (a && a[i]) || 0;
  }

  // totals: the counts of a result; a live result may carry only the timeline, so sum it then.
  function totals(r) {
    const tl = r.timeline;
    if (r.requests || !tl) {
      const f = r.failures || {};
      return { requests: r.requests || 0, succeeded: r.succeeded || 0, failed: r.failed || 0, failures: f };
    }
    const f = {};
    let failed = 0;
    for (const [k] of CAUSES) {
      f[k] = sum(tl[k]);
      failed += f[k];
    }
    return { requests: sum(tl.requests), succeeded: sum(tl.served), failed: failed, failures: f };
  }

  // ---- summary ----

  function renderSummary(r) {
    const root = document.getElementById("summary");
    root.replaceChildren();
    if (!r) {
      html("div", "verdict wait", live ? "Waiting for data…" : "This page holds no result.", root);
      return;
    }
    const t = totals(r);
    const v = html("div", "verdict " + (t.failed > 0 ? "bad" : t.requests > 0 ? "good" : "wait"), null, root);
    v.id = "verdict";
    if (t.failed > 0) {
      v.textContent = num(t.failed) + (t.failed === 1 ? " request failed" : " requests failed");
      html("small", "", "of " + num(t.requests) + " (" + pct(t.failed / t.requests) + ")", v);
    } else if (t.requests > 0) {
      v.textContent = "No request failed";
      html("small", "", "all " + num(t.requests) + " requests succeeded", v);
    } else {
      v.textContent = "No request yet";
    }

    const stats = html("div", "stats", null, root);
    const stat = (k, val, cls) => {
      const s = html("div", "stat", null, stats);
      html("div", "k", k, s);
      html("div", "v " + (cls || ""), val, s);
    };
    stat("Requests", num(t.requests));
    stat("Succeeded", num(t.succeeded));
    stat("Failed", num(t.failed), t.failed > 0 ? "bad" : "good");
    stat("Success rate", t.requests > 0 ? pct(t.succeeded / t.requests) : "–", t.failed > 0 ? "bad" : "good");

    const cards = html("div", "cards", null, root);
    const card = (title) => {
      const c = html("div", "card", null, cards);
      html("h3", "", title, c);
      return c;
    };
    const row = (table, label, value, cls, swatch) => {
      const tr = html("tr", cls || "", null, table);
      const td = html("td", "", null, tr);
      if (swatch) html("i", "sw " + swatch, null, td);
      td.appendChild(document.createTextNode((swatch ? " " : "") + label));
      html("td", "n", value, tr);
    };

    const causes = html("table", "", null, card("Failed by cause"));
    for (const [k, label, cls] of CAUSES) {
      const n = t.failures[k] || 0;
      row(causes, label, num(n), n ? "" : "zero", cls);
    }

    if ((r.rollouts && r.rollouts.length) || (r.drains && r.drains.length)) {
      const c = card("Rollouts and drains");
      for (const ro of r.rollouts || []) {
        const p = html("p", "", null, c);
        const end = ro.end === null ? " → did not complete" : " → " + secs(ro.end) + " (" + secs(ro.durationSeconds) + ")";
        html("span", "", "revision " + ro.revision + ": " + secs(ro.start) + end, p);
        const failed = ro.failed ? num(ro.failed) + " of " + num(ro.requests) + " failed" : "none of " + num(ro.requests) + " failed";
        html("span", ro.failed ? "sub warn" : "sub", failed, p);
      }
      for (const d of r.drains || []) {
        const p = html("p", "", null, c);
        const end = d.end === null ? " → did not finish" : " → " + secs(d.end) + " (" + secs(d.durationSeconds) + ")";
        html("span", "", "drain " + d.node + ": " + secs(d.start) + end, p);
      }
    }

    // A live result without detection figures would read as "never": leave them out.
    const det = r.probeDetection;
    const measured = det && ((det.down && det.down.count) || (det.up && det.up.count) || r.requests > 0);
    if (measured) {
      const c = card("Probe detection");
      html("p", "note", "health check change → load balancer follows", c);
      const table = html("table", "det", null, c);
      const head = html("tr", "zero", null, table);
      for (const h of ["", "times", "min", "mean", "max"]) html("td", h ? "n" : "", h, head);
      for (const [label, s] of [["marked down", det.down], ["marked up", det.up]]) {
        const tr = html("tr", s && s.count ? "" : "zero", null, table);
        html("td", "", label, tr);
        html("td", "n", String((s && s.count) || 0), tr);
        for (const k of ["min", "mean", "max"]) html("td", "n", s && s.count ? secs(s[k]) : "–", tr);
      }
    }

    // The setup; a live result may fill only part of it, so show what is there.
    const s = r.setup || {};
    const items = [];
    const item = (label, value, cls) => items.push([label, value, cls]);
    if (s.probe) item("probe", s.probe + (s.probeSemantics ? " (" + s.probeSemantics + " semantics)" : ""));
    if (s.markDownWindow) item("marks a node down", "within " + s.markDownWindow + " of a 503, up within " + s.markUpWindow);
    if (s.preStop) {
      // requiredPreStopSeconds: kube-proxy's sync plus the worst mark-down (docs/simulation.md).
      const short = s.preStopSeconds < s.requiredPreStopSeconds;
      const need = " the " + secs(s.requiredPreStopSeconds) + " the load balancer may take to stop sending new connections";
      item("preStop", s.preStop + (s.requiredPreStopSeconds > 0 ? (short ? ": does not cover" : ": covers") + need : ""), short && t.failed > 0 ? "warn" : "");
      item("grace period", secs(s.terminationGracePeriodSeconds) + " · kube-proxy minSyncPeriod " + secs(s.kubeProxyMinSyncPeriodSeconds));
    }
    if (s.onSigterm) item("app on SIGTERM", s.onSigterm);
    if (s.requestsPerSecond > 0) item("clients", num(s.requestsPerSecond) + " requests/s, " + (s.keepAlive ? "kept-alive connections" : "a connection per request"));
    if (s.service) item("service", s.service + (s.externalTrafficPolicy ? " · externalTrafficPolicy " + s.externalTrafficPolicy : "") + (s.nodes ? " · " + s.nodes + " nodes" : ""));
    if (items.length) {
      const c = card("Probe and timing");
      c.classList.add("wide");
      const list = html("div", "items", null, c);
      for (const [label, value, cls] of items) {
        const p = html("p", cls || "", null, list);
        html("span", "label", label + " ", p);
        p.appendChild(document.createTextNode(value));
      }
    }
  }

  // ---- chart ----

  // Vertical layout of the chart: returns the lanes with their y ranges.
  function layout(r, width) {
    const tl = r.timeline;
    const nodes = tl.nodes || [];
    const compact = nodes.length > 16;
    const L = 150, R = 64;
    const n = tl.times.length;
    const b = tl.bucketSeconds || 1;
    const t0 = tl.times[0], t1 = tl.times[n - 1] + b;
    const lo = {
      W: width, L: L, R: R, PW: width - L - R, n: n, b: b, t0: t0, t1: t1, compact: compact,
      x: (t) => L + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * (width - L - R),
    };
    lo.markers = markers(tl.events || [], lo);
    let y = lo.markers.rows * 15 + 6;
    lo.axisTop = y + 14;
    y += 22;
    lo.lanes = [{ kind: "cluster", y0: y, y1: y + 130 }];
    y += 130 + 12;
    const laneH = compact ? 26 : 84;
    nodes.forEach((node, i) => {
      lo.lanes.push({ kind: "node", index: i, node: node, y0: y, y1: y + laneH });
      y += laneH + 6;
    });
    lo.bottom = y;
    lo.H = y + 26;
    return lo;
  }

  // markers: the events drawn as lines, with labels stacked in rows so that they do not overlap.
  function markers(events, lo) {
    const list = [];
    const rowsEnd = [];
    const MAXROWS = 4;
    for (const e of events) {
      const label = MARKERS[e.kind];
      if (!label) continue;
      const text = label(e);
      const x = lo.x(e.t);
      const w = text.length * 6.2 + 8;
      const right = x + w <= lo.W - 4;
      const from = right ? x : x - w;
      let row = rowsEnd.findIndex((end) => end < from);
      if (row < 0 && rowsEnd.length < MAXROWS) row = rowsEnd.push(-Infinity) - 1;
      if (row >= 0) rowsEnd[row] = from + w;
      list.push({ e: e, x: x, text: text, row: row, right: right });
    }
    return { list: list, rows: Math.max(rowsEnd.length, 1) };
  }

  // runs: consecutive buckets with the same value, as [start index, end index (exclusive), value].
  function runs(values, n) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const v = values ? values[i] : undefined;
      if (out.length && out[out.length - 1][2] === v) out[out.length - 1][1] = i + 1;
      else out.push([i, i + 1, v]);
    }
    return out;
  }

  function niceStep(span, maxTicks) {
    for (const s of [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]) {
      if (span / s <= maxTicks) return s;
    }
    return Math.ceil(span / maxTicks / 3600) * 3600;
  }

  function tickLabel(t, step) {
    if (step >= 60 && t % 60 === 0) return t / 60 + " min";
    return t + " s";
  }

  function renderChart(r) {
    const chart = document.getElementById("chart");
    const tl = r && r.timeline;
    if (!tl || !tl.times || !tl.times.length) {
      state.layout = null;
      document.getElementById("tooltip").hidden = true;
      chart.replaceChildren(html("p", "empty", r ? "This result has no timeline." : "No data yet."));
      return;
    }
    const width = Math.max(960, Math.min(1600, Math.floor(chart.clientWidth || 1200)));
    const lo = layout(r, width);
    state.layout = lo;
    const root = svg("svg", {
      id: "timeline-chart", width: lo.W, height: lo.H, viewBox: "0 0 " + lo.W + " " + lo.H,
      role: "img", "aria-label": "Timeline of requests, probe states and events",
    });
    defs(root);
    const top = lo.lanes[0].y0, bottom = lo.bottom - 6;

    // Lane backgrounds; spans of rollouts and drains; the axis grid.
    for (const lane of lo.lanes) svg("rect", { class: "lane-bg", x: lo.L, y: lane.y0, width: lo.PW, height: lane.y1 - lane.y0 }, root);
    const bg = svg("g", { class: "spans" }, root);
    for (const ro of r.rollouts || []) span(bg, lo, ro.start, ro.end === null ? lo.t1 : ro.end, top, bottom, "rollout");
    for (const d of r.drains || []) span(bg, lo, d.start, d.end === null ? lo.t1 : d.end, top, bottom, "drain");
    axis(root, lo, top, bottom);

    clusterLane(root, r, lo, lo.lanes[0]);
    for (const lane of lo.lanes.slice(1)) nodeLane(root, r, lo, lane);
    eventMarkers(root, lo, bottom);

    const cursor = svg("line", { class: "cursor", x1: 0, x2: 0, y1: top, y2: bottom, visibility: "hidden" }, root);
    const hit = svg("rect", { x: lo.L, y: 0, width: lo.PW, height: lo.H, fill: "transparent" }, root);
    hit.addEventListener("mousemove", (ev) => {
      state.mouse = { clientX: ev.clientX, clientY: ev.clientY };
      hover(state.mouse, root, cursor);
    });
    hit.addEventListener("mouseleave", () => {
      state.mouse = null;
      cursor.setAttribute("visibility", "hidden");
      document.getElementById("tooltip").hidden = true;
    });
    chart.replaceChildren(root);
    // A redraw (live poll, resize) under the pointer keeps the tooltip, with the new values.
    if (state.mouse) hover(state.mouse, root, cursor);
  }

  function defs(root) {
    const d = svg("defs", {}, root);
    const hatch = (id, color) => {
      const p = svg("pattern", { id: id, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, d);
      svg("rect", { width: 6, height: 6, fill: "#fff" }, p);
      svg("rect", { width: 3, height: 6, fill: color }, p);
    };
    hatch("hatch-out", "#adb5bd");
    hatch("hatch-lag", "#e03131");
  }

  function span(g, lo, from, to, y0, y1, cls) {
    const x0 = lo.x(from), x1 = lo.x(to);
    svg("rect", { class: cls, x: x0, y: y0, width: Math.max(x1 - x0, 1), height: y1 - y0 }, g);
  }

  function axis(root, lo, top, bottom) {
    const g = svg("g", { class: "axis" }, root);
    const step = niceStep(lo.t1 - lo.t0, Math.floor(lo.PW / 90));
    for (let t = Math.ceil(lo.t0 / step) * step; t <= lo.t1 + 1e-9; t += step) {
      const x = lo.x(t);
      svg("line", { x1: x, x2: x, y1: top, y2: bottom }, g);
      for (const y of [lo.axisTop, lo.H - 8]) {
        svg("text", { x: x, y: y, "text-anchor": "middle", class: "axis-label" }, g).textContent = tickLabel(t, step);
      }
    }
  }

  function laneTitle(root, lo, lane, name, sub, cls) {
    const t = svg("text", { x: 10, y: lane.y0 + 13, class: "lane-name " + (cls || "") }, root);
    // Long node names differ at the end (aks-nodepool1-…-vmss000003): cut the middle.
    t.textContent = name.length > 20 ? name.slice(0, 6) + "…" + name.slice(-12) : name;
    svg("title", {}, t).textContent = name;
    if (sub) svg("text", { x: 10, y: lane.y0 + 27, class: "lane-sub" }, root).textContent = sub;
  }

  function clusterLane(root, r, lo, lane) {
    const tl = r.timeline;
    const g = svg("g", { class: "lane cluster" }, root);
    for (const fw of r.failureWindows || []) span(g, lo, fw.start, fw.end + lo.b, lane.y0, lane.y1, "fwin");
    laneTitle(root, lo, lane, "All traffic", "requests per " + secs(lo.b));
    let max = 1;
    for (let i = 0; i < lo.n; i++) {
      let total = at(tl.served, i);
      for (const [k] of CAUSES) total += at(tl[k], i);
      max = Math.max(max, total, at(tl.requests, i));
    }
    const h = lane.y1 - lane.y0 - 8;
    const yOf = (v) => lane.y1 - (v / max) * h;
    for (const v of [0, Math.round(max / 2), max]) {
      const y = yOf(v);
      svg("line", { class: "grid", x1: lo.L, x2: lo.L + lo.PW, y1: y, y2: y }, g);
      svg("text", { x: lo.L + lo.PW + 6, y: y + 4, class: "axis-label" }, g).textContent = num(v);
    }
    const bars = svg("g", { class: "bars" }, g);
    for (let i = 0; i < lo.n; i++) {
      const x0 = lo.x(tl.times[i]), x1 = lo.x(tl.times[i] + lo.b);
      const w = Math.max(x1 - x0 - (x1 - x0 > 3 ? 0.6 : 0), 0.5);
      let base = lane.y1;
      const served = at(tl.served, i);
      if (served > 0) {
        const hh = (served / max) * h;
        svg("rect", { class: "bar served", x: x0, y: base - hh, width: w, height: hh }, bars);
        base -= hh;
      }
      for (const [k, , cls] of CAUSES) {
        const v = at(tl[k], i);
        if (v <= 0) continue;
        const hh = Math.max((v / max) * h, 2);
        svg("rect", { class: "bar failed " + cls, "data-cause": k, x: x0, y: base - hh, width: w, height: hh }, bars);
        base -= hh;
      }
    }
  }

  function nodeLane(root, r, lo, lane) {
    const tl = r.timeline;
    const node = lane.node;
    const share = (r.nodes || []).find((n) => n.name === node.name);
    const g = svg("g", { class: "lane node", "data-node": node.name }, root);
    let sub = "";
    if (share) sub = pct(share.share) + " of requests" + (share.removed ? " · removed" : "");
    laneTitle(root, lo, lane, node.name, lo.compact ? "" : sub, share && share.removed ? "removed" : "");

    const rows = lo.compact
      ? { probe: [lane.y0 + 2, 14], health: [lane.y0 + 18, 6] }
      : { probe: [lane.y0 + 2, 16], health: [lane.y0 + 21, 7], endpoints: [lane.y0 + 32, 22], traffic: [lane.y0 + 58, 24] };
    const label = (text, row) => {
      svg("text", { x: lo.L + lo.PW + 6, y: row[0] + row[1] / 2 + 4, class: "lane-sub" }, g).textContent = text;
    };
    const band = (values, row, cls) => {
      for (const [i, j, v] of runs(values, lo.n)) {
        if (v === undefined || v === null) continue;
        const x0 = lo.x(tl.times[i]), x1 = lo.x(tl.times[j - 1] + lo.b);
        svg("rect", { class: cls(v), x: x0, y: row[0], width: x1 - x0, height: row[1] }, g);
      }
    };
    band(node.probe, rows.probe, (v) => "probe probe-" + v);
    band(node.health, rows.health, (v) => "health hc-" + v);
    label("LB", rows.probe);
    label("health", rows.health);

    // The load balancer still sending new connections to a node whose health check answers 503.
    const det = (r.probeDetection && r.probeDetection.events) || [];
    for (const d of det) {
      if (d.node !== node.name || d.direction !== "down" || !(d.delay > 0)) continue;
      const x0 = lo.x(d.healthChangedAt), x1 = lo.x(d.lbChangedAt);
      svg("rect", { class: "lag", x: x0, y: rows.probe[0], width: Math.max(x1 - x0, 1), height: rows.probe[1] }, g);
    }
    if (lo.compact) return;

    // Local endpoints: ready (solid, filled) and serving (dashed), as steps.
    const [ey, eh] = rows.endpoints;
    let emax = 1;
    for (const n of tl.nodes) for (let i = 0; i < lo.n; i++) emax = Math.max(emax, at(n.localReady, i), at(n.localServing, i));
    const step = (values) => {
      let d = "";
      for (let i = 0; i < lo.n; i++) {
        const y = ey + eh - (at(values, i) / emax) * (eh - 2);
        d += (i ? "V" : "M" + lo.x(tl.times[i]) + " ") + y + "H" + lo.x(tl.times[i] + lo.b);
      }
      return d;
    };
    const ready = step(node.localReady);
    svg("path", { class: "ready-area", d: ready + "V" + (ey + eh) + "H" + lo.L + "Z" }, g);
    svg("path", { class: "serving-line", d: step(node.localServing) }, g);
    svg("path", { class: "ready-line", d: ready }, g);
    label("endpoints", rows.endpoints);

    // Pod events of this node, as ticks above the endpoint steps.
    for (const e of tl.events || []) {
      if (e.node !== node.name || !(e.kind in POD_TICKS)) continue;
      const x = lo.x(e.t);
      svg("line", { class: "tick " + POD_TICKS[e.kind], x1: x, x2: x, y1: ey - 3, y2: ey + 5 }, g);
    }

    // Traffic the load balancer sent to the node: served, and failed on top.
    const [ty, th] = rows.traffic;
    let tmax = 1;
    for (const n of tl.nodes) for (let i = 0; i < lo.n; i++) tmax = Math.max(tmax, at(n.served, i) + at(n.failed, i));
    for (let i = 0; i < lo.n; i++) {
      const served = at(node.served, i), failed = at(node.failed, i);
      if (!served && !failed) continue;
      const x0 = lo.x(tl.times[i]), x1 = lo.x(tl.times[i] + lo.b);
      const w = Math.max(x1 - x0 - (x1 - x0 > 3 ? 0.6 : 0), 0.5);
      const hs = (served / tmax) * th;
      if (served) svg("rect", { class: "bar served", x: x0, y: ty + th - hs, width: w, height: hs }, g);
      if (failed) {
        const hf = Math.max((failed / tmax) * th, 2);
        svg("rect", { class: "bar node-failed", x: x0, y: ty + th - hs - hf, width: w, height: hf }, g);
      }
    }
    label("requests", rows.traffic);
  }

  function eventMarkers(root, lo, bottom) {
    const g = svg("g", { class: "events" }, root);
    for (const m of lo.markers.list) {
      const g1 = svg("g", { class: "event", "data-kind": m.e.kind }, g);
      const labelY = m.row >= 0 ? m.row * 15 + 14 : lo.lanes[0].y0;
      svg("line", { class: "event-line", x1: m.x, x2: m.x, y1: m.row >= 0 ? labelY + 3 : lo.lanes[0].y0, y2: bottom }, g1);
      if (m.row < 0) continue;
      const tx = m.right ? m.x + 3 : m.x - 3;
      const text = svg("text", { class: "event-label", x: tx, y: labelY, "text-anchor": m.right ? "start" : "end" }, g1);
      text.textContent = m.text;
      svg("title", {}, g1).textContent = secs(m.e.t) + ": " + m.e.kind + (m.e.detail ? " (" + m.e.detail + ")" : "");
    }
  }

  // ---- tooltip ----

  // hover shows the values of the bucket and lane under the pointer (clientX, clientY).
  function hover(ev, root, cursor) {
    const lo = state.layout, r = state.data;
    if (!lo || !r) return;
    const box = root.getBoundingClientRect();
    const px = ((ev.clientX - box.left) * lo.W) / box.width;
    const py = ((ev.clientY - box.top) * lo.H) / box.height;
    const tl = r.timeline;
    const t = lo.t0 + ((px - lo.L) / lo.PW) * (lo.t1 - lo.t0);
    let i = Math.floor((t - lo.t0) / lo.b);
    i = Math.max(0, Math.min(lo.n - 1, i));
    const from = tl.times[i], to = from + lo.b;
    const lane = lo.lanes.find((l) => py >= l.y0 - 3 && py <= l.y1 + 3) || lo.lanes[0];
    const xm = lo.x(from + lo.b / 2);
    cursor.setAttribute("x1", xm);
    cursor.setAttribute("x2", xm);
    cursor.setAttribute("visibility", "visible");

    const tip = document.getElementById("tooltip");
    tip.replaceChildren();
    const table = html("table", "", null);
    const row = (label, value, zero) => {
      const tr = html("tr", zero ? "zero" : "", null, table);
      html("td", "", label, tr);
      html("td", "n", value, tr);
    };
    let events;
    if (lane.kind === "cluster") {
      html("b", "", "All traffic · " + secs(from) + " – " + secs(to), tip);
      row("requests", num(at(tl.requests, i)));
      row("served", num(at(tl.served, i)));
      for (const [k, label] of CAUSES) row(label, num(at(tl[k], i)), !at(tl[k], i));
      events = (tl.events || []).filter((e) => e.t >= from && e.t < to && (MARKERS[e.kind] || !e.node));
    } else {
      const n = lane.node;
      html("b", "", n.name + " · " + secs(from) + " – " + secs(to), tip);
      row("load balancer", (n.probe && n.probe[i]) || "–");
      row("health check", at(n.health, i) ? String(n.health[i]) : "–");
      row("ready endpoints", num(at(n.localReady, i)));
      row("serving endpoints", num(at(n.localServing, i)));
      row("requests served", num(at(n.served, i)));
      row("requests failed", num(at(n.failed, i)), !at(n.failed, i));
      events = (tl.events || []).filter((e) => e.t >= from && e.t < to && (e.node === n.name || MARKERS[e.kind]));
    }
    tip.appendChild(table);
    if (events.length) {
      const ul = html("ul", "", null, tip);
      for (const e of events.slice(0, 12)) {
        html("li", "", secs(e.t) + " " + e.kind + (e.pod ? " " + e.pod : "") + (e.detail ? " (" + e.detail + ")" : ""), ul);
      }
      if (events.length > 12) html("li", "", events.length - 12 + " more", ul);
    }
    tip.hidden = false;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let left = ev.clientX + 14, topPx = ev.clientY + 14;
    if (left + w > window.innerWidth - 8) left = ev.clientX - w - 14;
    if (topPx + h > window.innerHeight - 8) topPx = Math.max(8, ev.clientY - h - 14);
    tip.style.left = left + "px";
    tip.style.top = topPx + "px";
  }

  // ---- modes ----

  function render(r) {
    state.data = r;
    renderSummary(r);
    renderChart(r);
  }

  function setStatus(text, error) {
    const s = document.getElementById("status");
    s.textContent = text;
    s.className = "status" + (error ? " error" : "");
  }

  async function poll() {
    try {
      const res = await fetch("timeline.json", { cache: "no-store" });
      if (res.status === 200) {
        render(await res.json());
        setStatus("live · updated " + new Date().toLocaleTimeString());
      } else if (res.status === 204) {
        setStatus("live · waiting for data");
      } else {
        setStatus("live · " + res.status + ": " + (await res.text()).trim(), true);
      }
    } catch (err) {
      setStatus("live · cannot reach the server: " + err.message, true);
    }
    setTimeout(poll, POLL_MS);
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.data && renderChart(state.data), 150);
  });

  if (live) {
    render(null);
    setStatus("live · connecting");
    poll();
  } else {
    render(JSON.parse(document.getElementById("timeline-data").textContent));
  }
})();
