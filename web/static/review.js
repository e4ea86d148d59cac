// medscribe review screen. Everything from the visit is inserted with textContent, never
// innerHTML, so text typed into a note or said in a visit cannot run as script.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("visit-data").textContent);
  const visit = data.visit;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const base = "/ui/visits/" + encodeURIComponent(visit.id);
  const clone = (x) => JSON.parse(JSON.stringify(x));
  const state = {
    note: clone((data.review && data.review.note && data.review.note.sections) ? data.review.note : visit.note),
    decisions: clone((data.review && data.review.decisions) || {}),
    revision: data.review ? data.review.revision : 0,
    signed: !!data.signature || visit.status === "signed",
    selected: null, // [section, sentence]
    dirty: false,
  };
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const message = (text, kind) => { const m = $("message"); m.textContent = text; m.className = "message " + (kind || ""); };

  // ---- evidence highlighting -------------------------------------------------------------
  function clearMarks() {
    document.querySelectorAll(".turn.evidence, .turn.focus").forEach((t) => t.classList.remove("evidence", "focus"));
    document.querySelectorAll(".turn .text").forEach((s) => { if (s.dataset.orig !== undefined) { s.textContent = s.dataset.orig; delete s.dataset.orig; } });
    document.querySelectorAll(".sentence.uses, .item.uses").forEach((s) => s.classList.remove("uses"));
  }
  function markEvidence(evs) {
    clearMarks();
    let first = null;
    (evs || []).forEach((ev) => {
      const li = $("turn-" + ev.turn);
      if (!li) return;
      li.classList.add("evidence");
      const span = li.querySelector(".text");
      const text = span.dataset.orig !== undefined ? span.dataset.orig : span.textContent;
      if (ev.start >= 0 && ev.end <= text.length && ev.end > ev.start) {
        // offsets are bytes in UTF-8; map through an encoder so non-ASCII text stays aligned
        const bytes = new TextEncoder().encode(text);
        const dec = new TextDecoder();
        const pre = dec.decode(bytes.slice(0, ev.start)), mid = dec.decode(bytes.slice(ev.start, ev.end)), post = dec.decode(bytes.slice(ev.end));
        span.dataset.orig = text;
        span.textContent = "";
        span.append(pre, el("mark", "", mid), post);
      }
      if (!first) first = li;
    });
    if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // ---- note --------------------------------------------------------------------------------
  function sentenceEl(si, ji) { return document.querySelector('.sentence[data-s="' + si + "." + ji + '"]'); }
  function renderNote() {
    const root = $("note");
    root.textContent = "";
    $("rev").textContent = state.signed ? "signed" : (state.dirty ? "unsaved changes" : (state.revision ? "revision " + state.revision : "draft"));
    if (!state.note.sections || state.note.sections.length === 0) { root.append(el("p", "empty", "The draft has no sections.")); }
    state.note.sections.forEach((sec, si) => {
      const s = el("section", "note-section");
      s.append(el("h3", "", (sec.title || sec.key).toUpperCase()));
      const p = el("p");
      sec.sentences.forEach((sen, ji) => {
        const span = el("span", "sentence", sen.text);
        span.dataset.s = si + "." + ji;
        span.tabIndex = 0;
        if (!sen.evidence || sen.evidence.length === 0) { span.classList.add("unsupported"); span.title = "No evidence in the transcript: check this sentence"; }
        span.addEventListener("click", () => select(si, ji));
        span.addEventListener("dblclick", () => edit(si, ji));
        p.append(span, " ");
      });
      s.append(p);
      root.append(s);
    });
    if (state.selected) { const e = sentenceEl(...state.selected); if (e) e.classList.add("selected"); }
  }
  function select(si, ji) {
    document.querySelectorAll(".sentence.selected").forEach((x) => x.classList.remove("selected"));
    const sec = state.note.sections[si];
    if (!sec || !sec.sentences[ji]) return;
    state.selected = [si, ji];
    const e = sentenceEl(si, ji);
    e.classList.add("selected");
    e.focus({ preventScroll: true });
    markEvidence(sec.sentences[ji].evidence);
  }
  function edit(si, ji) {
    if (state.signed) { message("The note is signed. Add an addendum instead.", "warn"); return; }
    const e = sentenceEl(si, ji);
    if (!e) return;
    const before = state.note.sections[si].sentences[ji].text;
    e.contentEditable = "true";
    e.classList.add("editing");
    e.focus();
    const done = (commit) => {
      e.contentEditable = "false";
      e.classList.remove("editing");
      const text = e.textContent.trim();
      if (commit && text !== before) {
        state.note.sections[si].sentences[ji].text = text;
        state.dirty = true;
        if (text === "") {
          message("Sentence removed. Save to keep the change; a section with no sentences is left out of the note.", "warn");
        }
      }
      renderNote();
      select(si, Math.min(ji, state.note.sections[si].sentences.length - 1));
    };
    e.addEventListener("keydown", function onKey(ev) {
      if (ev.key === "Enter") { ev.preventDefault(); e.removeEventListener("keydown", onKey); done(true); }
      if (ev.key === "Escape") { ev.preventDefault(); e.removeEventListener("keydown", onKey); e.textContent = before; done(false); }
    });
    e.addEventListener("blur", () => { if (e.isContentEditable) done(true); }, { once: true });
  }
  function move(delta) {
    const flat = [];
    state.note.sections.forEach((s, si) => s.sentences.forEach((_, ji) => flat.push([si, ji])));
    if (flat.length === 0) return;
    let i = state.selected ? flat.findIndex((x) => x[0] === state.selected[0] && x[1] === state.selected[1]) : -1;
    i = Math.max(0, Math.min(flat.length - 1, i + delta));
    select(...flat[i]);
  }

  // ---- items ---------------------------------------------------------------------------------
  const kinds = [
    ["problems", "Problems", (x) => [x.text, x.assertion]],
    ["medications", "Medications", (x) => [x.text, x.status, [x.dose, x.route, x.frequency].filter(Boolean).join(" · ") || "no dose said"]],
    ["orders", "Orders", (x) => [x.text, x.kind]],
    ["allergies", "Allergies", (x) => [x.substance, x.reaction || ""]],
  ];
  function encodeValue(obj) { return btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(obj)))); }
  function decodeValue(b64) { try { return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))); } catch (e) { return null; } }
  function renderItems() {
    const root = $("items");
    root.textContent = "";
    kinds.forEach(([key, title, fields]) => {
      const list = visit[key] || [];
      if (list.length === 0) return;
      root.append(el("h3", "", title));
      const ul = el("ul", "item-list");
      list.forEach((item, i) => {
        const ref = key + "/" + i;
        const d = state.decisions[ref];
        const shown = (d && d.action === "edited" && d.value && decodeValue(d.value)) || item;
        const li = el("li", "item");
        li.dataset.ref = ref;
        li.tabIndex = 0;
        if (d) li.classList.add("d-" + d.action);
        const [name, attr, more] = fields(shown);
        li.append(el("span", "item-name", name));
        if (attr) li.append(el("span", "tag", attr));
        if (more) li.append(el("span", "attr", more));
        if (item.code) li.append(el("span", "code", item.code.code));
        li.addEventListener("click", (ev) => { if (ev.target.tagName !== "BUTTON" && ev.target.tagName !== "INPUT" && ev.target.tagName !== "SELECT") markEvidence(item.evidence); });
        if (!state.signed) {
          const b = el("span", "item-actions");
          const acc = el("button", "ok", "✓"); acc.title = "Accept (a)"; acc.setAttribute("aria-label", "Accept " + name);
          const rej = el("button", "no", "✗"); rej.title = "Reject (r)"; rej.setAttribute("aria-label", "Reject " + name);
          const ed = el("button", "", "✎"); ed.title = "Edit"; ed.setAttribute("aria-label", "Edit " + name);
          acc.onclick = () => decide(ref, "accepted");
          rej.onclick = () => decide(ref, "rejected");
          ed.onclick = () => editItem(li, key, ref, shown);
          b.append(acc, rej, ed);
          li.append(b);
        }
        ul.append(li);
      });
      root.append(ul);
    });
    if (!root.firstChild) root.append(el("p", "empty", "No coded items."));
  }
  function decide(ref, action) {
    if (state.signed) return;
    const cur = state.decisions[ref];
    if (cur && cur.action === action) delete state.decisions[ref]; else state.decisions[ref] = { action: action };
    state.dirty = true;
    renderItems();
    renderNote();
    const li = document.querySelector('.item[data-ref="' + ref + '"]');
    if (li) li.focus();
  }
  function editItem(li, key, ref, item) {
    const form = el("form", "item-edit");
    const fields = key === "medications" ? ["text", "dose", "route", "frequency", "status"] : key === "allergies" ? ["substance", "reaction"] : ["text"];
    const inputs = {};
    fields.forEach((f) => {
      const lab = el("label", "", f + " ");
      let inp;
      if (f === "status") {
        inp = el("select");
        ["active", "new", "changed", "stopped", "historical", "considered"].forEach((s) => { const o = el("option", "", s); o.value = s; if (item.status === s) o.selected = true; inp.append(o); });
      } else { inp = el("input"); inp.value = item[f] || ""; }
      inputs[f] = inp;
      lab.append(inp);
      form.append(lab);
    });
    const save = el("button", "primary", "Keep edit");
    save.type = "submit";
    form.append(save);
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const v = clone(item);
      fields.forEach((f) => { const x = inputs[f].value.trim(); v[f] = x === "" && f !== "text" && f !== "substance" ? null : x; });
      state.decisions[ref] = { action: "edited", value: encodeValue(v) };
      state.dirty = true;
      renderItems();
      renderNote();
    };
    li.append(form);
    inputs[fields[0]].focus();
  }

  // ---- alerts --------------------------------------------------------------------------------
  function renderAlerts() {
    const root = $("alerts");
    root.textContent = "";
    (visit.alerts || []).forEach((card) => {
      const ref = "alerts/" + card.uuid;
      const d = state.decisions[ref];
      const box = el("div", "alert i-" + card.indicator);
      box.append(el("strong", "", card.summary));
      box.append(el("div", "detail", card.detail || ""));
      if (card.source && card.source.label) box.append(el("small", "", "Source: " + card.source.label));
      if (d) box.append(el("div", "decided", d.action === "overridden" ? "Overridden: " + d.reason : "Accepted"));
      if (!state.signed && card.uuid) {
        const sel = el("select");
        sel.setAttribute("aria-label", "Override reason");
        const reasons = (card.overrideReasons && card.overrideReasons.length) ? card.overrideReasons : data.override_reasons;
        sel.append(el("option", "", "Override reason…"));
        reasons.forEach((r) => { const o = el("option", "", r.display || r.code); o.value = r.code; sel.append(o); });
        const ov = el("button", "", "Override");
        ov.onclick = () => {
          if (!sel.value || sel.selectedIndex === 0) { message("Pick an override reason first.", "warn"); sel.focus(); return; }
          state.decisions[ref] = { action: "overridden", reason: sel.value }; state.dirty = true; renderAlerts();
        };
        const ac = el("button", "", "Accept");
        ac.onclick = () => { state.decisions[ref] = { action: "accepted" }; state.dirty = true; renderAlerts(); };
        const row = el("div", "alert-actions");
        row.append(sel, ov, ac);
        box.append(row);
      }
      root.append(box);
    });
    if (!root.firstChild) root.append(el("p", "empty", "No alerts for this visit."));
  }

  // ---- turns → sentences and items -----------------------------------------------------------
  document.querySelectorAll(".turn").forEach((li) => {
    li.addEventListener("click", () => {
      const t = Number(li.dataset.turn);
      clearMarks();
      li.classList.add("focus");
      state.note.sections.forEach((s, si) => s.sentences.forEach((sen, ji) => {
        if ((sen.evidence || []).some((e) => e.turn === t)) { const x = sentenceEl(si, ji); if (x) x.classList.add("uses"); }
      }));
      kinds.forEach(([key]) => (visit[key] || []).forEach((item, i) => {
        if ((item.evidence || []).some((e) => e.turn === t)) { const x = document.querySelector('.item[data-ref="' + key + "/" + i + '"]'); if (x) x.classList.add("uses"); }
      }));
      const audio = $("audio");
      if (audio && li.dataset.start) { audio.currentTime = Number(li.dataset.start) / 1000; }
    });
  });
  const audio = $("audio");
  if (audio) audio.addEventListener("timeupdate", () => {
    const ms = audio.currentTime * 1000;
    document.querySelectorAll(".turn.playing").forEach((x) => x.classList.remove("playing"));
    document.querySelectorAll(".turn[data-start]").forEach((li) => {
      if (ms >= Number(li.dataset.start) && ms < Number(li.dataset.end || Infinity)) li.classList.add("playing");
    });
  });

  // ---- save and sign -------------------------------------------------------------------------
  async function post(path, body) {
    const res = await fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body), credentials: "same-origin" });
    let out = {};
    try { out = await res.json(); } catch (e) { /* empty body */ }
    return [res.status, out];
  }
  async function save() {
    if (state.signed) return true;
    const [status, out] = await post("/review", { revision: state.revision, note: state.note, decisions: state.decisions });
    if (status === 200) {
      state.revision = out.revision; state.note = out.note; state.dirty = false;
      renderNote(); message("Saved (revision " + out.revision + ").", "ok");
      return true;
    }
    message(out.detail || ("Save failed (" + status + ")."), "error");
    return false;
  }
  async function sign() {
    if (state.signed) { message("Already signed.", "warn"); return; }
    if (!window.confirm("Sign this note? A signed note cannot be changed; later changes are addenda.")) return;
    const [status, out] = await post("/sign", { revision: state.revision, note: state.note, decisions: state.decisions });
    if (status === 200) {
      state.signed = true; state.dirty = false;
      const st = $("state"); st.textContent = "signed"; st.className = "status s-signed";
      message("Signed by " + out.signed_by + ".", "ok");
      renderAll();
      return;
    }
    message(out.detail || ("Signing failed (" + status + ")."), "error");
  }
  function renderAddenda() {
    const root = $("addenda");
    root.textContent = "";
    if (!state.signed) return;
    root.append(el("h3", "", "ADDENDA"));
    (data.addenda || []).forEach((a) => root.append(el("p", "addendum", a.text + " — " + a.author)));
    const ta = el("textarea");
    ta.setAttribute("aria-label", "Addendum");
    ta.placeholder = "Add an addendum to the signed note";
    const b = el("button", "", "Add addendum");
    b.onclick = async () => {
      const [status, out] = await post("/addendum", { text: ta.value });
      if (status === 200) { data.addenda.push({ text: ta.value.trim(), author: "you" }); renderAddenda(); message("Addendum added.", "ok"); }
      else message(out.detail || "Could not add the addendum.", "error");
    };
    const link = el("a", "", "FHIR DocumentReference");
    link.href = base + "/document-reference";
    root.append(ta, b, el("br"), link);
  }
  function renderAll() {
    renderNote(); renderItems(); renderAlerts(); renderAddenda();
    $("save").disabled = state.signed;
    $("sign").disabled = state.signed;
    document.body.classList.toggle("signed", state.signed);
  }
  $("save").onclick = save;
  $("sign").onclick = sign;
  window.addEventListener("beforeunload", (ev) => { if (state.dirty) { ev.preventDefault(); ev.returnValue = ""; } });
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") return;
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); save(); return; }
    if (ev.key === "S" && ev.shiftKey) { ev.preventDefault(); sign(); return; }
    if (ev.key === "j") { move(1); ev.preventDefault(); }
    else if (ev.key === "k") { move(-1); ev.preventDefault(); }
    else if (ev.key === "Enter" && state.selected && t.classList.contains("sentence")) { ev.preventDefault(); edit(...state.selected); }
    else if ((ev.key === "a" || ev.key === "r") && t.classList.contains("item")) { decide(t.dataset.ref, ev.key === "a" ? "accepted" : "rejected"); }
  });
  renderAll();
})();
