"use strict";
// orbench view: a virtual list over the embedded index, sample bodies inflated from gzip chunks on demand.
// Row layout: [key, suite, item, sample, category, difficulty, chunk, position, perRun]
// perRun[i]: null (not in run i) or [verdict (0 correct, 1 wrong, 2 error), flag bits, extracted, tokens, seconds]
(function () {
  const META = JSON.parse(document.getElementById("meta").textContent);
  const ROWS = JSON.parse(document.getElementById("rows").textContent);
  const RUNS = META.runs.map(r => r.label);
  const VERDICTS = META.verdicts;
  const DIFF_ORDER = { easy: 0, medium: 1, hard: 2 };
  const ROW_H = 26;
  const $ = id => document.getElementById(id);
  const byKey = new Map(ROWS.map((r, i) => [r[0], i]));
  const chunkRows = [];  // chunk -> row indices in order
  ROWS.forEach((r, i) => { (chunkRows[r[6]] = chunkRows[r[6]] || []).push(i); });

  const DEFAULTS = { q: "", suite: "", cat: "", diff: "", v: "", flag: "", ch: "", ref: META.reference, focus: META.focus,
                     sort: "", desc: "", s: "" };
  const INITIAL = Object.assign({}, DEFAULTS);
  if (["correct", "wrong", "error"].includes(META.filter)) INITIAL.v = META.filter;
  if (["lost", "gained", "flipped", "differs"].includes(META.filter)) INITIAL.ch = META.filter;
  let st = Object.assign({}, INITIAL);
  let view = [];          // filtered, sorted row indices
  let selected = -1;      // position in view
  let hits = null;        // Set of row indices matching the search, or null
  let terms = [];
  let thinkingOpen = false;

  // ---- chunks ------------------------------------------------------------------------------
  const chunks = new Map();
  const hay = new Array(ROWS.length);
  function inflate(b64) {
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot inflate the embedded data (no DecompressionStream: " +
                                      "use Chrome/Edge 80+, Firefox 113+ or Safari 16.4+)"));
    }
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }
  function chunk(n) {
    if (!chunks.has(n)) {
      chunks.set(n, inflate($("c" + n).textContent).then(bodies => {
        (chunkRows[n] || []).forEach((ri, pos) => { hay[ri] = haystack(ROWS[ri], bodies[pos]); });
        return bodies;
      }));
    }
    return chunks.get(n);
  }
  function body(ri) { const r = ROWS[ri]; return chunk(r[6]).then(b => b[r[7]]); }
  function haystack(row, b) {
    const parts = [row[0]];
    row[8].forEach(e => { if (e) parts.push(e[2]); });
    if (b && !b.withheld) {
      parts.push(b.prompt || "");
      b.runs.forEach(r => { if (r) parts.push(r.answer || "", r.thinking || "", r.rec.extracted || "", r.rec.detail || ""); });
    }
    return parts.join("\n").toLowerCase();
  }

  // ---- filtering and sorting ---------------------------------------------------------------
  const idx = label => Math.max(0, RUNS.indexOf(label));
  function changeOf(row) {
    const a = row[8][idx(st.ref)], b = row[8][idx(st.focus)];
    return { a, b, scored: a && b && a[0] !== 2 && b[0] !== 2 };
  }
  function keep(ri) {
    const row = ROWS[ri];
    if (st.suite && META.suites[row[1]] !== st.suite) return false;
    if (st.cat && META.categories[row[4]] !== st.cat) return false;
    if (st.diff && META.difficulties[row[5]] !== st.diff) return false;
    const mine = row[8][idx(st.focus)];
    if (st.v && (!mine || VERDICTS[mine[0]] !== st.v)) return false;
    if (st.flag && (!mine || !(mine[1] & (1 << META.flags.indexOf(st.flag))))) return false;
    if (st.ch) {
      if (st.ch === "differs") {
        const seen = new Set(row[8].filter(e => e && e[0] !== 2).map(e => e[0]));
        if (seen.size < 2) return false;
      } else {
        const c = changeOf(row);
        if (!c.scored) return false;
        const lost = c.a[0] === 0 && c.b[0] !== 0, gained = c.a[0] !== 0 && c.b[0] === 0;
        if (st.ch === "lost" && !lost) return false;
        if (st.ch === "gained" && !gained) return false;
        if (st.ch === "flipped" && !(lost || gained)) return false;
      }
    }
    if (hits && !hits.has(ri)) return false;
    return true;
  }
  const SORTS = {
    category: ri => META.categories[ROWS[ri][4]],
    difficulty: ri => DIFF_ORDER[META.difficulties[ROWS[ri][5]]] ?? 9,
    verdict: ri => { const e = ROWS[ri][8][idx(st.focus)]; return e ? e[0] : 9; },
    tokens: ri => { const e = ROWS[ri][8][idx(st.focus)]; return e ? e[3] : -1; },
    seconds: ri => { const e = ROWS[ri][8][idx(st.focus)]; return e ? e[4] : -1; },
  };
  function apply(keepSelection) {
    const key = keepSelection && selected >= 0 ? ROWS[view[selected]][0] : st.s;
    view = [];
    for (let i = 0; i < ROWS.length; i++) if (keep(i)) view.push(i);
    if (st.sort && SORTS[st.sort]) {
      const f = SORTS[st.sort], sign = st.desc ? -1 : 1;
      view.sort((x, y) => { const a = f(x), b = f(y); return (a < b ? -1 : a > b ? 1 : x - y) * sign; });
    }
    selected = key ? view.findIndex(ri => ROWS[ri][0] === key) : -1;
    $("count").textContent = `${view.length.toLocaleString()} of ${ROWS.length.toLocaleString()} samples`;
    $("spacer").style.height = (view.length * ROW_H) + "px";
    $("empty").hidden = view.length > 0;
    drawHead();
    draw();
    save();
  }

  // ---- the list ----------------------------------------------------------------------------
  const COLS = [["item", ""], ["category", "category"], ["difficulty", "difficulty"],
                ["verdict", "verdict"], ["extracted", ""], ["tokens", "tokens"], ["seconds", "seconds"]];
  function drawHead() {
    const head = $("listhead");
    head.textContent = "";
    COLS.forEach(([name, sort]) => {
      const s = el("span", name === "tokens" || name === "seconds" ? "num" : "", name);
      if (sort) {
        s.dataset.sort = sort;
        if (st.sort === sort) s.classList.add("sorted", ...(st.desc ? ["desc"] : []));
        s.onclick = () => { if (st.sort === sort) { if (st.desc) { st.sort = ""; st.desc = ""; } else st.desc = "1"; }
                            else { st.sort = sort; st.desc = ""; } apply(true); };
      } else if (name === "item") {
        s.dataset.sort = ""; s.onclick = () => { st.sort = ""; st.desc = ""; apply(true); };
      }
      head.appendChild(s);
    });
  }
  function chipFor(entry, label) {
    const v = entry ? VERDICTS[entry[0]] : "none";
    const c = el("span", "chip v-" + v, entry ? v[0].toUpperCase() : "-");
    c.title = (label ? label + ": " : "") + (entry ? v : "not in this run");
    return c;
  }
  function draw() {
    const sc = $("scroller"), sp = $("spacer");
    const first = Math.max(0, Math.floor(sc.scrollTop / ROW_H) - 8);
    const last = Math.min(view.length, first + Math.ceil((sc.clientHeight || 600) / ROW_H) + 16);
    sp.textContent = "";
    const frag = document.createDocumentFragment();
    for (let p = first; p < last; p++) {
      const ri = view[p], row = ROWS[ri], mine = row[8][idx(st.focus)];
      const div = el("div", "row" + (p === selected ? " selected" : ""));
      div.style.top = (p * ROW_H) + "px";
      div.dataset.pos = p;
      div.dataset.key = row[0];
      div.appendChild(itemCell(row[0]));
      div.appendChild(el("span", "", META.categories[row[4]]));
      div.appendChild(el("span", "", META.difficulties[row[5]]));
      const chips = el("span", "");
      if (RUNS.length > 1) row[8].forEach((e, i) => chips.appendChild(chipFor(e, RUNS[i])));
      else chips.appendChild(chipFor(mine, ""));
      div.appendChild(chips);
      const x = el("span", "", mine ? mine[2] : "");
      const bits = mine ? META.flags.filter((f, i) => mine[1] & (1 << i)) : [];
      if (bits.length) x.appendChild(el("span", "flags", " " + bits.join(" ")));
      x.title = (mine ? mine[2] : "") + (bits.length ? "  [" + bits.join(", ") + "]" : "");
      div.appendChild(x);
      div.appendChild(el("span", "num", mine ? String(mine[3]) : ""));
      div.appendChild(el("span", "num", mine ? secs(mine[4]) : ""));
      frag.appendChild(div);
    }
    sp.appendChild(frag);
  }
  // An item's key in two parts, so that a narrow column gives up the suite prefix before the item id.
  function itemCell(key) {
    const cut = key.indexOf("/") + 1;
    const cell = el("span", "item");
    cell.appendChild(el("span", "pre", key.slice(0, cut)));
    cell.appendChild(el("span", "id", key.slice(cut)));
    cell.title = key;
    return cell;
  }
  // Durations: two decimals under 10 s, one under 100 s, whole seconds above.
  function secs(v) {
    if (v == null) return "-";
    if (v === 0) return "0";
    if (v < 0.01) return "<0.01";
    return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));
  }
  function select(pos, scroll) {
    if (pos < 0 || pos >= view.length) return;
    selected = pos;
    st.s = ROWS[view[pos]][0];
    if (scroll) {
      const sc = $("scroller"), top = pos * ROW_H;
      if (top < sc.scrollTop) sc.scrollTop = top;
      else if (top + ROW_H > sc.scrollTop + sc.clientHeight) sc.scrollTop = top + ROW_H - sc.clientHeight;
    }
    draw();
    save();
    show(view[pos]);
  }

  // ---- the sample page ---------------------------------------------------------------------
  let showing = 0;
  function show(ri) {
    const ticket = ++showing;
    const d = $("detail");
    d.textContent = "";
    d.appendChild(el("p", "hint", "loading…"));
    body(ri).then(b => { if (ticket === showing) render(ri, b); },
                  err => { if (ticket === showing) { d.textContent = ""; d.appendChild(el("p", "withheld", String(err.message || err))); } });
  }
  function render(ri, b) {
    const row = ROWS[ri], d = $("detail");
    d.textContent = "";
    d.dataset.key = row[0];
    const nav = el("div", "nav");
    nav.appendChild(button("◀ previous (k)", () => move(-1)));
    nav.appendChild(button("next (j) ▶", () => move(1)));
    d.appendChild(nav);
    const idline = el("div", "idline");
    idline.appendChild(el("h2", "", row[0]));
    idline.appendChild(copyButton(row[0]));
    d.appendChild(idline);
    const sample = b.runs.find(r => r);
    d.appendChild(el("div", "sub", [META.suites[row[1]], META.categories[row[4]], META.difficulties[row[5]],
                                    "sample " + row[3], sample ? "seed " + sample.rec.seed : ""].filter(Boolean).join(" · ")));
    if (b.withheld) {
      d.appendChild(el("p", "withheld", "The text of this item is not included: the dataset's terms ask that its items " +
                       "are not published. `orbench view --include-restricted` includes it; keep such a page private."));
    } else {
      d.appendChild(el("h3", "", "Prompt"));
      d.appendChild(pre(b.prompt, "prompt"));
      d.appendChild(el("h3", "", "Reference"));
      if (b.reference && Object.keys(b.reference).length) d.appendChild(facts(b.reference, "reference", true));
      else d.appendChild(pre("", "reference", "(not available)"));
    }
    const grid = el("div", "runs");
    b.runs.forEach((r, i) => grid.appendChild(runColumn(r, i, b.withheld)));
    d.appendChild(el("h3", "", RUNS.length > 1 ? "Runs" : "Reply"));
    if (RUNS.length > 1) d.appendChild(runNav(b.runs, grid));
    d.appendChild(grid);
    d.scrollTop = 0;
    updateNav();
  }
  function copyButton(text) {
    const b = button("copy id", () => {
      const done = () => { b.textContent = "copied"; setTimeout(() => { b.textContent = "copy id"; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, () => copyBySelection(text, done));
      else copyBySelection(text, done);
    });
    b.className = "copy";
    b.title = "copy " + text;
    return b;
  }
  function copyBySelection(text, done) {  // where the clipboard API is not offered (an insecure http page)
    const t = el("textarea");
    t.value = text;
    document.body.appendChild(t);
    t.select();
    if (document.execCommand("copy")) done();
    t.remove();
  }

  // ---- runs side by side: a bar naming every run, which scrolls its column into view -------
  function runNav(runs, grid) {
    const nav = el("div", "runnav");
    nav.appendChild(el("span", "shown"));
    runs.forEach((r, i) => {
      const b = button("", () => reveal(grid, grid.children[i]));
      b.appendChild(chipFor(r ? [VERDICTS.indexOf(verdictOf(r.rec))] : null, RUNS[i]));
      b.appendChild(document.createTextNode(short(RUNS[i])));
      b.dataset.run = RUNS[i];
      b.title = RUNS[i];
      nav.appendChild(b);
    });
    nav.appendChild(button("wide (w)", toggleWide)).className = "widen";
    grid.addEventListener("scroll", () => requestAnimationFrame(updateNav));
    return nav;
  }
  // A run's label without its model name when every run is of one model (a ladder: the quant).
  function short(label) {
    const models = new Set(META.runs.map(r => r.model));
    const run = META.runs.find(r => r.label === label);
    return models.size === 1 && run && run.quant && label === run.model + ":" + run.quant ? run.quant : label;
  }
  function reveal(grid, col) {
    const g = grid.getBoundingClientRect(), c = col.getBoundingClientRect();
    if (c.left < g.left) grid.scrollLeft += c.left - g.left;
    else if (c.right > g.right) grid.scrollLeft += Math.min(c.right - g.right, c.left - g.left);
    updateNav();
  }
  function updateNav() {
    const grid = document.querySelector("#detail .runs"), nav = document.querySelector("#detail .runnav");
    if (!grid || !nav) return;
    const g = grid.getBoundingClientRect();
    let shown = 0;
    nav.querySelectorAll("button[data-run]").forEach((b, i) => {
      const c = grid.children[i].getBoundingClientRect();
      const inView = c.left >= g.left - 1 && c.right <= g.right + 1;
      b.classList.toggle("inview", inView);
      shown += inView ? 1 : 0;
    });
    nav.querySelector(".widen").textContent = document.body.classList.contains("wide") ? "show the list (w)" : "hide the list (w)";
    nav.querySelector(".shown").textContent = shown === RUNS.length ? `all ${shown} of ${RUNS.length} runs in view`
      : `${shown} of ${RUNS.length} runs in view:`;
  }
  function toggleWide() {
    document.body.classList.toggle("wide");
    draw();
    updateNav();
  }
  function runColumn(r, i, withheld) {
    const col = el("div", "runcol" + (r ? "" : " missing"));
    col.dataset.run = RUNS[i];
    const head = el("div", "runhead");
    const verdict = r ? verdictOf(r.rec) : null;
    if (RUNS.length > 1) head.appendChild(el("span", "runlabel", RUNS[i]));
    head.appendChild(el("span", "chip verdict v-" + (verdict || "none"), verdict || "not in this run"));
    if (RUNS.length > 1) {
      if (RUNS[i] === st.ref) head.appendChild(el("span", "tag", "reference"));
      if (RUNS[i] === st.focus) head.appendChild(el("span", "tag", "run"));
    }
    col.appendChild(head);
    if (!r) return col;
    const rec = r.rec;
    const reason = rec.error || rec.detail;
    col.appendChild(el("div", "reason", (rec.status === "error" ? "error: " : "reason: ") + (reason || "-")));
    if (rec.flags && rec.flags.length) col.appendChild(el("div", "flags", "flags: " + rec.flags.join(", ")));
    col.appendChild(el("h3", "", "Extracted"));
    col.appendChild(pre(rec.extracted, "extracted", "(nothing extracted)"));
    if (!withheld) {
      col.appendChild(el("h3", "", "Answer"));
      col.appendChild(pre(r.answer, "answer", "(no answer after the thinking)"));
      const det = el("details", "thinking");
      det.open = thinkingOpen;
      det.appendChild(el("summary", "", `Thinking (${r.thinking ? (rec.thinking_tokens || 0) + " tokens" : "none"})`));
      det.appendChild(pre(r.thinking, "thinking-text", "(no thinking)"));
      col.appendChild(det);
    }
    col.appendChild(el("h3", "", "Verdict, tokens and timings"));
    col.appendChild(facts({
      verdict: verdictOf(rec),
      "reason / sandbox exit": reason || "-", isolation: rec.isolation || "-", "finish reason": rec.finish_reason,
      "prompt tokens": rec.prompt_tokens, "prompt tokens evaluated": rec.prompt_eval_tokens ?? "-", "completion tokens": rec.completion_tokens, "thinking tokens": rec.thinking_tokens,
      seconds: secs(rec.seconds), "prompt seconds": secs(rec.prompt_seconds), "generation seconds": secs(rec.generation_seconds),
      "grader version": rec.grader_version || "(not recorded)",
    }, "timings"));
    if (rec.earlier_verdicts && rec.earlier_verdicts.length) {
      col.appendChild(el("h3", "", "Earlier verdicts (before regrade)"));
      rec.earlier_verdicts.forEach(p => col.appendChild(facts({
        verdict: verdictOf(p), extracted: p.extracted ?? "-",
        reason: p.error || p.detail || "-", "grader version": p.grader_version || "(not recorded)", replaced: p.replaced_at,
      }, "earlier")));
    }
    const shown = new Set(["extracted", "correct", "status", "error", "detail", "flags", "isolation", "finish_reason",
      "prompt_tokens", "prompt_eval_tokens", "completion_tokens", "thinking_tokens", "seconds", "prompt_seconds", "generation_seconds",
      "grader_version", "earlier_verdicts", "seed"]);
    const rest = {};
    Object.keys(rec).forEach(k => { if (!shown.has(k)) rest[k] = typeof rec[k] === "object" ? JSON.stringify(rec[k]) : rec[k]; });
    if (Object.keys(rest).length) {
      const more = el("details", "more");
      more.appendChild(el("summary", "", "More fields"));
      more.appendChild(facts(rest, "extra", true));
      col.appendChild(more);
    }
    return col;
  }
  function verdictOf(rec) { return rec.status === "error" ? "error" : rec.correct ? "correct" : "wrong"; }
  function facts(obj, cls, long) {
    const t = el("table", "facts " + cls);
    Object.keys(obj).forEach(k => {
      const tr = document.createElement("tr");
      tr.appendChild(el("td", "", k));
      const td = document.createElement("td");
      let v = obj[k];
      if (Array.isArray(v)) v = v.map((c, i) => String.fromCharCode(65 + i) + ". " + c).join("\n");
      if (long && typeof v === "string" && (v.length > 60 || v.includes("\n"))) td.appendChild(pre(v, ""));
      else td.appendChild(marked(String(v ?? "-")));
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }
  function pre(text, cls, empty) {
    const p = el("pre", cls);
    if (text) p.appendChild(marked(text));
    else { p.classList.add("empty"); p.textContent = empty || ""; }
    return p;
  }
  function marked(text) {
    const frag = document.createDocumentFragment();
    if (!terms.length) { frag.appendChild(document.createTextNode(text)); return frag; }
    const re = new RegExp("(" + terms.map(t => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "gi");
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      frag.appendChild(el("mark", "", m[0]));
      last = m.index + m[0].length;
    }
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(text, onclick) { const b = el("button", "", text); b.type = "button"; b.onclick = onclick; return b; }
  function move(delta) {
    if (!view.length) return;
    const pos = selected < 0 ? (delta > 0 ? 0 : view.length - 1) : Math.min(view.length - 1, Math.max(0, selected + delta));
    select(pos, true);
  }

  // ---- search ------------------------------------------------------------------------------
  let searchTicket = 0;
  async function search(q) {
    const ticket = ++searchTicket;
    terms = q.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) { hits = null; apply(false); return; }
    document.documentElement.dataset.search = "running";
    const total = chunkRows.length, batch = 8;
    for (let n = 0; n < total; n += batch) {  // a few chunks at a time, showing progress between them
      const fresh = !chunks.has(n);
      await Promise.all(Array.from({ length: Math.min(batch, total - n) }, (_, i) => chunk(n + i)));
      if (ticket !== searchTicket) return;
      if (fresh) $("count").textContent = `searching… ${Math.round(100 * n / total)}%`;
    }
    const found = new Set();
    for (let i = 0; i < ROWS.length; i++) { const h = hay[i]; if (h && terms.every(t => h.includes(t))) found.add(i); }
    hits = found;
    apply(false);
    document.documentElement.dataset.search = "done";
    if (st.s && byKey.has(st.s)) show(byKey.get(st.s));
  }

  // ---- state in the address (#q=...&v=wrong&s=key), so a link opens a sample --------------
  function save() {
    const p = new URLSearchParams();
    Object.keys(DEFAULTS).forEach(k => { if (st[k] !== INITIAL[k]) p.set(k, st[k]); });
    const hash = "#" + p.toString();
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }
  function load() {
    st = Object.assign({}, INITIAL);
    const p = new URLSearchParams(location.hash.slice(1));
    Object.keys(DEFAULTS).forEach(k => { if (p.has(k)) st[k] = p.get(k); });
    if (!RUNS.includes(st.ref)) st.ref = INITIAL.ref;
    if (!RUNS.includes(st.focus)) st.focus = INITIAL.focus;
  }
  function options(id, values, all) {
    const s = $(id);
    s.textContent = "";
    s.appendChild(new Option(all, ""));
    values.forEach(v => s.appendChild(new Option(v, v)));
  }
  function syncControls() {
    $("search").value = st.q;
    [["f-suite", "suite"], ["f-cat", "cat"], ["f-diff", "diff"], ["f-verdict", "v"], ["f-flag", "flag"],
     ["f-ref", "ref"], ["f-focus", "focus"], ["f-change", "ch"]].forEach(([id, k]) => { $(id).value = st[k]; });
  }

  // ---- set-up ------------------------------------------------------------------------------
  function header() {
    $("title").textContent = "orbench view: " + META.title;
    META.runs.forEach(r => {
      const s = el("span");
      s.appendChild(el("b", "", r.label));
      const acc = r.suites.map(x => `${x.suite} ${x.accuracy == null ? "-" : (100 * x.accuracy).toFixed(1) + "%"}` +
                               (x.limit_failures ? ` (${x.limit_failures} failed at a time or memory limit)` : "")).join(", ");
      const name = r.model + (r.quant ? ":" + r.quant : "");  // said once: the label is usually model:quant
      s.appendChild(document.createTextNode(`${name === r.label ? "" : " " + name} · ${r.samples} samples · ${acc}` +
                                            (r.status !== "complete" ? ` · ${r.status}` : "") +
                                            (r.grading && r.grading !== "reference" ? ` · grading ${r.grading}` : "")));
      s.title = r.folder;
      $("runs").appendChild(s);
    });
    legend();
    fitIds();
    META.notes.forEach(n => $("notes").appendChild(el("li", "", n)));
    options("f-suite", META.suites, "all");
    options("f-cat", [...META.categories].sort(), "all");
    options("f-diff", [...META.difficulties].sort((a, b) => (DIFF_ORDER[a] ?? 9) - (DIFF_ORDER[b] ?? 9)), "all");
    options("f-verdict", VERDICTS, "all");
    options("f-flag", META.flags, "any");
    if (RUNS.length > 1) {
      $("multi").hidden = false;
      $("verdict-label").textContent = "verdict in run";
      options("f-ref", RUNS, "");
      options("f-focus", RUNS, "");
      $("f-ref").remove(0); $("f-focus").remove(0);
      const ch = $("f-change");
      ch.textContent = "";
      [["", "all"], ["lost", "lost vs reference"], ["gained", "gained vs reference"], ["flipped", "flipped (lost or gained)"],
       ["differs", "runs disagree"]].forEach(([v, t]) => ch.appendChild(new Option(t, v)));
    }
  }
  function legend() {
    const g = $("legend");
    g.appendChild(el("span", "", RUNS.length > 1 ? "Badges, one per run in this order: " : "Badge: "));
    if (RUNS.length > 1) g.appendChild(el("span", "order", RUNS.map((r, i) => `${i + 1}. ${r}`).join("  ")));
    g.appendChild(document.createTextNode(RUNS.length > 1 ? " · " : ""));
    [["correct", "C"], ["wrong", "W"], ["error", "E"], ["none", "-"]].slice(0, RUNS.length > 1 ? 4 : 3).forEach(([v, letter]) => {
      g.appendChild(el("span", "chip v-" + v, letter));
      g.appendChild(el("span", "", v === "none" ? "not in this run " : v + " "));
    });
  }
  // The item column is at least as wide as the longest id (the grid caps it at 45% of the list).
  function fitIds() {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = getComputedStyle(document.body).font;
    const longest = ROWS.map(r => r[0]).sort((a, b) => b.length - a.length).slice(0, 50);
    const px = Math.max(0, ...longest.map(k => ctx.measureText(k).width));
    $("list").style.setProperty("--idw", Math.ceil(px) + 8 + "px");
  }
  function wire() {
    const bind = (id, k) => $(id).addEventListener("change", e => { st[k] = e.target.value; e.target.blur(); apply(true); });
    [["f-suite", "suite"], ["f-cat", "cat"], ["f-diff", "diff"], ["f-verdict", "v"], ["f-flag", "flag"],
     ["f-ref", "ref"], ["f-focus", "focus"], ["f-change", "ch"]].forEach(([id, k]) => bind(id, k));
    let timer = 0;
    $("search").addEventListener("input", e => {
      clearTimeout(timer);
      timer = setTimeout(() => { st.q = e.target.value.trim(); search(st.q); }, 200);
    });
    $("search").addEventListener("keydown", e => {
      if (e.key === "Enter") { clearTimeout(timer); st.q = e.target.value.trim(); search(st.q).then(() => { e.target.blur(); if (view.length) select(0, true); }); }
    });
    $("empty").querySelector("button").onclick = () => $("reset").click();
    $("reset").onclick = () => { const keepRuns = { ref: st.ref, focus: st.focus }; st = Object.assign({}, DEFAULTS, keepRuns); hits = null; terms = []; syncControls(); apply(false); };
    $("scroller").addEventListener("scroll", () => requestAnimationFrame(draw));
    $("spacer").addEventListener("click", e => { const r = e.target.closest(".row"); if (r) select(+r.dataset.pos, false); });
    window.addEventListener("resize", () => { draw(); updateNav(); });
    window.addEventListener("hashchange", () => {
      const before = st.q; load(); syncControls();
      if (st.q !== before) search(st.q); else apply(false);
      if (st.s && byKey.has(st.s)) show(byKey.get(st.s));
    });
    document.addEventListener("keydown", e => {
      if (e.target.closest("input, select, textarea")) { if (e.key === "Escape") e.target.blur(); return; }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "w") toggleWide();
      else if (e.key === "/") { e.preventDefault(); $("search").focus(); $("search").select(); }
      else if (e.key === "t") {
        thinkingOpen = !thinkingOpen;
        document.querySelectorAll("#detail details.thinking").forEach(x => { x.open = thinkingOpen; });
      } else if (e.key === "Escape") {
        if (document.body.classList.contains("wide")) toggleWide();  // back to the list
        selected = -1; st.s = ""; showing++; $("detail").textContent = "";
        $("detail").appendChild(el("p", "hint", "Select a sample (click, or j / k).")); draw(); save(); $("scroller").focus();
      }
    });
  }

  header();
  load();
  syncControls();
  wire();
  apply(false);
  // When the first screen of rows was built, and when it was painted (after the next frame), in ms since navigation.
  document.documentElement.dataset.firstRowsMs = String(Math.round(performance.now()));
  requestAnimationFrame(() => setTimeout(() => {
    document.documentElement.dataset.firstScreenMs = String(Math.round(performance.now()));
  }, 0));
  document.documentElement.dataset.ready = "1";
  if (st.q) search(st.q);
  if (st.s && byKey.has(st.s)) {
    if (selected >= 0) select(selected, true); else show(byKey.get(st.s));
  }
})();
