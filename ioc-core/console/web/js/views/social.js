// Social listening on the leader's dashboard: the topics active in the last 24 hours (largest
// first, with their top terms, sentiment split and wards) and the spikes the alert engine
// raised on social items (per keyword, topic, category or ward).
import { html, useState, api, t, fmtNum, fmtDateTime, rfc3339, usePoll, useRefs, refName, Badge, Err } from "../lib.js";

const DAY = 86400e3;

function Sentiment({ s }) {
  const total = Object.values(s || {}).reduce((a, b) => a + b, 0);
  if (!total) return null;
  const neg = (s.negative || 0) / total;
  return html`<span class=${neg >= 0.5 ? "badge badge-overdue" : "badge badge-status"} title=${t("sentiment")}>${t("negative")} ${fmtNum(Math.round(neg * 100))} %</span>`;
}

/** Social shows topics and social spikes; alerts is the dashboard's live alerts list. */
export function Social({ alerts }) {
  const [topics, setTopics] = useState(null);
  const [err, setErr] = useState(null);
  const units = useRefs("units"), cats = useRefs("categories");
  usePoll(() => api("GET", `/api/v1/social/topics?limit=8&from=${encodeURIComponent(rfc3339(new Date(Date.now() - DAY)))}`)
    .then((r) => { setTopics(Array.isArray(r) ? r : r.items || []); setErr(null); }, setErr), 30000);
  const spikes = (alerts || []).filter((a) => a.indicator === "social.items");
  // group names the spike's unit, category or topic by name; keywords and terms are words already.
  const group = (a) => a.group_by === "ward" ? refName(units, a.group) : a.group_by === "category" ? refName(cats, a.group)
    : a.group_by === "topic" ? ((topics || []).find((tp) => tp.id === a.group) || {}).label || a.group : a.group;
  return html`<div id="social">
    <${Err} error=${err} />
    <h3>${t("socialSpikes")}</h3>
    ${spikes.length === 0 ? html`<p class="muted">${t("noSpikes")}</p>` : html`<ul class="list" style="list-style:none;padding:0">${spikes.map((a) => html`<li class="row" data-alert=${a.id}>
      <${Badge} kind=${a.state === "firing" ? a.severity || "warning" : "acknowledged"}>${t("groupBy_" + a.group_by) || a.group_by}<//>
      <strong class="grow" data-group=${a.group}>${group(a)}</strong>
      <span class="num">${fmtNum(a.value)}${a.baseline ? " / " + fmtNum(Math.round(a.baseline.mean ?? 0)) : ""}</span>
      <small class="muted">${fmtDateTime(a.fired_at)}</small></li>`)}</ul>`}
    <h3>${t("socialTopics")} <small class="muted">(24 ${t("hours")})</small></h3>
    ${topics === null ? html`<p class="muted">${t("loading")}</p>` : topics.length === 0 ? html`<p class="muted">${t("empty")}</p>` :
      html`<table id="topics"><thead><tr><th>${t("topic")}</th><th class="num">${t("posts")}</th><th></th></tr></thead><tbody>${topics.map((tp) => html`<tr data-topic=${tp.id}>
        <td><strong>${tp.label}</strong><br /><small class="muted">${(tp.top_terms || []).slice(0, 6).map((x) => x.term).join(", ")}
          ${tp.wards && Object.keys(tp.wards).length ? " · " + Object.keys(tp.wards).slice(0, 3).map((w) => refName(units, w)).join(", ") : ""}</small></td>
        <td class="num">${fmtNum(tp.items)}</td><td><${Sentiment} s=${tp.sentiment} /></td></tr>`)}</tbody></table>`}
  </div>`;
}
