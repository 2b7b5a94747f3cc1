// Draws the pytest-faas report from the JSON blob above. Every piece of user text goes in through
// textContent (never innerHTML), so a log that holds markup is shown as the text it is.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("faas-data").textContent);
  var run = data.run, tests = data.tests;
  var FAILING = { failed: true, error: true };
  // A test's colour on the timeline is its result, not its execution's status: a case whose output was wrong
  // ran a successful execution and failed; a case expected to fail (xfail) ran a failed one and did not.
  var RESULT = { passed: "passed", failed: "failed", error: "failed", xfailed: "xfail", xpassed: "xfail",
                 skipped: "skipped" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function seconds(s) { return s == null ? "" : (s < 10 ? s.toFixed(2) : s.toFixed(1)) + " s"; }
  function ms(n) { return n == null ? "" : n < 1000 ? n + " ms" : seconds(n / 1000); }
  function clock(t) { return t == null ? "" : new Date(t).toISOString().replace("T", " ").replace("Z", " UTC"); }
  function badge(kind, text) { return el("span", { "class": "badge " + kind, text: text }); }
  function pre(text, cls) { return el("pre", { "class": cls || "", text: text }); }

  // -- summary -----------------------------------------------------------------------------------------
  function summary() {
    var byOutcome = {}, byStatus = {}, user = 0, wall = 0, executions = 0;
    tests.forEach(function (t) {
      byOutcome[t.outcome] = (byOutcome[t.outcome] || 0) + 1;
      (t.executions || []).forEach(function (e) { byStatus[e.status] = (byStatus[e.status] || 0) + 1; executions++; });
      if (t.figures) { user += t.figures.user_s; wall += t.figures.wall_s; }
    });
    function parts(counts) { return Object.keys(counts).sort().map(function (k) { return counts[k] + " " + k; }).join(", "); }
    var items = [
      ["tests", tests.length + (tests.length ? " (" + parts(byOutcome) + ")" : "")],
      ["executions", executions + (executions ? " (" + parts(byStatus) + ")" : "")],
      ["run", seconds(run.wall_s)],
      ["in cases", seconds(wall) + ", of which " + seconds(user) + " in user code, " + seconds(Math.max(wall - user, 0)) +
        " in the harness"],
      ["workers", String(run.workers || 1)], ["placement", run.placement || ""], ["started", clock(run.started)]
    ];
    var box = document.getElementById("summary");
    items.forEach(function (pair) {
      box.appendChild(el("span", { "data-figure": pair[0] }, [document.createTextNode(pair[0] + ": "), el("b", { text: pair[1] })]));
    });
  }

  // -- one test's details ------------------------------------------------------------------------------
  function logText(logs) {
    var lines = logs.head.slice();
    if (logs.omitted > 0) lines.push("… " + logs.omitted + " of " + logs.total + " lines left out of this report …");
    return lines.concat(logs.tail).join("\n");
  }
  function executionsTable(t) {
    var rows = t.executions.map(function (e) {
      var queued = 0, running = 0;
      e.phases.forEach(function (p) { if (p[2] != null) { if (p[0] === "queued") queued += p[2] - p[1]; else running += p[2] - p[1]; } });
      return el("tr", {}, [el("td", { text: e.id || "" }), el("td", {}, [badge("s-" + e.status, e.status || "?")]),
        el("td", { text: ms(queued) }), el("td", { text: ms(running) }), el("td", { text: e.duration == null ? "" : seconds(e.duration) }),
        el("td", { text: String(e.attempts == null ? "" : e.attempts) }), el("td", { text: clock(e.ended) })]);
    });
    var head = el("tr", {}, ["execution", "status", "queued", "running", "in user code", "attempts", "ended"].map(function (h) { return el("th", { text: h }); }));
    return el("table", { "class": "execs" }, [head].concat(rows));
  }
  function details(t) {
    var body = el("div", { "class": "body" });
    if (t.failure) body.appendChild(el("div", {}, [el("h4", { text: t.outcome === "skipped" ? "Skipped" : "Failure" }), pre(t.failure, "failure")]));
    if (t.case) {
      var c = t.case;
      body.appendChild(el("p", { "class": "case", text: c.package + " · " + c.module + "." + c.function + " · " + c.mock + " case " + c.index }));
      body.appendChild(el("div", { "class": "grid" }, [el("div", {}, [el("h4", { text: "Inputs" }), pre(c.inputs, "inputs")]),
        el("div", {}, [el("h4", { text: "Expectation" }), pre(c.expect, "expect")])]));
    }
    if (t.executions && t.executions.length) {
      body.appendChild(el("h4", { text: "Executions" }));
      body.appendChild(executionsTable(t));
      t.executions.forEach(function (e) {
        var box = el("div", { "class": "execution" }, [el("h4", { text: "Output of " + (e.name || "") + " " + (e.id || "") }), pre(e.output, "output")]);
        if (e.message) { box.appendChild(el("h4", { text: "Its last status message" })); box.appendChild(pre(e.message, "message")); }
        if (e.progress.length) {
          box.appendChild(el("h4", { text: "Progress" }));
          box.appendChild(pre(e.progress.map(function (p) {
            return clock(p.at) + "  " + p.status + " " + (p.percent == null ? "" : p.percent + "%") + (p.message ? "  " + p.message : "");
          }).join("\n"), "progress"));
        }
        body.appendChild(box);
      });
    }
    if (t.logs && t.logs.total) {
      body.appendChild(el("h4", { text: "Log (" + t.logs.total + " lines)" }));
      body.appendChild(pre(logText(t.logs), "log"));
    }
    if (t.findings && t.findings.length) body.appendChild(findingList(t.findings));
    if (t.failure_of_report) body.appendChild(pre(t.failure_of_report, "report-problem"));
    return body;
  }
  function card(t, open) {
    var took = t.figures ? t.figures.wall_s : t.duration;
    var summaryLine = el("summary", {}, [badge("o-" + t.outcome, t.outcome), el("span", { "class": "label", text: t.label }),
      el("span", { "class": "took", text: seconds(took) + (t.worker ? " · " + t.worker : "") })]);
    var box = el("details", { "class": "test" + (FAILING[t.outcome] ? " failed-card" : ""), "data-nodeid": t.id,
      "data-outcome": t.outcome }, [summaryLine]);
    var drawn = false;
    function draw() { if (!drawn) { drawn = true; box.appendChild(details(t)); } }
    if (open) { box.open = true; draw(); }
    box.addEventListener("toggle", function () { if (box.open) draw(); });  // thousands of tests: draw on demand
    box.draw = draw;
    return box;
  }
  function findingList(findings) {
    return el("ul", { "class": "findings" }, findings.map(function (f) {
      return el("li", { "class": "finding-" + f.severity, text: f.text });
    }));
  }

  // -- sections ----------------------------------------------------------------------------------------
  function failures() {
    var section = document.getElementById("failures");
    var failing = tests.filter(function (t) { return FAILING[t.outcome]; });
    section.querySelector("h2").appendChild(el("small", { text: " " + failing.length }));
    if (!failing.length) section.appendChild(el("p", { "class": "empty", text: "Nothing failed." }));
    failing.forEach(function (t) { section.appendChild(card(t, true)); });
  }
  function findings() {
    var section = document.getElementById("findings");
    var found = tests.filter(function (t) { return t.findings && t.findings.length; });
    if (!found.length) section.appendChild(el("p", { "class": "empty", text: "No findings in the packages' files." }));
    found.forEach(function (t) {
      section.appendChild(el("div", { "class": "package-findings", "data-nodeid": t.id }, [el("h4", { text: t.label }), findingList(t.findings)]));
    });
  }
  var rowsById = {}, cardsById = {};
  function timeline() {
    var section = document.getElementById("timeline");
    var start = Infinity, end = -Infinity;
    function widen(t) { if (t != null) { start = Math.min(start, t); end = Math.max(end, t); } }
    tests.forEach(function (t) {
      widen(t.start); widen(t.stop);
      (t.executions || []).forEach(function (e) { e.phases.forEach(function (p) { widen(p[1]); widen(p[2]); }); widen(e.ended); });
    });
    if (!isFinite(start)) { section.appendChild(el("p", { "class": "empty", text: "No timings recorded." })); return; }
    var span = Math.max(end - start, 1);
    function pct(t) { return ((t - start) / span * 100).toFixed(3) + "%"; }
    function bar(cls, from, to, title) {
      var node = el("span", { "class": cls, title: title });
      node.style.left = pct(from);
      node.style.width = ((Math.max(to - from, 0)) / span * 100).toFixed(3) + "%";
      return node;
    }
    section.appendChild(el("div", { "class": "legend" }, [["queued", "queued"], ["running", "running"],
      ["success", "ended, test passed"], ["failed", "ended, test failed"], ["xfail", "ended, xfail or xpass"],
      ["span", "the whole test (push, deploy, seed, wait)"]].map(function (pair) {
        var swatch = el("i"); swatch.style.background = pair[0] === "span" ? "#dde1e6" : "var(--" + pair[0] + ")";
        return el("span", {}, [swatch, document.createTextNode(pair[1])]);
      })));
    section.appendChild(el("div", { "class": "axis" }, [el("span", { text: "0 s" }), el("span", { text: seconds(span / 2000) }),
      el("span", { text: seconds(span / 1000) })]));
    var rows = el("div", { "class": "rows" });
    tests.slice().sort(function (a, b) { return (a.start || 0) - (b.start || 0); }).forEach(function (t) {
      var track = el("div", { "class": "track" });
      if (t.start != null && t.stop != null) track.appendChild(bar("span", t.start, t.stop, t.label + ": " + ms(t.stop - t.start) + " in all"));
      (t.executions || []).forEach(function (e) {
        e.phases.forEach(function (p) {
          var to = p[2] == null ? (e.ended || p[1]) : p[2];
          var cls = p[0] + (p[0] === "running" && e.ended != null ? " end-" + (RESULT[t.outcome] || "skipped") : "");
          var node = bar(cls, p[1], to, (e.name || "") + " " + p[0] + " " + ms(to - p[1]) + (p[0] === "running" && e.ended != null ? ", ended " + e.status : ""));
          node.setAttribute("data-phase", p[0]);
          track.appendChild(node);
        });
      });
      var row = el("div", { "class": "row", "data-nodeid": t.id, "data-outcome": t.outcome }, [el("span", { "class": "name", text: t.label, title: t.id }), track]);
      row.addEventListener("click", function () { var c = cardsById[t.id]; c.open = true; c.draw(); c.scrollIntoView(); });
      rowsById[t.id] = row;
      rows.appendChild(row);
    });
    section.appendChild(rows);
    var slowest = tests.filter(function (t) { return t.start != null && t.stop != null; })
      .sort(function (a, b) { return (b.stop - b.start) - (a.stop - a.start); }).slice(0, 10);
    section.appendChild(el("h4", { text: "Slowest tests" }));
    section.appendChild(el("ol", { id: "slowest" }, slowest.map(function (t) {
      return el("li", { "data-nodeid": t.id, text: ms(t.stop - t.start) + "  " + t.label });
    })));
  }
  function everyTest() {
    var section = document.getElementById("tests");
    section.querySelector("h2").appendChild(el("small", { text: " " + tests.length + ", failures first" }));
    tests.forEach(function (t) { var c = card(t, false); cardsById[t.id] = c; section.appendChild(c); });
  }
  function filters() {
    var nav = document.getElementById("filters");
    var text = el("input", { type: "search", placeholder: "filter by name", "aria-label": "filter by name" });
    var outcome = el("select", { "aria-label": "outcome" }, ["all", "failed", "error", "xpassed", "xfailed", "passed", "skipped"].map(function (o) {
      return el("option", { value: o, text: o });
    }));
    function apply() {
      var words = text.value.toLowerCase(), wanted = outcome.value;
      tests.forEach(function (t) {
        var hide = (words && t.label.toLowerCase().indexOf(words) < 0 && t.id.toLowerCase().indexOf(words) < 0) ||
          (wanted !== "all" && t.outcome !== wanted);
        [rowsById[t.id], cardsById[t.id]].forEach(function (node) { if (node) node.classList.toggle("hidden", !!hide); });
      });
    }
    text.addEventListener("input", apply);
    outcome.addEventListener("change", apply);
    nav.appendChild(el("span", { text: "Show" }));
    nav.appendChild(outcome);
    nav.appendChild(text);
  }

  summary(); failures(); findings(); timeline(); everyTest(); filters();
  document.body.setAttribute("data-drawn-ms", String(Math.round(performance.now())));  // benchmarks/bench_report.py
  document.body.setAttribute("data-ready", "1");
})();
