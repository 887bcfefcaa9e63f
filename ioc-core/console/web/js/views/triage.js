// Triage queue: new tickets for the hotline to classify and assign, oldest first, live.
import { html, useState, useEffect, useMemo, api, t, useAsync, useRefs, debounce, Err } from "../lib.js";
import { subscribeStreams } from "../live.js";
import { TicketDetail, TicketItem } from "./ticket.js";

export default function Triage({ me, arg }) {
  const [sel, setSel] = useState(arg || null);
  const [status, setStatus] = useState("new");
  const [text, setText] = useState("");
  const cats = useRefs("categories");
  const list = useAsync(() => api("GET", "/api/v1/tickets?limit=200&status=" + status + (text ? "&text=" + encodeURIComponent(text) : "")), [status, text]);
  useEffect(() => {
    if (me.role === "agent") return; // the tickets stream is for supervisors; agents reload by hand
    const reload = debounce(() => list.reload(), 500);
    return subscribeStreams(["kpi.tickets"], (f) => { if (f.type === "delta") reload(); });
  }, [list.reload]);
  const items = useMemo(() => ((list.data && list.data.items) || []).slice().sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at)), [list.data]);
  const select = (code) => { setSel(code); history.replaceState(null, "", "#/triage/" + encodeURIComponent(code)); };
  return html`<div>
    <h1>${t("navTriage")}</h1>
    <div class="split">
      <section>
        <div class="tabs" role="group">
          ${["new", "answered"].map((s) => html`<button aria-pressed=${status === s} onClick=${() => setStatus(s)}>${t("st_" + s)}</button>`)}
          <button onClick=${list.reload} aria-label=${t("reload")}>⟳</button>
        </div>
        <form onSubmit=${(e) => { e.preventDefault(); setText(new FormData(e.target).get("q").trim()); }} class="row" role="search">
          <input name="q" class="grow" placeholder=${t("search")} aria-label=${t("search")} style="width:auto" /><button>${t("search")}</button>
        </form>
        <${Err} error=${list.error} />
        <div class="list" style="margin-top:.5rem">
          ${items.length === 0 && !list.loading && html`<p class="muted">${t("empty")}</p>`}
          ${items.map((tk) => html`<${TicketItem} key=${tk.code} tk=${tk} cats=${cats} current=${tk.code === sel} onSelect=${select} />`)}
        </div>
      </section>
      <section>${sel ? html`<${TicketDetail} code=${sel} me=${me} onChange=${() => list.reload()} />` : html`<p class="card muted">${t("selectTicket")}</p>`}</section>
    </div>
  </div>`;
}
