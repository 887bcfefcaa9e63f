// Agent desktop: the live inbox, a conversation with its history, reply (draft kept in
// localStorage), canned replies, notes, transfer, resolve, ticket from the conversation, the
// phone state and the incoming-call screen pop.
import { html, useState, useEffect, useRef, useCallback, api, t, fmtDateTime, fmtTime, useRefs, refName, draft, coalesce, Err, Badge, errText, usePoll } from "../lib.js";
import { LiveSocket } from "../live.js";

const TABS = { mine: "agent=me", queued: "state=queued", resolved: "state=resolved&agent=me" };
const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2));

function ConvItem({ c, current, unread, onSelect }) {
  return html`<button class="item" aria-current=${current ? "true" : "false"} data-conv=${c.id} onClick=${() => onSelect(c.id)}>
    <span class="line1"><strong>${c.subject || c.summary || c.channel}</strong><${Badge} kind="status">${t("cs_" + c.state)}<//>
      ${unread && html`<${Badge} kind="soon">●<//>`}<span class="muted grow" style="text-align:right">${fmtTime(c.updated_at)}</span></span>
    <span class="desc">${c.channel} · ${c.agent || c.team || "—"}</span></button>`;
}

function Message({ m }) {
  const who = m.direction === "in" ? t("citizen") : m.author || "";
  return html`<div class=${"msg msg-" + m.direction} data-seq=${m.seq}>
    ${m.direction === "note" && html`<small>${t("note")}</small>`}
    ${m.text}${(m.attachments || []).map((a) => html` [${a.name || a.type}]`)}
    <small>${m.pending ? t("sending") + " · " : ""}${who} · ${fmtDateTime(m.created_at)}${m.edited_at ? " · ✎" : ""}${m.delivery && m.delivery.state ? " · " + m.delivery.state : ""}</small></div>`;
}

// Composer sends a reply or a note. The text shows in the conversation at once (onPending) and
// leaves the box; it stays in the draft until the server has it, and comes back to the box if
// sending fails, so a typed reply is never lost.
function Composer({ conv, onSent, onPending }) {
  const key = "conv." + conv.id;
  const [text, setText] = useState(draft.get(key));
  const [note, setNote] = useState(false);
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const canned = useRef([]);
  const [cannedList, setCanned] = useState([]);
  useEffect(() => { setText(draft.get(key)); setErr(null); }, [conv.id]);
  useEffect(() => { api("GET", "/api/v1/canned-replies").then((r) => { canned.current = r.items || []; setCanned(canned.current); }, () => {}); }, []);
  const change = (v) => { setText(v); draft.set(key, v); };
  const send = async () => {
    const body = text.trim();
    if (!body || busy) return;
    // The client message id stays with the draft, so a resend after a failure is idempotent.
    let id = draft.get(key + ".id");
    if (!id) { id = uuid(); draft.set(key + ".id", id); }
    setBusy(true); setErr(null);
    onPending({ id: "pending-" + id, seq: Number.MAX_SAFE_INTEGER, direction: note ? "note" : "out", text: body, pending: true });
    setText("");
    try {
      const m = await api("POST", `/api/v1/conversations/${conv.id}/${note ? "notes" : "messages"}`, { text: body, client_msg_id: id });
      draft.set(key, ""); draft.set(key + ".id", "");
      onSent(m);
    } catch (x) { setErr(x); setText(draft.get(key)); } finally { onPending(null); setBusy(false); }
  };
  const keydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); } };
  return html`<div class="composer">
    ${cannedList.length > 0 && html`<label>${t("canned")}<select onChange=${(e) => { const c = cannedList.find((x) => x.id === e.target.value); if (c) change((text ? text + " " : "") + c.text); e.target.value = ""; }}>
      <option value="">—</option>${cannedList.map((c) => html`<option value=${c.id}>${c.shortcut} — ${c.text.slice(0, 60)}</option>`)}</select></label>`}
    <label class="sr-only" for="reply">${t("typeReply")}</label>
    <textarea id="reply" value=${text} onInput=${(e) => change(e.target.value)} onKeyDown=${keydown} placeholder=${t("typeReply")}></textarea>
    <${Err} error=${err} />
    <div class="row"><label class="row" style="margin:0"><input type="checkbox" style="width:auto" checked=${note} onChange=${(e) => setNote(e.target.checked)} /> ${t("note")}</label>
      <span class="muted grow">${text ? t("draftKept") : ""}</span>
      <button class="primary" id="send" onClick=${send} disabled=${busy || !text.trim()}>${t("send")}</button></div>
  </div>`;
}

function TicketFromConversation({ conv, messages, onCreated }) {
  const cats = useRefs("categories"), units = useRefs("units");
  const [err, setErr] = useState(null);
  const [made, setMade] = useState(null);
  const slots = conv.slots || {};
  const said = messages.filter((m) => m.direction === "in" && m.text).map((m) => m.text).join("\n");
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {};
    for (const k of ["category", "ward", "address", "description"]) if (f.get(k)) body[k] = f.get(k);
    setErr(null);
    try { const tk = await api("POST", `/api/v1/conversations/${conv.id}/ticket`, body); setMade(tk.code); onCreated(tk); }
    catch (x) { setErr(x); }
  };
  return html`<form class="card" onSubmit=${submit} aria-label=${t("createTicket")} id="ticket-form">
    <h3>${t("createTicket")}</h3>
    <label>${t("category")}<select name="category"><option value="">—</option>
      ${Object.values(cats).map((c) => html`<option value=${c.code} selected=${c.code === slots.category}>${c.name}</option>`)}</select></label>
    <label>${t("ward")}<select name="ward"><option value="">—</option>
      ${Object.values(units).filter((u) => u.level !== "province").map((u) => html`<option value=${u.code} selected=${u.code === slots.ward}>${u.name}</option>`)}</select></label>
    <label>${t("address")}<input name="address" value=${slots.address || ""} /></label>
    <label>${t("description")}<textarea name="description" value=${slots.description || conv.summary || said}></textarea></label>
    <${Err} error=${err} />
    ${made && html`<p class="ok" role="status">${t("ticketCreated", made)}</p>`}
    <button class="primary">${t("createTicket")}</button>
  </form>`;
}

function Conversation({ conv, me, live, onChanged }) {
  const [msgs, setMsgs] = useState([]);
  const [err, setErr] = useState(null);
  const [agents, setAgents] = useState([]);
  const [xfer, setXfer] = useState(false);
  const [pending, setPending] = useState(null); // the reply being sent, shown until the server has it
  const box = useRef(null);
  const last = useRef(0);
  const merge = useCallback((list) => setMsgs((cur) => {
    const byId = new Map(cur.map((m) => [m.id, m]));
    for (const m of list) { byId.set(m.id, m); last.current = Math.max(last.current, m.updated_seq || m.seq); }
    return [...byId.values()].sort((a, b) => a.seq - b.seq);
  }), []);
  // resume loads what came after the newest sequence number seen.
  const resume = useCallback(async () => {
    try {
      let after = last.current;
      for (;;) {
        const r = await api("GET", `/api/v1/conversations/${conv.id}/messages?limit=200&after_seq=${after}`);
        const items = r.items || [];
        merge(items);
        if (items.length < 200) break;
        after = Math.max(...items.map((m) => m.updated_seq || m.seq));
      }
    } catch (x) { setErr(x); }
  }, [conv.id]);
  useEffect(() => { setMsgs(live.cached(conv.id)); last.current = 0; setErr(null); resume(); }, [conv.id]);
  useEffect(() => live.on(conv.id, (f) => { if (f.message) merge([f.message]); }, resume), [conv.id]);
  useEffect(() => { if (box.current) box.current.scrollTop = box.current.scrollHeight; }, [msgs.length]);
  const act = async (path, body) => {
    setErr(null);
    try { onChanged(await api("POST", `/api/v1/conversations/${conv.id}/${path}`, body)); } catch (x) { setErr(x); }
  };
  const openXfer = () => { setXfer(!xfer); api("GET", "/api/v1/inbox/agents").then((r) => setAgents(r.items || []), () => {}); };
  const canAct = conv.state !== "resolved";
  return html`<section class="card conv-pane" aria-label=${t("inbox")}>
    <div class="row"><h2 class="grow">${conv.subject || conv.channel} <small class="muted">${conv.id.slice(-6)}</small></h2>
      <${Badge} kind="status">${t("cs_" + conv.state)}<//></div>
    <div class="actions">
      ${(conv.state === "queued" || conv.state === "bot") && html`<button class="primary" onClick=${() => act("take")}>${t("take")}</button>`}
      ${canAct && conv.state !== "pending" && html`<button onClick=${() => act("pending")}>${t("pending")}</button>`}
      ${canAct && html`<button onClick=${openXfer} aria-expanded=${xfer}>${t("transfer")}</button>`}
      ${canAct && html`<button onClick=${() => act("resolve")} data-action="resolve">${t("resolve")}</button>`}
    </div>
    ${xfer && html`<form class="action-form row" onSubmit=${(e) => { e.preventDefault(); const f = new FormData(e.target); act("transfer", f.get("agent") ? { agent: f.get("agent") } : { team: f.get("team") }); setXfer(false); }}>
      <label class="grow">${t("toAgent")}<select name="agent"><option value="">—</option>${agents.filter((a) => a.agent !== me.username).map((a) => html`<option value=${a.agent}>${a.agent} (${a.status})</option>`)}</select></label>
      <label class="grow">${t("toTeam")}<input name="team" /></label><button class="primary">${t("transfer")}</button></form>`}
    <${Err} error=${err} />
    <div class="messages" ref=${box} aria-live="polite" id="messages">${(pending ? [...msgs, pending] : msgs).map((m) => html`<${Message} key=${m.id} m=${m} />`)}</div>
    ${canAct && html`<${Composer} conv=${conv} onSent=${(m) => merge([m])} onPending=${setPending} />`}
  </section>
  <${SidePanel} conv=${conv} msgs=${msgs} onChanged=${onChanged} />`;
}

function SidePanel({ conv, msgs, onChanged }) {
  const [contact, setContact] = useState(null);
  useEffect(() => { setContact(null); if (conv.contact_id) api("GET", "/api/v1/contacts/" + conv.contact_id).then(setContact, () => {}); }, [conv.contact_id]);
  return html`<aside class="side" style="display:grid; gap:.75rem">
    <div class="card"><h3>${t("citizen")}</h3>
      ${contact ? html`<p>${[contact.name, contact.phone, contact.email].filter(Boolean).join(" · ") || contact.id}</p>` : html`<p class="muted">—</p>`}
      <h3>${t("linkedTickets")}</h3>
      ${(conv.tickets || []).length ? html`<ul>${conv.tickets.map((c) => html`<li><a href=${"#/triage/" + c}>${c}</a></li>`)}</ul>` : html`<p class="muted">${t("none")}</p>`}
    </div>
    <${TicketFromConversation} conv=${conv} messages=${msgs} onCreated=${() => api("GET", "/api/v1/conversations/" + conv.id).then(onChanged, () => {})} />
  </aside>`;
}

const PHONE_STATES = ["available", "paused"];

function PhonePanel({ me }) {
  const [live, setLive] = useState(null);
  const [err, setErr] = useState(null);
  const [pop, setPop] = useState(null);
  usePoll(() => api("GET", "/api/v1/pbx/live").then(setLive, setErr), 3000);
  const mine = live && (live.agents || []).find((a) => a.agent === me.username);
  const call = live && (live.calls || []).find((c) => c.agent === me.username);
  useEffect(() => {
    if (!call) { setPop(null); return; }
    if (pop && pop.id === call.id) return;
    const p = { id: call.id, caller: call.caller, tickets: [] };
    setPop(p);
    api("GET", "/api/v1/calls/" + call.id).then((rec) => rec.caller && api("GET", "/api/v1/tickets/by-phone/" + encodeURIComponent(rec.caller)))
      .then((r) => r && setPop({ ...p, tickets: r.items || [] }), () => {});
  }, [call && call.id]);
  const setState = async (state) => {
    const body = { state };
    if (state === "paused") body.reason = prompt(t("pauseReason")) || "break";
    try { await api("POST", `/api/v1/pbx/agents/${encodeURIComponent(me.username)}/state`, body); setErr(null); api("GET", "/api/v1/pbx/live").then(setLive); }
    catch (x) { setErr(x); }
  };
  if (err && !live) return html`<div class="card muted">${t("noPbx")}</div>`;
  if (!mine) return html`<div class="card muted" id="phone">${t("phoneState")}: ${live ? t("noPbx") : t("loading")}</div>`;
  return html`<div class="card" id="phone"><div class="row"><strong>${t("phoneState")}:</strong>
    <${Badge} kind=${mine.state === "available" ? "ok" : "soon"}>${t("ag_" + mine.state)}${mine.reason ? " · " + mine.reason : ""}<//>
    ${PHONE_STATES.filter((s) => s !== mine.state).map((s) => html`<button onClick=${() => setState(s)}>${t("ag_" + s)}</button>`)}</div>
    <${Err} error=${err} />
    ${pop && html`<div class="card popup" role="alert"><strong>${t("incomingCall", pop.caller)}</strong>
      <h3>${t("recentTickets")}</h3>${pop.tickets.length ? html`<ul>${pop.tickets.map((tk) => html`<li><a href=${"#/triage/" + tk.code}>${tk.code}</a> ${t("st_" + tk.status)} · ${tk.description.slice(0, 80)}</li>`)}</ul>` : html`<p class="muted">${t("none")}</p>`}</div>`}
  </div>`;
}

/** inboxLive wires the inbox socket to the views: per-conversation listeners and list reloads. */
function useInboxLive(onListChange) {
  const handlers = useRef(new Map());
  const seen = useRef(new Map()); // the last live messages of each conversation, shown at once on opening
  const [unread, setUnread] = useState({});
  const live = useRef(null);
  useEffect(() => {
    const reload = coalesce(onListChange, 300);
    const s = new LiveSocket("/api/v1/inbox/ws", {
      onOpen: () => { reload(); handlers.current.forEach((h) => h.resume()); },
      onFrame: (f) => {
        const h = f.conversation_id && handlers.current.get(f.conversation_id);
        if (f.type === "message") {
          if (f.message) seen.current.set(f.conversation_id, [...(seen.current.get(f.conversation_id) || []), f.message].slice(-50));
          if (h) h.frame(f); else setUnread((u) => ({ ...u, [f.conversation_id]: true }));
          reload();
        } else if (["assigned", "unassigned", "conversation"].includes(f.type)) reload();
      },
    });
    return () => s.close();
  }, []);
  if (!live.current) {
    live.current = {
      cached: (id) => seen.current.get(id) || [],
      on: (id, frame, resume) => { handlers.current.set(id, { frame, resume }); setUnread((u) => ({ ...u, [id]: false })); return () => handlers.current.delete(id); },
    };
  }
  return [live.current, unread];
}

export default function Agent({ me, arg }) {
  const [tab, setTab] = useState("mine");
  const [list, setList] = useState([]);
  const [err, setErr] = useState(null);
  const [sel, setSel] = useState(arg || null);
  const [conv, setConv] = useState(null);
  const tabRef = useRef(tab);
  tabRef.current = tab;
  const load = useCallback(() => api("GET", "/api/v1/conversations?limit=100&" + TABS[tabRef.current]).then((r) => {
    setErr(null);
    let items = r.items || [];
    if (tabRef.current === "mine") items = items.filter((c) => c.state !== "resolved");
    setList(items);
  }, setErr), []);
  const [live, unread] = useInboxLive(load);
  useEffect(() => { load(); }, [tab]);
  useEffect(() => { if (sel) api("GET", "/api/v1/conversations/" + sel).then(setConv, setErr); else setConv(null); }, [sel]);
  useEffect(() => { if (conv) { const c = list.find((x) => x.id === conv.id); if (c && c.version !== conv.version) setConv(c); } }, [list]);
  // The inbox's copy shows at once; the effect on sel brings the fresh one.
  const select = (id) => { setConv(list.find((c) => c.id === id) || null); setSel(id); history.replaceState(null, "", "#/agent/" + id); };
  return html`<div>
    <div class="row"><h1 class="grow">${t("navAgent")}</h1></div>
    <${PhonePanel} me=${me} />
    <div class="desk" style="margin-top:1rem">
      <section aria-label=${t("inbox")}>
        <div class="tabs" role="group">${Object.keys(TABS).map((k) => html`<button aria-pressed=${tab === k} onClick=${() => setTab(k)}>${t(k === "resolved" ? "resolvedTab" : k)}</button>`)}</div>
        <${Err} error=${err} />
        <div class="list" id="inbox">
          ${list.length === 0 && html`<p class="muted">${t("empty")}</p>`}
          ${list.map((c) => html`<${ConvItem} key=${c.id} c=${c} current=${c.id === sel} unread=${unread[c.id]} onSelect=${select} />`)}
        </div>
      </section>
      ${conv ? html`<${Conversation} key=${conv.id} conv=${conv} me=${me} live=${live} onChanged=${(c) => { setConv(c); load(); }} />`
        : html`<p class="card muted">${t("pickConversation")}</p>`}
    </div>
  </div>`;
}
