// The explorer page: plain JavaScript over the JSON API of cmd/explore.
// State is one object; every panel is redrawn from the API's answers.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  card: null,
  ids: [],          // the tokens analysed now
  promptIds: null,  // the tokens before generating (for "back to the prompt")
  promptText: "",   // and the text
  steps: [],        // generated steps, each with its distribution
  next: null,       // the distribution after the last token
  attn: null,       // /api/attention answer
  head: [0, 0],     // the enlarged head
  query: -1,        // the selected query position (-1: none)
};

async function api(path, body) {
  const opt = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opt);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.statusText);
  return j;
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of kids) e.append(c);
  return e;
}

// show makes a piece's spaces and newlines visible.
const show = (s) => s.replace(/ /g, "␣").replace(/\n/g, "↵").replace(/\t/g, "⇥");
const fmt = (p) => (p >= 0.001 ? (100 * p).toFixed(1) + "%" : p.toExponential(1));

function sampling() {
  return {
    temperature: parseFloat($("temperature").value),
    top_k: parseInt($("top-k").value || "0", 10),
    top_p: parseFloat($("top-p").value),
  };
}

function status(msg, isErr) {
  const s = $("prompt-status");
  s.textContent = msg;
  s.className = isErr ? "err" : "";
}

// ---- 1. tokens ----

function tokenChip(t, pos, extra) {
  const chip = el("span", { class: "tok" + (t.special ? " special" : "") + (extra || ""), "data-id": t.id, "data-pos": pos, title: "position " + pos + ", id " + t.id },
    el("span", { class: "p" }, show(t.text)), el("span", { class: "id" }, String(t.id)));
  return chip;
}

function renderTokens(tokens) {
  const box = $("tokens");
  box.replaceChildren();
  const nPrompt = state.promptIds ? state.promptIds.length : tokens.length;
  tokens.forEach((t, i) => {
    const chip = tokenChip(t, i, i >= nPrompt ? " gen" : "");
    chip.addEventListener("click", () => selectQuery(i));
    box.append(chip);
  });
  box.dataset.count = tokens.length;
  box.dataset.ids = tokens.map((t) => t.id).join(",");
}

// ---- 2. next token ----

function renderDistribution(d, title, chosen) {
  $("next-title").textContent = title + " · " + d.candidates + " candidate tokens after top-k / top-p";
  const box = $("next");
  box.replaceChildren();
  const pmax = d.top.length ? d.top[0].p : 1;
  for (const c of d.top) {
    box.append(el("div", { class: "bar" + (c.id === chosen ? " chosen" : ""), title: "id " + c.id + ", logit " + c.logit.toFixed(3), "data-id": c.id },
      el("span", { class: "t" }, show(c.text)),
      el("div", { class: "fill", style: "width:" + Math.max(1, (100 * c.p) / pmax).toFixed(1) + "%" }),
      el("span", { class: "v" }, fmt(c.p))));
  }
  if (d.top.length) {
    box.dataset.topId = d.top[0].id;
    box.dataset.topText = d.top[0].text;
  }
}

function renderSteps() {
  const box = $("steps");
  box.replaceChildren();
  state.steps.forEach((st, i) => {
    const chip = tokenChip(st, i, " gen");
    chip.title = "step " + (i + 1) + ": drawn with p = " + fmt(st.p);
    chip.addEventListener("click", () => {
      for (const c of box.children) c.classList.remove("sel");
      chip.classList.add("sel");
      renderDistribution(st.distribution, "step " + (i + 1) + " drew “" + show(st.text) + "” (p " + fmt(st.p) + ")", st.id);
    });
    box.append(chip);
  });
  box.dataset.count = state.steps.length;
}

async function generate(n) {
  const room = state.card.limits.max_tokens - state.ids.length;
  if (room <= 0) { status("the context is full: go back to the prompt or shorten the text", true); return; }
  n = Math.min(n, room);
  try {
    const req = Object.assign({ ids: state.ids, n, seed: parseInt($("seed").value || "0", 10) + state.steps.length, k: 10 }, sampling());
    const r = await api("/api/generate", req);
    if (!state.promptIds) { state.promptIds = state.ids.slice(); state.promptText = $("prompt").value; }
    for (const st of r.steps) {
      // One step at a time, as the model produced them.
      state.steps.push(st);
      state.ids.push(st.id);
      $("prompt").value += st.text;
      renderSteps();
      await new Promise((res) => setTimeout(res, 40));
    }
    await analyse();
    if (r.stopped === "eos") status("generation stopped at the end-of-text token");
  } catch (e) { status(e.message, true); }
}

// ---- 3. attention ----

function heat(v) { // white → deep blue
  const a = Math.min(1, Math.max(0, v));
  const r = Math.round(255 - a * (255 - 20)), g = Math.round(255 - a * (255 - 60)), b = Math.round(255 - a * (255 - 160));
  return "rgb(" + r + "," + g + "," + b + ")";
}

function drawMap(cv, map, cell, query) {
  const T = map.length;
  cv.width = cv.height = T * cell;
  const ctx = cv.getContext("2d");
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      ctx.fillStyle = j > i ? "#f2f3f6" : heat(map[i][j]);
      ctx.fillRect(j * cell, i * cell, cell, cell);
    }
  }
  if (query >= 0 && query < T) {
    ctx.strokeStyle = "#e0793f";
    ctx.lineWidth = Math.max(1, cell / 4);
    ctx.strokeRect(0.5, query * cell + 0.5, T * cell - 1, cell - 1);
  }
  return T * T;
}

function score(v) { return v === null || v === undefined ? "—" : v.toFixed(2); }

function renderAttention() {
  const a = state.attn;
  const box = $("attention");
  box.replaceChildren();
  box.style.gridTemplateColumns = "repeat(" + a.heads + ", auto)";
  const cell = Math.max(1, Math.min(8, Math.floor(640 / a.heads / a.t)));
  let cells = 0;
  for (let l = 0; l < a.layers; l++) {
    for (let h = 0; h < a.heads; h++) {
      const k = l * a.heads + h;
      const pr = a.probe.scores[k], tx = a.scores[k];
      const cv = el("canvas", { "data-layer": l, "data-head": h });
      cells += drawMap(cv, a.maps[l][h], cell, state.query);
      const sel = state.head[0] === l && state.head[1] === h;
      const lab = el("div", { class: "lab" }, el("b", {}, l + "." + h), " prev " + score(pr.previous_token) + " · ind " + score(pr.prefix_match));
      const div = el("div", { class: "head" + (sel ? " sel" : ""), title: "layer " + l + " head " + h + "\non repeated random sequences: previous-token " + score(pr.previous_token) + ", prefix-matching " + score(pr.prefix_match) + "\non this text: previous-token " + score(tx.previous_token) + ", prefix-matching " + score(tx.prefix_match) },
        cv, lab);
      div.addEventListener("click", () => { state.head = [l, h]; renderAttention(); });
      box.append(div);
    }
  }
  box.dataset.layers = a.layers;
  box.dataset.heads = a.heads;
  box.dataset.t = a.t;
  box.dataset.cells = cells;
  renderBigHead();
  shadeTokens();
}

function renderBigHead() {
  const a = state.attn;
  const [l, h] = state.head;
  const map = a.maps[l][h];
  const cv = $("attn-big");
  const cell = Math.max(4, Math.floor(440 / a.t));
  drawMap(cv, map, cell, state.query);
  const tx = a.scores[l * a.heads + h];
  let title = "head " + l + "." + h + " on this text: previous-token " + score(tx.previous_token) + ", prefix-matching " + score(tx.prefix_match);
  if (state.query >= 0) {
    const row = map[state.query];
    let best = 0;
    row.forEach((v, j) => { if (v > row[best]) best = j; });
    title += " · “" + show(a.tokens[state.query].text) + "” attends most to “" + show(a.tokens[best].text) + "” (" + fmt(row[best]) + ")";
  }
  $("attn-big-title").textContent = title;
}

// shadeTokens colours the token strip by what the selected query attends to
// in the enlarged head.
function shadeTokens() {
  const chips = $("tokens").children;
  const a = state.attn;
  for (let j = 0; j < chips.length; j++) {
    chips[j].classList.toggle("sel", j === state.query);
    chips[j].style.background = "";
    if (a && state.query >= 0 && j <= state.query && state.query < a.t) {
      chips[j].style.background = heat(a.maps[state.head[0]][state.head[1]][state.query][j] * 0.8);
    }
  }
}

function selectQuery(i) {
  state.query = state.query === i ? -1 : i;
  if (state.attn) renderAttention();
}

$("attn-big").addEventListener("click", (ev) => {
  if (!state.attn) return;
  const cv = $("attn-big");
  const cell = cv.width / state.attn.t;
  const rect = cv.getBoundingClientRect();
  selectQuery(Math.floor((ev.clientY - rect.top) * (cv.height / rect.height) / cell));
});

// ---- 4. logit lens ----

function renderLens(r) {
  const tbl = $("lens");
  tbl.replaceChildren();
  const T = r.tokens.length;
  const head = el("tr", {}, el("th", { class: "row" }, "layer \\ input"));
  r.tokens.forEach((t) => head.append(el("th", {}, show(t.text))));
  tbl.append(head);
  let cells = 0;
  for (let l = r.layers - 1; l >= 0; l--) {
    const tr = el("tr", {}, el("th", { class: "row" }, l === 0 ? "0 (embeddings)" : l === r.layers - 1 ? l + " (output)" : String(l)));
    for (let t = 0; t < T; t++) {
      const top = r.top[l][t];
      const c = top[0];
      const hit = t + 1 < T && state.ids[t + 1] === c.id;
      const td = el("td", { class: hit ? "hit" : "", title: "layer " + l + ", position " + t + "\n" + top.map((x) => "“" + show(x.text) + "” " + fmt(x.p)).join("\n") }, show(c.text));
      td.style.background = heat(c.p * 0.75);
      if (c.p > 0.55) td.style.color = "#fff";
      tr.append(td);
      cells++;
    }
    tbl.append(tr);
  }
  const next = el("tr", {}, el("th", { class: "row" }, "actual next"));
  for (let t = 0; t < T; t++) next.append(el("th", {}, t + 1 < T ? show(r.tokens[t + 1].text) : "?"));
  tbl.append(next);
  tbl.dataset.cells = cells;
  tbl.dataset.layers = r.layers;
}

// ---- analysis of the current ids ----

let generation = 0; // drops answers to requests that a newer one replaced

async function analyse() {
  const my = ++generation;
  const body = { ids: state.ids };
  try {
    const [tok, next, attn, lens] = await Promise.all([
      api("/api/tokenize", body),
      api("/api/next", Object.assign({ ids: state.ids, k: 12 }, sampling())),
      api("/api/attention", body),
      api("/api/lens", Object.assign({ k: 3 }, body)),
    ]);
    if (my !== generation) return;
    if (state.query >= tok.tokens.length) state.query = -1;
    renderTokens(tok.tokens);
    state.next = next;
    renderDistribution(next, "after the last token “" + show(tok.tokens[tok.tokens.length - 1].text) + "”");
    state.attn = attn;
    renderAttention();
    renderLens(lens);
    status(tok.tokens.length + " tokens of at most " + tok.limit);
    document.body.dataset.ready = "1";
  } catch (e) {
    if (my === generation) status(e.message, true);
  }
}

async function fromText() {
  const text = $("prompt").value;
  try {
    const r = state.card.tokenizer.type === "none" ? await api("/api/tokenize", { ids: state.card.default_ids }) : await api("/api/tokenize", { text });
    state.ids = r.ids;
    state.promptIds = null;
    state.steps = [];
    renderSteps();
    await analyse();
  } catch (e) { status(e.message, true); }
}

async function refreshNext() {
  try {
    const next = await api("/api/next", Object.assign({ ids: state.ids, k: 12 }, sampling()));
    renderDistribution(next, "after the last token");
  } catch (e) { status(e.message, true); }
}

// ---- 5. training ----

let curve = { steps: 0, train: [], val: [], baseline: 0 };

function drawCurve() {
  const cv = $("loss"), ctx = cv.getContext("2d");
  const W = cv.width, H = cv.height, L = 50, R = 12, T = 12, B = 30;
  ctx.clearRect(0, 0, W, H);
  const all = curve.train.map((p) => p[1]).concat(curve.val.map((p) => p[1]));
  if (curve.baseline) all.push(curve.baseline);
  const ymax = Math.max(1, ...all) * 1.05, xmax = Math.max(1, curve.steps);
  const x = (s) => L + (s / xmax) * (W - L - R), y = (v) => T + (1 - v / ymax) * (H - T - B);
  ctx.strokeStyle = "#ccd"; ctx.fillStyle = "#555"; ctx.font = "11px system-ui"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  for (let i = 0; i <= 4; i++) { const v = (ymax * i) / 4; ctx.fillText(v.toFixed(1), 8, y(v) + 4); }
  ctx.fillText("step " + xmax, W - R - 50, H - 10);
  ctx.fillText("loss (nats/token)", L + 6, T + 10);
  const line = (pts, color, width, dash) => {
    if (!pts.length) return;
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash || []);
    ctx.beginPath(); pts.forEach(([s, v], i) => (i ? ctx.lineTo(x(s), y(v)) : ctx.moveTo(x(s), y(v)))); ctx.stroke();
    ctx.setLineDash([]);
  };
  if (curve.baseline) line([[0, curve.baseline], [xmax, curve.baseline]], "#aaa", 1, [5, 4]);
  line(curve.train, "#8da6d8", 1);
  line(curve.val, "#e0793f", 2);
  ctx.fillStyle = "#8da6d8"; ctx.fillText("train", W - R - 160, T + 10);
  ctx.fillStyle = "#e0793f"; ctx.fillText("validation", W - R - 120, T + 10);
  ctx.fillStyle = "#999"; ctx.fillText("unigram baseline", W - R - 60 - 40, T + 24);
}

function follow() {
  const es = new EventSource("/api/train/events");
  es.onmessage = async (m) => {
    const e = JSON.parse(m.data);
    if (e.type === "start") {
      curve = { steps: e.steps, train: [], val: [], baseline: e.baseline };
      $("train-status").textContent = "training on " + e.message;
    } else if (e.type === "step") {
      curve.train.push([e.step, e.loss]);
      if (e.val_loss !== undefined) curve.val.push([e.step, e.val_loss]);
      $("train-status").textContent = "step " + e.step + "/" + e.steps + " · loss " + e.loss.toFixed(3) +
        (curve.val.length ? " · val " + curve.val[curve.val.length - 1][1].toFixed(3) : "") + " · " + Math.round(e.tok_s) + " tok/s";
    } else {
      es.close();
      $("train-start").disabled = false;
      $("train-stop").disabled = true;
      $("train-status").textContent = e.type === "done" ? "done: now exploring the model " + e.message : "training failed: " + e.message;
      if (e.type === "done") await loadModel(false);
    }
    drawCurve();
  };
  es.onerror = () => es.close();
}

$("train-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const fd = new FormData($("train-form"));
  const f = $("train-data").files[0];
  if (f && f.size > state.card.limits.max_upload) {
    $("train-status").textContent = "that file is " + f.size + " bytes; the limit is " + state.card.limits.max_upload;
    return;
  }
  try {
    const r = await fetch("/api/train", { method: "POST", body: fd });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error);
    $("train-start").disabled = true;
    $("train-stop").disabled = false;
    follow();
  } catch (e) { $("train-status").textContent = e.message; }
});

$("train-stop").addEventListener("click", async () => {
  try { await api("/api/train/stop", {}); } catch (e) { $("train-status").textContent = e.message; }
});

// ---- 6. model card ----

function renderCard(c) {
  $("source").textContent = c.source;
  const kv = (rows) => el("table", {}, ...rows.map(([k, v, cls]) => el("tr", {}, el("td", {}, k), el("td", { class: cls || "" }, String(v)))));
  const cfg = c.config;
  const p = c.params;
  const pct = (n) => (p.total ? ((100 * n) / p.total).toFixed(1) + "%" : "");
  const tensors = el("details", {}, el("summary", {}, c.tensors.length + " tensors"),
    kv(c.tensors.map((t) => [t.name, "[" + t.shape.join(", ") + "]"])));
  const meta = Object.entries(c.meta || {}).map(([k, v]) => [k, v.length > 60 ? v.slice(0, 60) + "…" : v]);
  $("card").replaceChildren(
    el("div", {}, el("h3", {}, "Config"), kv([
      ["layers", cfg.n_layer], ["heads", cfg.n_head], ["d_model", cfg.n_embd], ["d_ff", cfg.d_ff], ["context", cfg.n_ctx],
      ["vocabulary", cfg.vocab_size], ["positions", cfg.positions], ["norm", cfg.norm + (cfg.post_ln ? " (post-LN)" : " (pre-LN)")],
      ["feed-forward", cfg.ff], ["tied output", cfg.tied], ["biases", cfg.bias]])),
    el("div", {}, el("h3", {}, "Parameters"), kv([
      ["embeddings", p.embeddings.toLocaleString() + "  " + pct(p.embeddings), "n"], ["attention", p.attention.toLocaleString() + "  " + pct(p.attention), "n"],
      ["mlp", p.mlp.toLocaleString() + "  " + pct(p.mlp), "n"], ["norms", p.norms.toLocaleString() + "  " + pct(p.norms), "n"],
      ["head", p.head.toLocaleString() + "  " + pct(p.head), "n"], ["total", p.total.toLocaleString(), "n"]]), tensors),
    el("div", {}, el("h3", {}, "Where it came from"), el("p", {}, c.source), kv([
      ["kind", c.kind], ["tokenizer", c.tokenizer.type + " (" + c.tokenizer.vocab_size + " ids)"],
      ["prompt starts after end-of-text", c.tokenizer.starts_with_eos]].concat(meta))));
  $("card").dataset.total = p.total;
  $("max-upload").textContent = (c.limits.max_upload / 1048576).toFixed(1) + " MiB";
  $("top-k").max = cfg.vocab_size;
}

async function loadModel(first) {
  try {
    state.card = await api("/api/model");
    renderCard(state.card);
    if (first) $("prompt").value = state.card.default_prompt || "";
    if (state.card.tokenizer.type === "none") $("prompt").disabled = true;
    if (state.card.training && first) { $("train-start").disabled = true; $("train-stop").disabled = false; follow(); }
    await fromText();
  } catch (e) { status(e.message, true); }
}

// ---- wiring ----

let typing = 0;
$("prompt").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(fromText, 250); });
for (const id of ["temperature", "top-p"]) {
  $(id).addEventListener("input", () => { $(id + "-out").textContent = parseFloat($(id).value).toFixed(2); refreshNext(); });
}
$("top-k").addEventListener("change", refreshNext);
$("gen1").addEventListener("click", () => generate(1));
$("gen20").addEventListener("click", () => generate(20));
$("rewind").addEventListener("click", () => {
  if (!state.promptIds) return;
  state.ids = state.promptIds;
  $("prompt").value = state.promptText;
  state.promptIds = null;
  state.steps = [];
  renderSteps();
  analyse();
});

drawCurve();
loadModel(true);
