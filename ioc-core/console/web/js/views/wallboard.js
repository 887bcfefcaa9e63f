// Supervisor wallboard: queues, longest wait, agents by state, the last 30 minutes' service
// level and abandon rate, chats queued and firing alerts, in large type for a wall screen.
import { html, useState, api, t, fmtNum, fmtRate, fmtDuration, rfc3339, usePoll, Err } from "../lib.js";
import { Tile, Alerts, useLiveKPI } from "./kpiwidgets.js";

const rate = (n, d) => (d ? n / d : null);

export default function Wallboard({ me }) {
  const [pbx, setPbx] = useState(null);
  const [last30, setLast30] = useState(null);
  const [chats, setChats] = useState(null);
  const [err, setErr] = useState(null);
  const [live] = useLiveKPI(["kpi.hotline", "alerts"]);
  usePoll(() => api("GET", "/api/v1/pbx/live").then(setPbx, setErr), 3000);
  usePoll(() => {
    const from = new Date(Date.now() - 30 * 60e3);
    api("GET", `/api/v1/kpi/hotline?from=${encodeURIComponent(rfc3339(from))}`).then(setLast30, setErr);
  }, 15000);
  // The conversations API answers agents and supervisors only: for a leader the tile shows "—".
  const seesChats = me.role === "agent" || me.role === "supervisor";
  usePoll(() => { if (seesChats) api("GET", "/api/v1/conversations?state=queued&limit=500").then((r) => setChats((r.items || []).length), setErr); }, 5000);
  const now = (live["kpi.hotline"] && live["kpi.hotline"].now) || {};
  const queues = (pbx && pbx.queues) || [];
  const waiting = queues.reduce((s, q) => s + q.waiting, 0);
  const longest = Math.max(0, ...queues.map((q) => q.longest_wait_s || 0), now.longest_wait_s || 0);
  const offered = last30 ? last30.offered : 0;
  const abandon = last30 ? rate(last30.abandoned - (last30.short_abandoned || 0), offered - (last30.short_abandoned || 0)) : null;
  const byState = (pbx && pbx.agents_by_state) || {};
  return html`<div class="wallboard">
    <h1>${t("navWallboard")}</h1>
    <${Err} error=${err} />
    <div class="tiles">
      <${Tile} id="waiting" label=${t("callsWaiting")} value=${fmtNum(waiting)} tone=${waiting > 5 ? "bad" : waiting > 0 ? "warn" : "good"} />
      <${Tile} id="longest" label=${t("longestWait")} value=${fmtDuration(longest)} tone=${longest > 60 ? "bad" : ""} />
      <${Tile} id="sl30" label=${t("serviceLevel30")} value=${fmtRate(last30 && last30.service_level)} />
      <${Tile} id="abandon30" label=${t("abandon30")} value=${fmtRate(abandon)} tone=${abandon > 0.1 ? "bad" : ""} />
      <${Tile} id="chats" label=${t("chatsQueued")} value=${fmtNum(chats)} tone=${chats > 0 ? "warn" : ""} />
    </div>
    <div class="panels">
      <section class="card"><h2>${t("queue")}</h2><table><thead><tr><th>${t("queue")}</th><th class="num">${t("waiting")}</th><th class="num">${t("longestWait")}</th></tr></thead>
        <tbody>${queues.map((q) => html`<tr><td>${q.name}</td><td class="num">${fmtNum(q.waiting)}</td><td class="num">${fmtDuration(q.longest_wait_s)}</td></tr>`)}</tbody></table></section>
      <section class="card"><h2>${t("agentsByState")}</h2><table><tbody>
        ${Object.entries(byState).map(([s, n]) => html`<tr><td>${t("ag_" + s)}</td><td class="num">${fmtNum(n)}</td></tr>`)}</tbody></table>
        <table style="margin-top:.5rem"><tbody>${((pbx && pbx.agents) || []).map((a) => html`<tr><td>${a.agent} (${a.extension})</td><td>${t("ag_" + a.state)}</td><td class="num">${fmtNum(a.calls)}</td></tr>`)}</tbody></table></section>
      <section class="card"><h2>${t("firingAlerts")}</h2><${Alerts} alerts=${live.alerts} canAck=${true} /></section>
    </div>
  </div>`;
}
