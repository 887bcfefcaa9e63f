// Administration of time and of the phone: the working calendar deadlines are counted on,
// and the PBX's dialplan (trunks, IVR menus, queues) with the trunks' secrets masked.
import { html, useState, api, t, useAsync, fmtNum, Err } from "../lib.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const datedLines = (xs) => (xs || []).map((d) => d.date + " " + (d.name || "")).join("\n");

// parseDated reads "YYYY-MM-DD name" lines; a line that is not one is reported, not dropped.
function parseDated(text, field) {
  const out = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\d{4}-\d{2}-\d{2})\s*(.*)$/.exec(line);
    if (!m) throw { message: t("badDateLine", field, i + 1, line) };
    out.push({ date: m[1], name: m[2] });
  }
  return out;
}

function Saved({ at }) {
  return at ? html`<p class="ok" role="status">${t("saved")}</p>` : null;
}

/** Calendar edits the working hours, weekdays, holidays and make-up working days. */
export function Calendar() {
  const res = useAsync(() => api("GET", "/api/v1/tickets/calendar"), []);
  const [err, setErr] = useState(null);
  const [saved, setSaved] = useState(0);
  const cal = res.data;
  if (!cal) return html`<${Err} error=${res.error} />${!res.error && html`<p class="muted">${t("loading")}</p>`}`;
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setErr(null); setSaved(0);
    try {
      const body = {
        time_zone: cal.time_zone,
        working_hours: f.get("working_hours").split(/[,\n]/).map((x) => x.trim()).filter(Boolean),
        working_weekdays: WEEKDAYS.filter((d) => f.get("wd-" + d) === "on"),
        holidays: parseDated(f.get("holidays"), t("holidays")),
        working_days: parseDated(f.get("working_days"), t("workingDays")),
      };
      await api("PUT", "/api/v1/tickets/calendar", body);
      setSaved(Date.now());
      res.reload();
    } catch (x) { setErr(x); }
  };
  return html`<form class="card" id="calendar-form" onSubmit=${submit}>
    <p class="muted">${t("calendarHint")} (${cal.time_zone})</p>
    <label for="cal-hours">${t("workingHours")}<input id="cal-hours" name="working_hours" value=${(cal.working_hours || []).join(", ")} /></label>
    <fieldset><legend>${t("workingWeekdays")}</legend><div class="row">${WEEKDAYS.map((d) => html`<label class="check">
      <input type="checkbox" name=${"wd-" + d} checked=${(cal.working_weekdays || []).includes(d)} /> ${t("wd_" + d)}</label>`)}</div></fieldset>
    <label for="cal-holidays">${t("holidays")} <small class="muted">${t("datedHint")}</small>
      <textarea id="cal-holidays" name="holidays" rows="8" value=${datedLines(cal.holidays)}></textarea></label>
    <label for="cal-workdays">${t("workingDays")} <small class="muted">${t("datedHint")}</small>
      <textarea id="cal-workdays" name="working_days" rows="3" value=${datedLines(cal.working_days)}></textarea></label>
    <${Err} error=${err} /><${Saved} at=${saved} />
    <button class="primary" data-submit="save">${t("save")}</button>
  </form>`;
}

const MASK = "••••••••";

// masked copies the dialplan with each trunk's secret replaced by MASK; unmask puts the
// stored secrets back where the text still holds MASK, so a save keeps secrets it never showed.
const masked = (dp) => ({ ...dp, trunks: (dp.trunks || []).map((tr) => (tr.secret ? { ...tr, secret: MASK } : tr)) });
function unmask(edited, stored) {
  const secrets = Object.fromEntries((stored.trunks || []).map((tr) => [tr.name, tr.secret]));
  return { ...edited, trunks: (edited.trunks || []).map((tr) => (tr.secret === MASK ? { ...tr, secret: secrets[tr.name] || "" } : tr)) };
}

const target = (a) => (a ? t("ivr_" + a.kind) + (a.target ? " → " + a.target : "") : "—");

/** Dialplan shows the trunks, IVR menus and queues, and edits them as one JSON document. */
export function Dialplan() {
  const res = useAsync(() => api("GET", "/api/v1/pbx/dialplan"), []);
  const [text, setText] = useState(null);
  const [err, setErr] = useState(null);
  const [saved, setSaved] = useState(0);
  const dp = res.data;
  if (!dp) return html`<${Err} error=${res.error} />${!res.error && html`<p class="muted">${t("loading")}</p>`}`;
  const shown = text ?? JSON.stringify(masked(dp), null, 2);
  const save = async (e) => {
    e.preventDefault();
    setErr(null); setSaved(0);
    let edited;
    try { edited = JSON.parse(shown); } catch (x) { setErr({ message: t("badJson", x.message) }); return; }
    try {
      await api("PUT", "/api/v1/pbx/dialplan", unmask(edited, dp));
      setText(null); setSaved(Date.now()); res.reload();
    } catch (x) { setErr(x); }
  };
  return html`<div class="panels">
    <section class="card"><h2>${t("queues")}</h2><table id="queues"><thead><tr><th>${t("nameOf")}</th><th>${t("members")}</th><th>${t("strategy")}</th><th class="num">${t("ringTimeout")}</th><th class="num">${t("maxWait")}</th><th>${t("overflow")}</th></tr></thead>
      <tbody>${(dp.queues || []).map((q) => html`<tr><td>${q.name}</td><td>${(q.members || []).join(", ")}</td><td>${q.strategy}</td>
        <td class="num">${fmtNum(q.ring_timeout_s)} s</td><td class="num">${fmtNum(q.max_wait_s)} s</td><td>${target(q.overflow)}</td></tr>`)}</tbody></table>
      <h2>${t("menus")}</h2>${(dp.menus || []).map((m) => html`<h3>${m.name} <small class="muted">(${t("prompt")}: ${m.prompt})</small></h3>
        <table class="menu"><tbody>${Object.entries(m.options || {}).sort().map(([k, a]) => html`<tr><td class="num">${k}</td><td>${target(a)}</td></tr>`)}
          <tr><td class="num">—</td><td>${t("noInput")}: ${target(m.no_input)}</td></tr></tbody></table>`)}
      <h2>${t("trunks")}</h2><table id="trunks"><tbody>${(dp.trunks || []).map((tr) => html`<tr><td>${tr.name}</td><td>${(tr.addresses || []).join(", ")}</td>
        <td>${(tr.dids || []).map((d) => d.number + " → " + d.menu).join(", ")}</td><td>${tr.username ? tr.username + " / " + (tr.secret ? MASK : "—") : ""}</td></tr>`)}</tbody></table>
    </section>
    <form class="card" id="dialplan-form" onSubmit=${save}>
      <h2>${t("editDialplan")}</h2>
      <p class="muted">${t("dialplanHint")}</p>
      <textarea id="dialplan-json" rows="24" spellcheck="false" style="font-family:monospace;font-size:.85em" value=${shown} onInput=${(e) => setText(e.target.value)}></textarea>
      <${Err} error=${err} /><${Saved} at=${saved} />
      <div class="row"><button class="primary" data-submit="save">${t("save")}</button>
        <button type="button" onClick=${() => { setText(null); setErr(null); }}>${t("cancel")}</button></div>
    </form>
  </div>`;
}
