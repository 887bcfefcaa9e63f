// Pieces shared by the wallboard and the dashboard: tiles, the alerts list, a live KPI state.
import { html, useState, useEffect, api, t, fmtDateTime, Badge, errText } from "../lib.js";
import { subscribeStreams } from "../live.js";

/** Tile is one figure with its label; tone is good, warn or bad. */
export const Tile = ({ label, value, tone, id }) =>
  html`<div class=${"tile" + (tone ? " " + tone : "")} data-tile=${id}><div class="label">${label}</div><div class="value">${value}</div></div>`;

/**
 * useLiveKPI keeps the state of stream channels: kpi.* channels are objects whose deltas
 * carry the top-level fields that changed; alerts is a list whose deltas are one alert each.
 */
export function useLiveKPI(channels) {
  const [state, setState] = useState({});
  const [tick, setTick] = useState(0);
  useEffect(() => subscribeStreams(channels, (f) => {
    if (f.type === "error") return;
    setTick((n) => n + 1);
    setState((s) => {
      if (f.channel === "alerts") {
        if (f.type === "snapshot") return { ...s, alerts: Array.isArray(f.data) ? f.data : (f.data && f.data.items) || [] };
        const rest = (s.alerts || []).filter((a) => a.id !== f.data.id);
        return { ...s, alerts: f.data.state === "resolved" ? rest : [f.data, ...rest] };
      }
      return { ...s, [f.channel]: f.type === "snapshot" ? f.data : { ...(s[f.channel] || {}), ...f.data } };
    });
  }), [channels.join(",")]);
  return [state, tick];
}

/** Alerts lists firing and acknowledged alerts; canAck shows the acknowledge button. */
export function Alerts({ alerts, canAck }) {
  const [err, setErr] = useState(null);
  const ack = async (a) => {
    try { await api("POST", `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, {}); setErr(null); } catch (x) { setErr(x); }
  };
  const list = (alerts || []).slice().sort((a, b) => (a.state === "firing" ? -1 : 1) - (b.state === "firing" ? -1 : 1));
  return html`<div id="alerts">
    ${err && html`<p class="error">${errText(err)}</p>`}
    ${list.length === 0 ? html`<p class="muted">${t("noAlerts")}</p>` : html`<ul class="list" style="list-style:none;padding:0">
      ${list.map((a) => html`<li class="card" style="padding:.5rem .75rem"><div class="row">
        <${Badge} kind=${a.state === "firing" ? a.severity || "warning" : "acknowledged"}>${t("sev_" + a.severity) || a.severity}<//>
        <strong class="grow">${a.message || a.rule_name}</strong>
        ${a.state === "firing" && canAck ? html`<button onClick=${() => ack(a)}>${t("ack")}</button>` : a.state === "acknowledged" ? html`<span class="muted">${t("acked")} · ${a.acked_by}</span>` : null}
      </div><small class="muted">${fmtDateTime(a.fired_at)}${a.group ? " · " + a.group : ""}</small></li>`)}</ul>`}
  </div>`;
}
