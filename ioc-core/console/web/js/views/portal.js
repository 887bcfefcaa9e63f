// Department portal: the officer's tickets by due date, overdue and due-soon marked, live.
import { html, useState, useEffect, useMemo, api, t, useAsync, useRefs, debounce, Err } from "../lib.js";
import { subscribeStreams } from "../live.js";
import { TicketDetail, TicketItem } from "./ticket.js";

const FILTERS = { open: "assigned,in_progress", answered: "answered", all: "" };

const dueOf = (tk) => Date.parse((tk.status === "assigned" ? tk.accept_due_at : tk.due_at) || "") || Infinity;

export default function Portal({ me, arg }) {
  const [filter, setFilter] = useState("open");
  const [sel, setSel] = useState(arg || null);
  const cats = useRefs("categories");
  const q = FILTERS[filter];
  const list = useAsync(() => api("GET", "/api/v1/tickets?limit=200" + (q ? "&status=" + q : "")), [q]);
  useEffect(() => {
    if (!me.departments || !me.departments.length) return;
    const reload = debounce(() => list.reload(), 300);
    return subscribeStreams(me.departments.map((d) => "tickets.dept." + d), (f) => { if (f.type === "delta") reload(); });
  }, [me.username, list.reload]);
  const items = useMemo(() => ((list.data && list.data.items) || []).slice().sort((a, b) => dueOf(a) - dueOf(b)), [list.data]);
  const select = (code) => { setSel(code); history.replaceState(null, "", "#/portal/" + encodeURIComponent(code)); };
  return html`<div>
    <div class="row"><h1 class="grow">${t("navPortal")}</h1><span class="muted">${(me.departments || []).join(", ")}</span></div>
    <div class="split">
      <section aria-label=${t("tickets")}>
        <div class="tabs" role="group">
          ${Object.keys(FILTERS).map((k) => html`<button aria-pressed=${filter === k} onClick=${() => setFilter(k)}>${t("filter" + k[0].toUpperCase() + k.slice(1))}</button>`)}
          <button onClick=${list.reload} aria-label=${t("reload")}>⟳</button>
        </div>
        <${Err} error=${list.error} />
        <div class="list" id="ticket-list">
          ${items.length === 0 && !list.loading && html`<p class="muted">${t("empty")}</p>`}
          ${items.map((tk) => html`<${TicketItem} key=${tk.code} tk=${tk} cats=${cats} current=${tk.code === sel} onSelect=${select} />`)}
        </div>
      </section>
      <section aria-live="polite">
        ${sel ? html`<${TicketDetail} code=${sel} me=${me} onChange=${() => list.reload()} />` : html`<p class="card muted">${t("selectTicket")}</p>`}
      </section>
    </div>
  </div>`;
}
