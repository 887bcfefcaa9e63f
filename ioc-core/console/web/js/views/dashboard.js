// Leader IOC dashboard: live KPI tiles (hotline, channels, tickets), 7-day trends, tickets
// by department with on-time rate, a map of tickets by ward/commune, social-listening topics and
// spikes, and alerts to acknowledge.
import { html, useState, useEffect, useRef, api, token, t, fmtNum, fmtRate, fmtDuration, fmtDate, rfc3339, startOfDay, useRefs, refName, usePoll, debounce, Err } from "../lib.js";
import { Tile, Alerts, useLiveKPI } from "./kpiwidgets.js";
import { Social } from "./social.js";

const DAY = 86400e3;

function Trend({ days }) {
  const el = useRef(null);
  useEffect(() => {
    if (!days || !el.current) return;
    let plot, gone = false;
    const link = document.createElement("link");
    link.rel = "stylesheet"; link.href = "/console/vendor/uPlot.min.css";
    if (!document.querySelector('link[href="/console/vendor/uPlot.min.css"]')) document.head.appendChild(link);
    import("uplot").then(({ default: UPlot }) => {
      if (gone) return;
      const data = [days.map((d) => d.at / 1000), days.map((d) => d.received), days.map((d) => d.resolved), days.map((d) => d.calls)];
      const width = Math.max(280, el.current.clientWidth - 8);
      plot = new UPlot({
        width, height: 220, tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), "Asia/Ho_Chi_Minh"),
        axes: [{ values: (u, v) => v.map((x) => fmtDate(new Date(x * 1000)).slice(0, 5)) }, { values: (u, v) => v.map(fmtNum) }],
        series: [{ value: (u, v) => (v ? fmtDate(new Date(v * 1000)) : "") },
          { label: t("tickets"), stroke: "#b71c1c", width: 2, value: (u, v) => fmtNum(v) },
          { label: t("resolvedN"), stroke: "#1b5e20", width: 2, value: (u, v) => fmtNum(v) },
          { label: t("calls"), stroke: "#0d47a1", width: 2, dash: [6, 4], value: (u, v) => fmtNum(v) }],
      }, data, el.current);
    });
    return () => { gone = true; if (plot) plot.destroy(); };
  }, [days]);
  return html`<div class="chart" ref=${el} role="img" aria-label=${t("trend7")}></div>`;
}

// rings yields every [lng, lat] ring of a GeoJSON Point, Polygon or MultiPolygon geometry.
const rings = (g) => !g ? [] : g.type === "Polygon" ? g.coordinates : g.type === "MultiPolygon" ? g.coordinates.flat() : [];

/**
 * WardMap draws GET /api/v1/map/tickets (a GeoJSON FeatureCollection per commune/ward): each
 * ward's boundary when the administrator gave them, else a circle at its centroid, shaded by
 * the tickets of the last 30 days, with the open and overdue counts in its tooltip.
 */
function WardMap({ map }) {
  if (!map) return html`<p class="muted">${t("loading")}</p>`;
  const feats = map.features.filter((f) => f.geometry);
  const pts = feats.flatMap((f) => f.geometry.type === "Point" ? [f.geometry.coordinates] : rings(f.geometry).flat());
  if (!pts.length) return html`<p class="muted">${t("empty")}</p>`;
  const lngs = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const W = 400, Hh = 300, pad = 20;
  const x = (lng) => pad + ((lng - minLng) / (maxLng - minLng || 1)) * (W - 2 * pad);
  const y = (lat) => Hh - pad - ((lat - minLat) / (maxLat - minLat || 1)) * (Hh - 2 * pad);
  const max = Math.max(1, ...feats.map((f) => f.properties.count));
  const tip = (p) => `${p.name || p.code}: ${fmtNum(p.count)} ${t("tickets").toLowerCase()}, ${fmtNum(p.open)} ${t("openNow").toLowerCase()}, ${fmtNum(p.overdue)} ${t("overdue").toLowerCase()}`;
  const shape = (f) => {
    const p = f.properties, n = p.count;
    const fill = n ? `rgba(183,28,28,${(0.2 + 0.6 * n / max).toFixed(2)})` : "rgba(13,71,161,.15)";
    const stroke = p.overdue ? "#b71c1c" : n ? "#7f0000" : "#90a4ae";
    if (f.geometry.type === "Point") {
      const [lng, lat] = f.geometry.coordinates;
      return html`<circle data-unit=${p.code} cx=${x(lng)} cy=${y(lat)} r=${n ? 4 + 14 * Math.sqrt(n / max) : 3} fill=${fill} stroke=${stroke}><title>${tip(p)}</title></circle>`;
    }
    const d = rings(f.geometry).map((r) => "M" + r.map(([lng, lat]) => `${x(lng).toFixed(1)},${y(lat).toFixed(1)}`).join("L") + "Z").join("");
    return html`<path data-unit=${p.code} d=${d} fill=${fill} stroke=${stroke} stroke-width=${p.overdue ? 2 : 1}><title>${tip(p)}</title></path>`;
  };
  const top = map.features.filter((f) => f.properties.count).sort((a, b) => b.properties.count - a.properties.count).slice(0, 8);
  return html`<div class="map"><svg viewBox=${`0 0 ${W} ${Hh}`} role="img" aria-label=${t("byWard")}>${feats.map(shape)}</svg>
    <table style="margin-top:.5rem"><thead><tr><th>${t("ward")}</th><th class="num">${t("tickets")}</th><th class="num">${t("openNow")}</th><th class="num">${t("overdue")}</th></tr></thead>
    <tbody>${top.length === 0 ? html`<tr><td colspan="4" class="muted">${t("empty")}</td></tr>` : top.map((f) => html`<tr data-unit=${f.properties.code}><td>${f.properties.name || f.properties.code}</td>
      <td class="num">${fmtNum(f.properties.count)}</td><td class="num">${fmtNum(f.properties.open)}</td><td class="num">${fmtNum(f.properties.overdue)}</td></tr>`)}</tbody></table>
    ${map.unplaced ? html`<p class="muted"><small>${t("unplaced")}: ${fmtNum(map.unplaced)}</small></p>` : null}</div>`;
}

async function loadDays() {
  const today = startOfDay();
  const ranges = Array.from({ length: 7 }, (_, i) => new Date(today.getTime() - (6 - i) * DAY));
  const q = (d) => `from=${encodeURIComponent(rfc3339(d))}&to=${encodeURIComponent(rfc3339(new Date(Math.min(d.getTime() + DAY, Date.now() + 15 * 60e3))))}`;
  return Promise.all(ranges.map(async (d) => {
    const [tk, hot] = await Promise.all([api("GET", "/api/v1/kpi/tickets?" + q(d)), api("GET", "/api/v1/kpi/hotline?" + q(d)).catch(() => ({}))]);
    return { at: d.getTime(), received: tk.received, resolved: tk.resolved, calls: hot.arrived || 0 };
  }));
}

// downloadReport fetches this month's report (XLSX) with the session's token and saves it.
async function downloadReport(setErr) {
  const res = await fetch("/api/v1/reports/monthly?format=xlsx", { headers: { Authorization: "Bearer " + token() } }).catch(() => null);
  if (!res || !res.ok) {
    const body = res ? await res.json().catch(() => null) : null;
    setErr({ message: (body && body.error && body.error.message) || t("offline") });
    return;
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get("Content-Disposition") || "");
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = name ? name[1] : "bao-cao-1022.xlsx";
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

export default function Dashboard({ me }) {
  const [live, tick] = useLiveKPI(["kpi.tickets", "kpi.hotline", "alerts"]);
  const [channels, setChannels] = useState(null);
  const [days, setDays] = useState(null);
  const [month, setMonth] = useState(null);
  const [wards, setWards] = useState(null);
  const [err, setErr] = useState(null);
  const depts = useRefs("departments");
  usePoll(() => api("GET", "/api/v1/kpi/channels").then(setChannels, setErr), 30000);
  const reloadRange = useRef(debounce(() => {
    loadDays().then(setDays, setErr);
    const from = encodeURIComponent(rfc3339(new Date(startOfDay().getTime() - 29 * DAY)));
    api("GET", `/api/v1/kpi/tickets?from=${from}`).then(setMonth, setErr);
    api("GET", `/api/v1/map/tickets?empty=true&from=${from}`).then(setWards, setErr);
  }, 2000));
  useEffect(() => { reloadRange.current(); }, []);
  useEffect(() => { if (tick > 3) reloadRange.current(); }, [tick]);
  const tk = live["kpi.tickets"] || {}, hot = live["kpi.hotline"] || {};
  const tnow = tk.now || {}, hnow = hot.now || {};
  const byDept = Object.entries((month && month.by_department) || {}).sort((a, b) => b[1].received - a[1].received);
  return html`<div>
    <div class="row"><h1 class="grow">${t("navDashboard")}</h1><span class="muted">● ${t("updatedLive")}</span>
      <button onClick=${() => downloadReport(setErr)}>${t("monthlyReport")}</button></div>
    <${Err} error=${err} />
    <div class="tiles" id="tiles">
      <${Tile} id="received" label=${t("received")} value=${fmtNum(tk.received)} />
      <${Tile} id="resolved" label=${t("resolvedToday")} value=${fmtNum(tk.resolved)} tone="good" />
      <${Tile} id="open" label=${t("openNow")} value=${fmtNum(tnow.open)} />
      <${Tile} id="overdue" label=${t("overdueNow")} value=${fmtNum(tnow.overdue)} tone=${tnow.overdue ? "bad" : "good"} />
      <${Tile} id="ontime" label=${t("onTimeRate")} value=${fmtRate(tk.on_time_rate)} />
      <${Tile} id="satisfaction" label=${t("satisfaction")} value=${fmtRate(tk.satisfaction)} />
      <${Tile} id="calls" label=${t("callsArrived")} value=${fmtNum(hot.arrived)} />
      <${Tile} id="answer-rate" label=${t("answerRate")} value=${fmtRate(hot.answer_rate)} />
      <${Tile} id="asa" label=${t("asa")} value=${fmtDuration(hot.asa_s)} />
      <${Tile} id="waiting" label=${t("callsWaiting")} value=${fmtNum(hnow.calls_waiting)} tone=${hnow.calls_waiting ? "warn" : ""} />
      <${Tile} id="contacts" label=${t("contacts")} value=${fmtNum(channels && channels.contacts)} />
      <${Tile} id="bot" label=${t("botContainment")} value=${fmtRate(channels && channels.bot_containment)} />
    </div>
    <div class="panels">
      <section class="card"><h2>${t("trend7")}</h2>${days ? html`<${Trend} days=${days} />` : html`<p class="muted">${t("loading")}</p>`}</section>
      <section class="card"><h2>${t("firingAlerts")}</h2><${Alerts} alerts=${live.alerts} canAck=${true} /></section>
      <section class="card"><h2>${t("byDepartment")} <small class="muted">(${t("last30")})</small></h2>
        <div style="overflow-x:auto"><table id="by-department"><thead><tr><th>${t("department")}</th><th class="num">${t("tickets")}</th><th class="num">${t("resolvedN")}</th><th class="num">${t("onTimeRate")}</th></tr></thead>
        <tbody>${byDept.length === 0 ? html`<tr><td colspan="4" class="muted">${t("empty")}</td></tr>` : byDept.map(([code, b]) => html`<tr><td>${refName(depts, code)}</td>
          <td class="num">${fmtNum(b.received)}</td><td class="num">${fmtNum(b.resolved)}</td><td class="num">${fmtRate(b.closed ? b.closed_on_time / b.closed : null)}</td></tr>`)}</tbody></table></div></section>
      <section class="card"><h2>${t("byWard")} <small class="muted">(${t("last30")})</small></h2><${WardMap} map=${wards} /></section>
      <section class="card"><h2>${t("socialListening")}</h2><${Social} alerts=${live.alerts} /></section>
      <section class="card"><h2>${t("byChannel")}</h2><table><tbody>
        ${Object.entries((channels && channels.by_channel) || {}).map(([c, v]) => html`<tr><td>${c}</td><td class="num">${fmtNum(typeof v === "object" ? v.contacts ?? v.count ?? 0 : v)}</td></tr>`)}</tbody></table></section>
    </div>
  </div>`;
}
