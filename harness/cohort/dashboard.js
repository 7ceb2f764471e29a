// The mentor's dashboard (harness/cohort/dashboard.py inlines this file).
// Draws the progress matrix and the per-learner view from the embedded JSON; sorts and filters
// the matrix and every table marked "sortable". Builds DOM nodes with textContent only:
// learners' words never become markup.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const cols = data.columns;
  const learners = data.learners;
  const col = (key) => cols.findIndex((c) => c.key === key);
  const QUIZ = col("quiz"), DOD = col("dod"), FLAGS = col("flags"), NAME = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const pct = (v) => (v === null || v === undefined ? "—" : Math.round(v * 100) + "%");

  // --- the matrix -------------------------------------------------------------------------
  const STATE = { d: ["✓", "done"], u: ["○", "unlocked"], l: ["·", "locked"] };
  const TASK = { p: ["✓", "passes"], f: ["✗", "fails"], s: ["?", "self-reported only"],
                 "": ["", "not tried"] };
  const RANK = { d: 2, u: 1, l: 0, p: 3, s: 2, f: 1, "": 0 };
  const state = { key: NAME, dir: 1, name: "", kind: "all", page: 0, size: data.pageSize };

  function sortValue(c, v) {
    switch (cols[c].kind) {
      case "state": case "task": return RANK[v];
      case "pct": return v === null ? -1 : v;
      case "frac": return v[1] ? v[0] / v[1] : 0;
      case "flags": return v.length;
      case "num": return v;
      default: return String(v).toLowerCase();
    }
  }

  function head() {
    const thead = document.querySelector("#matrix thead");
    const groups = el("tr");
    const labels = el("tr");
    let i = 0;
    while (i < cols.length) {
      const g = cols[i].group;
      let span = 1;
      while (i + span < cols.length && g && cols[i + span].group === g) span++;
      groups.append(g ? el("th", { scope: "colgroup", colspan: span, class: "group", text: g })
                      : el("td", { colspan: span, "aria-hidden": "true" }));
      i += span;
    }
    cols.forEach((c, k) => {
      const vertical = ["state", "task", "num"].includes(c.kind) && c.group;
      const th = el("th", { scope: "col", class: vertical ? "v" : "" });
      if (c.title) th.title = c.title;
      const button = el("button", { type: "button", class: "sort" }, el("span", { text: c.label }));
      button.addEventListener("click", () => sortBy(k));
      th.append(button);
      labels.append(th);
    });
    thead.append(groups, labels);
  }

  function sortBy(k) {
    state.dir = state.key === k ? -state.dir : (k === NAME ? 1 : -1);
    state.key = k;
    state.page = 0;
    draw();
  }

  function keep(row) {
    const cells = row.cells;
    if (state.name && !cells[NAME].toLowerCase().includes(state.name)) return false;
    const kinds = (kind) => cells.filter((_, k) => cols[k].kind === kind);
    switch (state.kind) {
      case "flagged": return cells[FLAGS].length > 0;
      case "stuck": return kinds("task").includes("f");
      case "quiz-below": return cells[QUIZ] === null || cells[QUIZ] < data.passMark;
      case "dod": return cells[DOD][0] === cells[DOD][1];
      case "idle": return !kinds("state").includes("d") && kinds("task").every((v) => v === "");
      default: return true;
    }
  }

  function cell(k, v, index) {
    const c = cols[k];
    switch (c.kind) {
      case "name": {
        const b = el("button", { type: "button", text: v });
        b.addEventListener("click", () => showLearner(index, true));
        return el("th", { scope: "row" }, b);
      }
      case "state": case "task": {
        const [mark, words] = (c.kind === "state" ? STATE : TASK)[v];
        return el("td", { class: "c " + (v || "none") }, mark,
                  el("span", { class: "sr", text: words }));
      }
      case "pct":
        return el("td", { class: v === null ? "" : v >= data.passMark ? "pass" : "below" }, pct(v));
      case "frac": return el("td", {}, v[0] + "/" + v[1]);
      case "flags":
        return el("td", v.length ? { class: "warn", title: v.join("\n") } : {},
                  v.length ? "⚑ " + v.length : "");
      default: return el("td", {}, v === null ? "—" : v);
    }
  }

  function draw() {
    const order = learners.map((_, i) => i).filter((i) => keep(learners[i]));
    const k = state.key;
    order.sort((a, b) => {
      const x = sortValue(k, learners[a].cells[k]), y = sortValue(k, learners[b].cells[k]);
      if (x < y) return -state.dir;
      if (x > y) return state.dir;
      return learners[a].cells[NAME] < learners[b].cells[NAME] ? -1 : 1;
    });
    const size = state.size || order.length || 1;
    const pages = Math.max(1, Math.ceil(order.length / size));
    state.page = Math.min(state.page, pages - 1);
    const start = state.page * size;
    const shown = order.slice(start, start + size);
    const tbody = document.querySelector("#matrix tbody");
    const rows = shown.map((i) => {
      const tr = el("tr", { "data-learner": learners[i].cells[NAME] });
      learners[i].cells.forEach((v, c) => tr.append(cell(c, v, i)));
      return tr;
    });
    tbody.replaceChildren(...rows);
    document.querySelectorAll("#matrix thead tr:last-child th").forEach((th, c) => {
      if (c === k) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    const filtered = order.length < learners.length ? ` (filtered from ${learners.length})` : "";
    document.getElementById("matrix-status").textContent = order.length
      ? `Learners ${start + 1}–${start + shown.length} of ${order.length}${filtered}, ` +
        `page ${state.page + 1} of ${pages}`
      : `No learner matches${filtered}`;
    document.getElementById("page-prev").disabled = state.page === 0;
    document.getElementById("page-next").disabled = state.page >= pages - 1;
  }

  // --- tables rendered on the server: sort by any column ----------------------------------
  function sortable(table) {
    const ths = table.querySelectorAll("thead th");
    ths.forEach((th, c) => {
      const button = el("button", { type: "button", class: "sort", text: th.textContent });
      th.replaceChildren(button);
      button.addEventListener("click", () => {
        const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        ths.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        const tbody = table.tBodies[0];
        const key = (tr) => {
          const text = tr.children[c].textContent.trim();
          const n = parseFloat(text.replace("%", "").replace("+", ""));
          return Number.isNaN(n) || !/^[-+]?\d/.test(text) ? text.toLowerCase() : n;
        };
        const rows = [...tbody.rows];
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          if (typeof x !== typeof y) return typeof x === "number" ? -dir : dir;
          return x < y ? -dir : x > y ? dir : 0;
        });
        tbody.replaceChildren(...rows);
      });
    });
  }

  // --- one learner ------------------------------------------------------------------------
  function showLearner(index, scroll) {
    const L = learners[index];
    const name = L.cells[NAME];
    const out = document.getElementById("learner-detail");
    const lastActive = L.cells[col("active")] || "—";
    const parts = [
      el("h3", { id: "learner-h", text: name }),
      el("p", {}, `Next: ${L.next || "—"} · last active ${lastActive} · quiz best ` +
        `${pct(L.cells[QUIZ])} in ${L.quizAttempts} attempt(s)`),
    ];
    const flags = L.cells[FLAGS];
    if (flags.length) {
      parts.push(el("ul", { class: "flags", "aria-label": "flags" },
                    ...flags.map((f) => el("li", { text: "⚑ " + f }))));
    }
    parts.push(el("h4", { text: "Definition of Done" }),
      el("ul", {}, ...L.dod.map(([done, detail], k) =>
        el("li", {}, el("span", { class: done ? "p" : "f", text: done ? "✓ " : "✗ " }),
           `${data.dodLabels[k]}: ${detail}`))));
    const labRows = L.labs.map(([lab, status, passed, failed, metric, value, confined, tasks,
                                 backing]) =>
      el("tr", {}, el("th", { scope: "row", text: lab }),
         el("td", { text: tasks }),
         el("td", { text: status === null ? "never checked"
           : `${status}: ${passed} passed, ${failed} failed` + (backing ? ` (${backing})` : "") }),
         data.anyConfined ? el("td", { text: confined || "none recorded" }) : null,
         el("td", { text: metric === null ? "—" : `${metric} = ${Number(value).toPrecision(4)}` })));
    parts.push(el("h4", { text: "Labs" }), el("table", {}, el("caption", { text: "Tasks, last full check and last run per lab" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "lab" }),
        el("th", { scope: "col", text: "tasks (latest results)" }),
        el("th", { scope: "col", text: "last full check" }),
        data.anyConfined ? el("th", { scope: "col", text: "last confined check" }) : null,
        el("th", { scope: "col", text: "last run's key metric" }))),
      el("tbody", {}, ...labRows)));
    if (L.mastery.some((m) => m[3] > 0)) {
      parts.push(el("h4", { text: "Mastery" }), el("table", {}, el("caption", { text: "Mastery per learning outcome (90% interval)" }),
        el("thead", {}, el("tr", {}, ...["outcome", "estimate", "interval", "evidence", "verdict"]
          .map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...L.mastery.map(([mean, low, high, n, verdict], k) =>
          el("tr", {}, el("th", { scope: "row", text: data.outcomes[k] }),
             el("td", { text: n ? pct(mean) : "—" }),
             el("td", { text: n ? `${pct(low)}–${pct(high)}` : "—" }),
             el("td", { text: String(n) }),
             el("td", { class: verdict === "secure" ? "p" : verdict === "not yet" ? "f" : "",
                        text: verdict }))))));
    }
    parts.push(el("h4", { text: "Reflections" }));
    for (const [id, prompt] of Object.entries(data.prompts)) {
      const text = L.reflections[id] || "";
      const n = L.cells[col("r:" + id)];
      parts.push(el("div", { class: "reflection", "data-prompt": id },
        el("h5", { text: `${id} — ${n === 1 ? "1 word" : n + " words"}` }),
        el("p", { class: "prompt", text: prompt }),
        text.trim() ? el("blockquote", { text }) : el("p", { class: "f", text: "not written" }),
        L.marks[id] ? el("p", { class: L.marks[id][0] === "needs_work" ? "feedback mark" : "mark" },
          el("strong", { text: L.marks[id][0] === "needs_work"
            ? `Marked “needs work” by ${L.marks[id][1]} (version ${L.marks[id][3]}): `
            : `Marked ok by ${L.marks[id][1]}: ` }), L.marks[id][2]) : null,
        ...L.feedback.filter((f) => f[2] === "reflection:" + id).map(([at, who, , t]) =>
          el("p", { class: "feedback" }, el("strong", { text: `${who}, ${at.replace("T", " ")}: ` }), t))));
    }
    const other = L.feedback.filter((f) => !f[2].startsWith("reflection:"));
    parts.push(el("h4", { text: "Feedback" }));
    parts.push(other.length
      ? el("ul", {}, ...other.map(([at, who, target, t]) =>
          el("li", {}, el("strong", { text: `${who} on ${target}, ${at.replace("T", " ")}: ` }), t)))
      : el("p", { text: L.feedback.length ? "Only on reflections (above)." : "None yet." }));
    const events = [...L.events].reverse();
    parts.push(el("h4", { text: "Timeline" }), el("table", { class: "timeline" },
      el("caption", { text: `Latest ${events.length} of ${L.eventCount} events, newest first` }),
      el("thead", {}, el("tr", {}, ...["when", "event", "details"].map((h) =>
        el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...events.map(([at, kind, text]) =>
        el("tr", {}, el("td", { text: at }), el("td", { text: kind }), el("td", { text }))))));
    out.replaceChildren(...parts);
    out.setAttribute("data-learner", name);
    document.getElementById("learner-pick").value = name;
    if (scroll) document.getElementById("learners").scrollIntoView();
  }

  function pick() {
    const wanted = document.getElementById("learner-pick").value.trim();
    const i = learners.findIndex((l) => l.cells[NAME] === wanted);
    if (i >= 0) showLearner(i, false);
    else document.getElementById("learner-detail").replaceChildren(
      el("p", { class: "f", text: `No learner called “${wanted}”.` }));
  }

  // --- wiring -----------------------------------------------------------------------------
  head();
  document.getElementById("filter-name").addEventListener("input", (e) => {
    state.name = e.target.value.trim().toLowerCase(); state.page = 0; draw();
  });
  document.getElementById("filter-kind").addEventListener("change", (e) => {
    state.kind = e.target.value; state.page = 0; draw();
  });
  document.getElementById("page-size").addEventListener("change", (e) => {
    state.size = Number(e.target.value); state.page = 0; draw();
  });
  document.getElementById("page-prev").addEventListener("click", () => { state.page--; draw(); });
  document.getElementById("page-next").addEventListener("click", () => { state.page++; draw(); });
  document.querySelectorAll("table.sortable").forEach(sortable);
  document.getElementById("learner-names").append(
    ...learners.map((l) => el("option", { value: l.cells[NAME] })));
  document.getElementById("learner-show").addEventListener("click", pick);
  document.getElementById("learner-pick").addEventListener("keydown", (e) => {
    if (e.key === "Enter") pick();
  });
  // Printing shows every learner, not one page.
  window.addEventListener("beforeprint", () => { state.printSize = state.size; state.size = 0; draw(); });
  window.addEventListener("afterprint", () => { state.size = state.printSize; draw(); });
  draw();
  if (learners.length) showLearner(0, false);
  document.body.setAttribute("data-ready", "1");
})();
