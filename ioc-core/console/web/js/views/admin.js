// Administration: users and roles, departments, administrative units, categories with their
// deadlines, routing rules in the order they are tried, FAQ entries (each a table with a form
// to add and to edit, saved with the version read so a concurrent change answers 409), the
// working calendar, and the IVR menus and queues (plan.js). The routing rules tab has a
// "which rule would route this?" tester (POST /api/v1/routing/test, nothing written); the
// channels tab shows the channels' settings read-only, secrets masked by the server.
import { html, useState, useEffect, api, t, useAsync, useRefs, refName, invalidateRefs, fmtNum, Err, Badge } from "../lib.js";
import { Calendar, Dialplan } from "./plan.js";

const ROLES = ["admin", "supervisor", "agent", "officer", "leader"];
const list = (s) => (s || "").split(/[,\n]/).map((x) => x.trim()).filter(Boolean);
const lines = (s) => (s || "").split("\n").map((x) => x.trim()).filter(Boolean);

// Fields: [key, label, kind, options]. Kinds: text, area, num, bool, list (comma-separated),
// lines (one a line), role, refs:<kind> (one code), multi:<kind> (several codes), password.
// A key with a dot is nested (contacts.email). "new" fields are asked only when adding.
const DEFS = {
  users: {
    path: "/api/v1/users", key: "username", ref: null,
    cols: [["username", "username"], ["name", "name"], ["role", (x) => t("role_" + x.role)], ["departments", (x) => (x.departments || []).join(", ")], ["sipExtension", "extension"], ["status", (x) => (x.disabled ? t("disabled") : t("active"))]],
    fields: [["username", "username", "text", { new: true, required: true }], ["name", "name", "text", { required: true }], ["role", "role", "role"],
      ["departments", "departments", "multi:departments"], ["extension", "sipExtension", "text"], ["password", "password", "password"], ["disabled", "disabled", "bool", { edit: true }]],
    // Accounts change by PATCH with the changed fields; a blank password keeps the old one.
    save: (item, body) => {
      if (!item) return api("POST", "/api/v1/users", body);
      const patch = { version: item.version };
      for (const [k, v] of Object.entries(body)) if (k !== "username" && JSON.stringify(v) !== JSON.stringify(item[k] ?? (Array.isArray(v) ? [] : ""))) patch[k] = v;
      if (!body.password) delete patch.password;
      return api("PATCH", "/api/v1/users/" + encodeURIComponent(item.username), patch);
    },
  },
  departments: {
    path: "/api/v1/departments?limit=500", key: "code", ref: "departments",
    cols: [["codeKey", "code"], ["nameOf", "name"], ["kind", (x) => t("kind_" + x.kind)], ["email", (x) => (x.contacts || {}).email], ["status", (x) => (x.active ? t("active") : t("disabled"))]],
    fields: [["code", "codeKey", "text", { new: true, required: true }], ["name", "nameOf", "text", { required: true }], ["kind", "kind", "choice", { choices: ["agency", "commune_committee", "utility"], label: "kind_" }],
      ["unit", "unitOf", "refs:units"], ["contacts.email", "email", "text"], ["contacts.phone", "phone", "text"], ["contacts.telegram_chat", "telegramChat", "text"], ["active", "active", "bool", { def: true }]],
  },
  units: {
    path: "/api/v1/units?limit=500", key: "code", ref: "units",
    cols: [["codeKey", "code"], ["nameOf", "name"], ["level", (x) => t("level_" + x.level)], ["aliases", (x) => (x.aliases || []).join(", ")]],
    fields: [["code", "codeKey", "text", { new: true, required: true }], ["name", "nameOf", "text", { required: true }], ["level", "level", "choice", { choices: ["ward", "commune", "province"], label: "level_" }],
      ["parent", "parent", "text"], ["aliases", "aliases", "list"], ["centroid.lat", "lat", "num", { step: "any" }], ["centroid.lng", "lng", "num", { step: "any" }]],
  },
  categories: {
    path: "/api/v1/categories?limit=500", key: "code", ref: "categories",
    cols: [["codeKey", "code"], ["nameOf", "name"], ["department", (x, r) => refName(r.departments, x.default_department)], ["acceptHours", (x) => fmtNum(x.accept_hours)], ["answerDays", (x) => fmtNum(x.answer_days)], ["local", (x) => (x.local ? "✓" : "")]],
    fields: [["code", "codeKey", "text", { new: true, required: true }], ["name", "nameOf", "text", { required: true }], ["default_department", "department", "refs:departments"],
      ["accept_hours", "acceptHours", "num", { min: 1 }], ["answer_days", "answerDays", "num", { min: 1 }], ["local", "localHelp", "bool"], ["active", "active", "bool", { def: true }], ["description", "description", "area"]],
  },
  rules: {
    path: "/api/v1/routing-rules", key: "id", base: "/api/v1/routing-rules", del: true,
    cols: [["order", (x) => fmtNum(x.order)], ["nameOf", "name"], ["category", (x, r) => refName(r.categories, x.category)], ["ward", (x, r) => refName(r.units, x.ward)],
      ["keywords", (x) => (x.keywords || []).join(", ")], ["department", (x, r) => (x.department === "@committee" ? t("committee") : refName(r.departments, x.department))], ["status", (x) => (x.active ? t("active") : t("disabled"))]],
    fields: [["id", "codeKey", "text", { new: true }], ["order", "order", "num", { required: true }], ["name", "nameOf", "text", { required: true }], ["category", "category", "refs:categories"],
      ["ward", "ward", "refs:units"], ["keywords", "keywords", "list"], ["department", "department", "refs:departments", { extra: [["@committee", "committee"]] }], ["active", "active", "bool", { def: true }]],
  },
  faq: {
    path: "/api/v1/chatbot/faq?limit=500", key: "id", base: "/api/v1/chatbot/faq", del: true, plain: true,
    cols: [["question", "question"], ["category", (x, r) => refName(r.categories, x.category)], ["keywords", (x) => (x.keywords || []).join(", ")], ["source", "source"]],
    fields: [["question", "question", "text", { required: true }], ["variants", "variants", "lines"], ["keywords", "keywords", "list"], ["answer", "faqAnswer", "area", { required: true }],
      ["category", "category", "refs:categories"], ["source", "source", "text"]],
  },
};

const get = (o, k) => k.split(".").reduce((v, p) => (v == null ? v : v[p]), o);
function set(o, k, v) {
  const ps = k.split(".");
  let cur = o;
  for (const p of ps.slice(0, -1)) cur = cur[p] = { ...(cur[p] || {}) };
  cur[ps[ps.length - 1]] = v;
}

// saveDef is how a table without its own save writes: POST to add; PUT of the whole record
// with its version to change (reference tables), or of the fields only ("plain", the FAQ).
function saveDef(def, item, body) {
  const base = def.base || def.path.split("?")[0];
  if (!item) return api("POST", base, body);
  const whole = def.plain ? { ...body, version: item.version } : { ...item, ...body, version: item.version };
  return api("PUT", base + "/" + encodeURIComponent(item[def.key]), whole);
}

function readForm(def, form, item) {
  const f = new FormData(form);
  const body = {};
  for (const [k, , kind, o = {}] of def.fields) {
    if (o.new && item) continue;
    if (o.edit && !item) continue;
    const raw = f.get(k);
    let v;
    if (kind === "bool") v = raw === "on";
    else if (kind === "num") v = raw === "" ? undefined : Number(raw);
    else if (kind === "list") v = list(raw);
    else if (kind === "lines") v = lines(raw);
    else if (kind.startsWith("multi:")) v = f.getAll(k);
    else v = (raw || "").trim();
    if (v === undefined || (v === "" && (!item || get(item, k) === undefined))) continue;
    set(body, k, v);
  }
  return body;
}

function Field({ k, label, kind, o = {}, value, refs }) {
  const id = "adm-" + k.replace(/\./g, "-");
  const req = !!o.required;
  let input;
  if (kind === "bool") return html`<label class="check"><input type="checkbox" id=${id} name=${k} checked=${value === undefined ? !!o.def : !!value} /> ${t(label)}</label>`;
  if (kind === "area") input = html`<textarea id=${id} name=${k} required=${req} value=${value || ""}></textarea>`;
  else if (kind === "num") input = html`<input id=${id} name=${k} type="number" step=${o.step || "1"} min=${o.min} required=${req} value=${value ?? ""} />`;
  else if (kind === "list") input = html`<input id=${id} name=${k} value=${(value || []).join(", ")} />`;
  else if (kind === "lines") input = html`<textarea id=${id} name=${k} value=${(value || []).join("\n")}></textarea>`;
  else if (kind === "password") input = html`<input id=${id} name=${k} type="password" autocomplete="new-password" minlength="8" />`;
  else if (kind === "role") input = html`<select id=${id} name=${k}>${ROLES.map((r) => html`<option value=${r} selected=${r === (value || "agent")}>${t("role_" + r)}</option>`)}</select>`;
  else if (kind === "choice") input = html`<select id=${id} name=${k}>${o.choices.map((c) => html`<option value=${c} selected=${c === value}>${t(o.label + c)}</option>`)}</select>`;
  else if (kind.startsWith("refs:")) {
    const items = Object.values(refs[kind.slice(5)] || {});
    input = html`<select id=${id} name=${k}><option value="">—</option>
      ${(o.extra || []).map(([c, l]) => html`<option value=${c} selected=${c === value}>${t(l)}</option>`)}
      ${items.map((x) => html`<option value=${x.code} selected=${x.code === value}>${x.name} (${x.code})</option>`)}</select>`;
  } else if (kind.startsWith("multi:")) {
    const items = Object.values(refs[kind.slice(6)] || {});
    input = html`<select id=${id} name=${k} multiple size="5">${items.map((x) => html`<option value=${x.code} selected=${(value || []).includes(x.code)}>${x.name} (${x.code})</option>`)}</select>`;
  } else input = html`<input id=${id} name=${k} required=${req} value=${value || ""} />`;
  return html`<label for=${id}>${t(label)}${kind === "password" ? html` <small class="muted">${t("passwordHint")}</small>` : ""}${input}</label>`;
}

// Editor adds (item null) or changes a record. A 409 (someone saved the record meanwhile)
// reopens the form on the fresh record with stale set, so nothing is silently overwritten.
function Editor({ def, item, refs, stale, onDone }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    try {
      const body = readForm(def, e.target, item);
      await (def.save ? def.save(item, body) : saveDef(def, item, body));
      onDone(true);
    } catch (x) {
      if (x.status === 409 && item) onDone(false, true); else setErr(x); // a 409 on adding: the code is taken
    } finally { setBusy(false); }
  };
  const remove = async () => {
    if (!confirm(t("confirmDelete"))) return;
    try { await api("DELETE", def.base + "/" + encodeURIComponent(item[def.key])); onDone(true); } catch (x) { setErr(x); }
  };
  return html`<form class="card action-form" id="admin-form" onSubmit=${submit} aria-label=${item ? t("edit") : t("add")}>
    <h2>${item ? t("edit") + ": " + item[def.key] : t("add")}</h2>
    <div class="form-grid">${def.fields.filter(([, , , o = {}]) => !(o.new && item) && !(o.edit && !item))
      .map(([k, label, kind, o]) => html`<${Field} key=${k} k=${k} label=${label} kind=${kind} o=${o} value=${item ? get(item, k) : undefined} refs=${refs} />`)}</div>
    ${stale && !err && html`<p class="error" role="alert">${t("staleRecord")}</p>`}
    <${Err} error=${err} />
    <div class="row"><button class="primary" disabled=${busy} data-submit="save">${t("save")}</button>
      <button type="button" onClick=${() => onDone(false)}>${t("cancel")}</button>
      ${item && def.del && html`<button type="button" class="danger" onClick=${remove} data-submit="delete">${t("delete")}</button>`}</div>
  </form>`;
}

function Table({ name, def }) {
  const res = useAsync(() => api("GET", def.path), [name]);
  const refs = { departments: useRefs("departments"), categories: useRefs("categories"), units: useRefs("units") };
  const [editing, setEditing] = useState(null); // null, "new" or the record
  const [stale, setStale] = useState(false);
  const items = (res.data && (res.data.items || res.data)) || [];
  // After a reload the form follows the record's fresh version.
  useEffect(() => {
    if (!editing || editing === "new") return;
    const fresh = items.find((x) => x[def.key] === editing[def.key]);
    if (fresh && fresh.version !== editing.version) setEditing(fresh);
  }, [res.data]);
  const edit = (x) => { setStale(false); setEditing(x); };
  const cell = (x, c) => (typeof c === "function" ? c(x, refs) : x[c]);
  const done = (changed, conflict) => {
    setStale(!!conflict);
    if (changed) { setEditing(null); if (def.ref) invalidateRefs(def.ref); }
    res.reload();
  };
  return html`<div>
    <div class="row"><span class="grow muted">${fmtNum(items.length)} ${t("records")}</span>
      <button onClick=${() => edit("new")} data-action="add">${t("add")}</button></div>
    ${editing && html`<${Editor} key=${editing === "new" ? "new" : editing[def.key] + editing.version} def=${def} item=${editing === "new" ? null : editing} refs=${refs} stale=${stale} onDone=${done} />`}
    <${Err} error=${res.error} />
    <div style="overflow-x:auto"><table id=${"admin-" + name}><thead><tr>${def.cols.map(([l]) => html`<th>${t(l)}</th>`)}<th></th></tr></thead>
      <tbody>${items.map((x) => html`<tr data-key=${x[def.key]}>${def.cols.map(([, c]) => html`<td>${cell(x, c)}</td>`)}
        <td><button class="link" data-edit=${x[def.key]} onClick=${() => edit(x)}>${t("edit")}</button></td></tr>`)}</tbody></table></div>
  </div>`;
}

// RuleTester asks the server where a ticket would go, by the routing function ticket
// creation uses; the outcome is explained from its match kind, in the console's language.
function RuleTester() {
  const refs = { departments: useRefs("departments"), categories: useRefs("categories"), units: useRefs("units") };
  const [res, setRes] = useState(null);
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {};
    for (const k of ["category", "ward", "description"]) { const v = (f.get(k) || "").trim(); if (v) body[k] = v; }
    setBusy(true); setErr(null);
    try { setRes(await api("POST", "/api/v1/routing/test", body)); } catch (x) { setRes(null); setErr(x); } finally { setBusy(false); }
  };
  const why = (r) => {
    if (r.match === "rule") return t("rt_why_rule", r.rule_name || r.rule, r.rule) + (r.keyword ? " " + t("rt_why_keyword", r.keyword) : "");
    if (r.match === "category_committee") return t("rt_why_committee", refName(refs.categories, r.category));
    if (r.match === "category_default") return t("rt_why_default", refName(refs.categories, r.category));
    return r.category && r.ward ? t("rt_why_none", refName(refs.categories, r.category)) : t("rt_why_incomplete");
  };
  return html`<form class="card action-form" id="rule-tester" onSubmit=${submit} aria-label=${t("rt_title")}>
    <h2>${t("rt_title")}</h2>
    <p class="muted">${t("rt_hint")}</p>
    <div class="form-grid">
      <label for="rt-category">${t("category")}<select id="rt-category" name="category"><option value="">—</option>
        ${Object.values(refs.categories).map((x) => html`<option value=${x.code}>${x.name} (${x.code})</option>`)}</select></label>
      <label for="rt-ward">${t("ward")}<input id="rt-ward" name="ward" list="rt-units" placeholder=${t("rt_wardHint")} /></label>
      <datalist id="rt-units">${Object.values(refs.units).map((x) => html`<option value=${x.code}>${x.name}</option>`)}</datalist>
    </div>
    <label for="rt-description">${t("description")}<textarea id="rt-description" name="description"></textarea></label>
    <div class="row"><button class="primary" disabled=${busy} data-submit="route-test">${t("rt_run")}</button></div>
    <${Err} error=${err} />
    ${res && html`<div id="rule-test-result" role="status" style="margin-top:.75rem" data-rule=${res.rule || ""} data-department=${res.department || ""} data-match=${res.match}>
      <dl class="fields">
        <dt>${t("department")}</dt><dd>${res.department ? html`${res.department_name || res.department} (${res.department})` : html`<strong>${t("rt_staysTriage")}</strong>`}</dd>
        <dt>${t("rt_rule")}</dt><dd>${res.rule ? html`${res.rule_name} (${res.rule})` : t("rt_noRule")}</dd>
        ${res.ward && html`<dt>${t("ward")}</dt><dd>${res.ward_name || res.ward} (${res.ward})</dd>`}
        <dt>${t("reason")}</dt><dd>${why(res)}</dd>
      </dl></div>`}
  </form>`;
}

// Channels shows GET /api/v1/channels: read-only, every secret already masked by the server.
function Channels() {
  const res = useAsync(() => api("GET", "/api/v1/channels"), []);
  const d = res.data;
  const pairs = (o) => Object.entries(o || {}).map(([k, v]) => html`<dt><code>${k}</code></dt><dd>${Array.isArray(v) ? v.join(", ") || "—" : v === "" || v === null ? "—" : String(v)}</dd>`);
  const win = (w) => (w ? [t("ch_windowHours", fmtNum(w.hours)), w.free_replies ? t("ch_freeReplies", fmtNum(w.free_replies)) : "", w.human_agent_hours ? t("ch_humanHours", fmtNum(w.human_agent_hours)) : ""].filter(Boolean).join("; ") : t("ch_noWindow"));
  return html`<div id="admin-channels">
    <p class="muted">${t("ch_hint")}</p>
    <${Err} error=${res.error} />
    ${d && d.items.map((c) => html`<section class="card" data-channel=${c.channel} style="margin-bottom:1rem">
      <h2>${t("ch_" + c.channel)} <${Badge} kind=${c.enabled ? "ok" : "warning"}>${c.enabled ? t("ch_on") : t("ch_off")}<//></h2>
      ${!c.enabled && c.needs && html`<p class="muted">${t(c.needs_any ? "ch_needsAny" : "ch_needs")}: ${c.needs.map((k, i) => html`${i ? ", " : ""}<code>${k}</code>`)}</p>`}
      <dl class="fields">
        ${c.mode && html`<dt>${t("ch_mode")}</dt><dd>${t("ch_mode_" + c.mode)}</dd>`}
        ${c.webhook_path && html`<dt>${t("ch_webhook")}</dt><dd><code>${c.webhook_url || c.webhook_path}</code></dd>`}
        <dt>${t("ch_window")}</dt><dd>${win(c.reply_window)}</dd>
        ${pairs(c.base_urls)}${pairs(c.settings)}${pairs(c.endpoints)}
      </dl>
      <h3>${t("ch_secrets")}</h3>
      <table><thead><tr><th>${t("ch_key")}</th><th>${t("ch_env")}</th><th>${t("ch_value")}</th></tr></thead>
        <tbody>${(c.secrets || []).map((s) => html`<tr data-secret=${s.key}><td><code>${s.key}</code></td><td><code>${s.env}</code></td>
          <td>${s.value === "not set" ? html`<span class="muted">${t("ch_notSet")}</span>` : s.value === "set" ? t("ch_set") : s.value === "generated" ? t("ch_generated") : html`<code>${s.value}</code>`}</td></tr>`)}</tbody></table>
    </section>`)}
    ${d && html`<section class="card"><h2>${t("ch_general")}</h2><dl class="fields">${pairs(d.general)}</dl></section>`}
  </div>`;
}

const TABS = ["users", "departments", "units", "categories", "rules", "calendar", "dialplan", "faq", "channels"];

export default function Admin({ arg }) {
  const tab = TABS.includes(arg) ? arg : "users";
  let body;
  if (tab === "calendar") body = html`<${Calendar} />`;
  else if (tab === "dialplan") body = html`<${Dialplan} />`;
  else if (tab === "channels") body = html`<${Channels} />`;
  else if (tab === "rules") body = html`<div><${RuleTester} /><${Table} key=${tab} name=${tab} def=${DEFS[tab]} /></div>`;
  else body = html`<${Table} key=${tab} name=${tab} def=${DEFS[tab]} />`;
  return html`<div>
    <h1>${t("navAdmin")}</h1>
    <nav class="tabs" aria-label=${t("navAdmin")}>${TABS.map((k) => html`<a class="tab" href=${"#/admin/" + k} aria-current=${tab === k ? "page" : null}>${t("tab_" + k)}</a>`)}</nav>
    ${body}
  </div>`;
}
