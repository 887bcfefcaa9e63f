// One ticket: its fields, deadlines, the actions the user may take now, and its history.
import { html, useState, useEffect, api, t, fmtDateTime, fmtNum, useRefs, refName, errText, Badge, token } from "../lib.js";

const H = ["agent", "supervisor"];
// actions: which statuses, which roles (admin always), and the fields each asks for.
const ACTIONS = {
  accept: { from: ["assigned"], roles: ["officer", "supervisor"], fields: [] },
  answer: { from: ["in_progress"], roles: ["officer", "supervisor"], fields: ["text", "files"] },
  request_extension: { from: ["assigned", "in_progress"], roles: ["officer", "supervisor"], fields: ["days", "reason"], when: (tk) => !tk.extension || tk.extension.state !== "requested" },
  transfer: { from: ["assigned", "in_progress"], roles: ["officer", ...H], fields: ["department", "reason"] },
  return: { from: ["assigned", "in_progress"], roles: ["officer", "supervisor"], fields: ["reason"] },
  grant_extension: { from: ["assigned", "in_progress"], roles: ["supervisor", "leader"], fields: ["days"], when: (tk) => tk.extension && tk.extension.state === "requested" },
  deny_extension: { from: ["assigned", "in_progress"], roles: ["supervisor", "leader"], fields: ["reason"], when: (tk) => tk.extension && tk.extension.state === "requested" },
  triage: { from: ["new"], roles: H, fields: ["category", "ward", "address", "department"] },
  assign: { from: ["new"], roles: H, fields: ["department"] },
  approve: { from: ["answered"], roles: H, fields: [] },
  send_back: { from: ["answered"], roles: H, fields: ["reason"] },
  reject: { from: ["new", "assigned"], roles: H, fields: ["reason"] },
  close: { from: ["resolved"], roles: H, fields: [] },
  reopen: { from: ["resolved", "closed"], roles: H, fields: ["reason"] },
  comment: { from: null, roles: ["officer", "leader", ...H], fields: ["text", "public"] },
};

/** availableActions lists the actions role may take on ticket tk now. */
export function availableActions(tk, role) {
  return Object.entries(ACTIONS).filter(([, a]) => (!a.from || a.from.includes(tk.status)) &&
    (role === "admin" || a.roles.includes(role)) && (!a.when || a.when(tk))).map(([name]) => name);
}

/** DueBadge marks a ticket overdue or due soon. */
export function DueBadge({ tk }) {
  if (tk.overdue || tk.accept_overdue) return html`<${Badge} kind="overdue">${t("overdue")}<//>`;
  if (tk.due_soon) return html`<${Badge} kind="soon">${t("dueSoon")}<//>`;
  return null;
}

export const StatusBadge = ({ status }) => html`<${Badge} kind="status">${t("st_" + status)}<//>`;

function Field({ name, tk, refsMaps }) {
  const { depts, cats, units } = refsMaps;
  const id = "f-" + name;
  switch (name) {
    case "text": return html`<label for=${id}>${t("text")}<textarea id=${id} name="text" required></textarea></label>`;
    case "reason": return html`<label for=${id}>${t("reason")}<textarea id=${id} name="reason" required></textarea></label>`;
    case "days": return html`<label for=${id}>${t("days")}<input id=${id} name="days" type="number" min="1" max="60" value=${(tk.extension && tk.extension.days) || 5} /></label>`;
    case "public": return html`<label class="row"><input type="checkbox" name="public" style="width:auto" /> ${t("publicNote")}</label>`;
    case "files": return html`<label for=${id}>${t("attachments")} (JPEG, PNG, PDF)<input id=${id} name="files" type="file" multiple accept="image/jpeg,image/png,application/pdf" /></label>`;
    case "address": return html`<label for=${id}>${t("address")}<input id=${id} name="address" value=${tk.address || ""} /></label>`;
    case "department": return html`<label for=${id}>${t("department")}<select id=${id} name="department">
      <option value="">—</option>
      ${Object.values(depts).map((d) => html`<option value=${d.code} selected=${d.code === tk.department}>${d.name}</option>`)}</select></label>`;
    case "category": return html`<label for=${id}>${t("category")}<select id=${id} name="category">
      <option value="">—</option>
      ${Object.values(cats).map((c) => html`<option value=${c.code} selected=${c.code === tk.category}>${c.name}</option>`)}</select></label>`;
    case "ward": return html`<label for=${id}>${t("ward")}<select id=${id} name="ward">
      <option value="">—</option>
      ${Object.values(units).filter((u) => u.level !== "province").map((u) => html`<option value=${u.code} selected=${u.code === tk.ward}>${u.name}</option>`)}</select></label>`;
  }
  return null;
}

async function upload(code, files) {
  const fd = new FormData();
  for (const f of files) fd.append("file", f, f.name);
  return api("POST", `/api/v1/tickets/${encodeURIComponent(code)}/attachments`, fd);
}

function ActionForm({ name, tk, refsMaps, onDone, onCancel }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const def = ACTIONS[name];
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { version: tk.version };
    for (const k of def.fields) {
      if (k === "files") continue;
      if (k === "public") { body.public = f.get("public") === "on"; continue; }
      const v = f.get(k);
      if (v !== null && v !== "") body[k] = k === "days" ? Number(v) : v;
    }
    setBusy(true); setErr(null);
    try {
      const files = def.fields.includes("files") ? f.getAll("files").filter((x) => x && x.size) : [];
      if (files.length) {
        await upload(tk.code, files);
        body.version = (await api("GET", `/api/v1/tickets/${encodeURIComponent(tk.code)}`)).version;
      }
      const out = await api("POST", `/api/v1/tickets/${encodeURIComponent(tk.code)}/actions/${name}`, body);
      onDone(out);
    } catch (x) {
      if (x.status === 409 && /version/i.test(x.message)) { setErr({ message: t("stale") }); onDone(null); }
      else setErr(x);
    } finally { setBusy(false); }
  };
  return html`<form class="action-form" onSubmit=${submit} aria-label=${t("act_" + name)}>
    <h3>${t("act_" + name)}</h3>
    ${def.fields.map((k) => html`<${Field} name=${k} tk=${tk} refsMaps=${refsMaps} />`)}
    ${err && html`<p class="error" role="alert">${errText(err)}</p>`}
    <div class="row"><button class="primary" type="submit" disabled=${busy} data-submit=${name}>${t("confirm")}: ${t("act_" + name)}</button>
    <button type="button" onClick=${onCancel}>${t("cancel")}</button></div>
  </form>`;
}

async function openAttachment(code, a) {
  const res = await fetch(`/api/v1/tickets/${encodeURIComponent(code)}/attachments/${a.id}`, { headers: { Authorization: "Bearer " + token() } });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  window.open(url, "_blank", "noopener");
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** TicketDetail loads ticket code and lets me act on it; onChange runs after each action. */
export function TicketDetail({ code, me, onChange }) {
  const [tk, setTk] = useState(null);
  const [err, setErr] = useState(null);
  const [open, setOpen] = useState(null);
  const [msg, setMsg] = useState("");
  const depts = useRefs("departments"), cats = useRefs("categories"), units = useRefs("units");
  const load = () => api("GET", `/api/v1/tickets/${encodeURIComponent(code)}`).then((x) => { setTk(x); setErr(null); }, setErr);
  useEffect(() => { setTk(null); setOpen(null); setMsg(""); load(); }, [code]);
  if (err && !tk) return html`<div class="card"><p class="error" role="alert">${errText(err)}</p></div>`;
  if (!tk) return html`<div class="card muted">${t("loading")}</div>`;
  const acts = availableActions(tk, me.role);
  const done = (out) => {
    setOpen(null);
    if (out) { setTk(out); setMsg(t("act_" + open) + " ✓"); } else load();
    if (onChange) onChange(out);
  };
  return html`<article class="card ticket" aria-labelledby="tk-title">
    <div class="row"><h2 id="tk-title" class="grow">${t("ticket")} ${tk.code}</h2><${StatusBadge} status=${tk.status} /><${DueBadge} tk=${tk} /></div>
    ${msg && html`<p class="ok" role="status">${msg}</p>`}
    <dl class="fields">
      <dt>${t("description")}</dt><dd>${tk.description}</dd>
      <dt>${t("category")}</dt><dd>${refName(cats, tk.category)}</dd>
      <dt>${t("department")}</dt><dd>${refName(depts, tk.department)}</dd>
      <dt>${t("ward")}</dt><dd>${refName(units, tk.ward)}</dd>
      <dt>${t("address")}</dt><dd>${tk.address || "—"}</dd>
      <dt>${t("reporter")}</dt><dd>${[tk.reporter.name, tk.reporter.phone, tk.reporter.email].filter(Boolean).join(" · ") || "—"}</dd>
      <dt>${t("channel")}</dt><dd>${tk.channel}</dd>
      <dt>${t("createdAt")}</dt><dd>${fmtDateTime(tk.created_at)}</dd>
      ${tk.status === "assigned" && html`<dt>${t("acceptDueAt")}</dt><dd>${fmtDateTime(tk.accept_due_at)}</dd>`}
      <dt>${t("dueAt")}</dt><dd>${tk.due_at ? fmtDateTime(tk.due_at) : t("noDue")}</dd>
      ${tk.extension && html`<dt>${t("extension")}</dt><dd>${fmtNum(tk.extension.days)} · ${tk.extension.state} · ${tk.extension.reason}</dd>`}
      ${tk.reason && html`<dt>${t("reason")}</dt><dd>${tk.reason}</dd>`}
      ${tk.answer && html`<dt>${t("answer")}</dt><dd class="answer">${tk.answer.text} <small class="muted">(${tk.answer.by}, ${fmtDateTime(tk.answer.at)})</small></dd>`}
      ${tk.attachments && tk.attachments.length > 0 && html`<dt>${t("attachments")}</dt><dd>${tk.attachments.map((a) => html`<button class="link" onClick=${() => openAttachment(tk.code, a)}>${a.name}</button> `)}</dd>`}
    </dl>
    ${acts.length > 0 && html`<div class="actions" role="group" aria-label=${t("action")}>
      ${acts.map((a) => html`<button data-action=${a} aria-pressed=${open === a} class=${a === "accept" || a === "answer" || a === "approve" ? "primary" : ""}
        onClick=${() => setOpen(open === a ? null : a)}>${t("act_" + a)}</button>`)}</div>`}
    ${open && html`<${ActionForm} key=${open} name=${open} tk=${tk} refsMaps=${{ depts, cats, units }} onDone=${done} onCancel=${() => setOpen(null)} />`}
    ${tk.comments && tk.comments.length > 0 && html`<h3>${t("comments")}</h3><ul>${tk.comments.map((c) => html`<li>${c.text} <small class="muted">${c.by}, ${fmtDateTime(c.at)}${c.public ? " · " + t("publicNote") : ""}</small></li>`)}</ul>`}
    <h3>${t("history")}</h3>
    <div style="overflow-x:auto"><table class="history"><thead><tr><th>${t("at")}</th><th>${t("by")}</th><th>${t("action")}</th><th>${t("status")}</th><th>${t("reason")}</th></tr></thead>
    <tbody>${(tk.history || []).slice().reverse().map((e) => html`<tr>
      <td>${fmtDateTime(e.at)}</td><td>${e.by}</td><td>${t("act_" + e.action)}</td>
      <td>${e.from ? t("st_" + e.from) + " → " : ""}${t("st_" + e.to)}${e.department ? " · " + refName(depts, e.department) : ""}</td>
      <td>${[e.reason, e.note].filter(Boolean).join(" · ")}</td></tr>`)}</tbody></table></div>
  </article>`;
}

/** TicketItem is one row of a ticket list. */
export function TicketItem({ tk, current, onSelect, cats }) {
  const cls = "item" + (tk.overdue || tk.accept_overdue ? " overdue" : tk.due_soon ? " soon" : "");
  const due = tk.status === "assigned" ? tk.accept_due_at : tk.due_at;
  return html`<button class=${cls} aria-current=${current ? "true" : "false"} data-code=${tk.code} onClick=${() => onSelect(tk.code)}>
    <span class="line1"><strong>${tk.code}</strong><${StatusBadge} status=${tk.status} /><${DueBadge} tk=${tk} />
      <span class="muted grow" style="text-align:right">${t(tk.status === "assigned" ? "acceptDueAt" : "dueAt")}: ${due ? fmtDateTime(due) : "—"}</span></span>
    <span class="desc">${refName(cats || {}, tk.category)} · ${tk.description}</span>
  </button>`;
}
