// Administration (read views): users and roles, departments, administrative units,
// categories with their deadlines, and routing rules in the order they are tried.
import { html, useState, api, t, useAsync, fmtNum, Err } from "../lib.js";

const TABLES = {
  users: { path: "/api/v1/users?limit=500", cols: [["username", "username"], ["name", "name"], ["role", (x) => t("role_" + x.role)], ["departments", (x) => (x.departments || []).join(", ")], ["status", (x) => (x.disabled ? t("disabled") : t("active"))]] },
  departments: { path: "/api/v1/departments?limit=500", cols: [["code", "code"], ["name", "name"], ["status", (x) => (x.active ? t("active") : t("disabled"))]] },
  categories: { path: "/api/v1/categories?limit=500", cols: [["code", "code"], ["name", "name"], ["department", "default_department"], ["acceptHours", (x) => fmtNum(x.accept_hours)], ["answerDays", (x) => fmtNum(x.answer_days)]] },
  units: { path: "/api/v1/units?limit=500", cols: [["code", "code"], ["name", "name"], ["status", "level"], ["description", (x) => (x.aliases || []).join(", ")]] },
  rules: { path: "/api/v1/routing-rules", cols: [["code", "id"], ["category", (x) => JSON.stringify(x.match || x.when || x.category || "")], ["department", "department"]] },
};

export default function Admin() {
  const [tab, setTab] = useState("users");
  const def = TABLES[tab];
  const res = useAsync(() => api("GET", def.path), [tab]);
  const items = (res.data && res.data.items) || [];
  const cell = (x, c) => (typeof c === "function" ? c(x) : x[c]);
  return html`<div>
    <h1>${t("navAdmin")}</h1>
    <div class="tabs" role="group">${Object.keys(TABLES).map((k) => html`<button aria-pressed=${tab === k} onClick=${() => setTab(k)}>${t(k)}</button>`)}</div>
    <${Err} error=${res.error} />
    <div style="overflow-x:auto"><table><thead><tr>${def.cols.map(([l]) => html`<th>${t(l)}</th>`)}</tr></thead>
      <tbody>${items.map((x) => html`<tr>${def.cols.map(([, c]) => html`<td>${cell(x, c)}</td>`)}</tr>`)}</tbody></table></div>
  </div>`;
}
