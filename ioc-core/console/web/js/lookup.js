// The citizen's lookup of a ticket by its code and the last 4 digits of their phone.
import { html, render, useState, useEffect, api, t, fmtDateTime, errText, Badge } from "./lib.js";
import { toggleLang } from "./i18n.js";

function Lookup() {
  const params = new URLSearchParams(location.search);
  const [code, setCode] = useState(params.get("code") || "");
  const [phone, setPhone] = useState("");
  const [res, setRes] = useState(null);
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErr(null); setRes(null);
    try {
      setRes(await api("GET", `/api/v1/public/tickets/${encodeURIComponent(code.trim().toUpperCase())}?phone=${encodeURIComponent(phone.trim())}`, undefined, { noLogout: true }));
    } catch (x) {
      setErr(x.status === 404 ? t("notFound") : errText(x));
    } finally { setBusy(false); }
  };
  return html`<div class="shell">
    <header class="top"><span class="brand">${t("app")}</span><span class="grow"></span><button class="link" onClick=${toggleLang}>${t("language")}</button></header>
    <main class="view" style="max-width:640px">
      <form class="card" onSubmit=${submit} aria-labelledby="lk-title">
        <h1 id="lk-title">${t("lookupTitle")}</h1>
        <p class="muted">${t("lookupHint")}</p>
        <label>${t("code")}<input name="code" value=${code} onInput=${(e) => setCode(e.target.value)} required autocomplete="off" autocapitalize="characters" /></label>
        <label>${t("last4")}<input name="phone" value=${phone} onInput=${(e) => setPhone(e.target.value)} required inputmode="numeric" pattern="[0-9]{4}" maxlength="4" /></label>
        <button class="primary" disabled=${busy}>${t("lookup")}</button>
      </form>
      ${err && html`<p class="error" role="alert" style="margin-top:1rem">${err}</p>`}
      ${res && html`<article class="card" style="margin-top:1rem" id="result" aria-live="polite">
        <div class="row"><h2 class="grow">${t("ticket")} ${res.code}</h2><${Badge} kind="status">${res.status_text || t("st_" + res.status)}<//></div>
        <dl class="fields">
          ${res.category && html`<dt>${t("category")}</dt><dd>${res.category}</dd>`}
          <dt>${t("department")}</dt><dd>${res.department_name || res.department || "—"}</dd>
          <dt>${t("createdAt")}</dt><dd>${fmtDateTime(res.created_at)}</dd>
          <dt>${t("dueAt")}</dt><dd>${res.due_at ? fmtDateTime(res.due_at) : t("noDue")}</dd>
          ${res.resolved_at && html`<dt>${t("st_resolved")}</dt><dd>${fmtDateTime(res.resolved_at)}</dd>`}
          ${res.merged_into && html`<dt>${t("st_merged")}</dt><dd>${res.merged_into}</dd>`}
          ${res.answer && html`<dt>${t("answer")}</dt><dd id="answer">${res.answer}</dd>`}
        </dl>
        ${(res.comments || []).length > 0 && html`<h3>${t("comments")}</h3><ul>${res.comments.map((c) => html`<li>${c}</li>`)}</ul>`}
      </article>`}
    </main></div>`;
}

const root = document.getElementById("app");
root.textContent = ""; // the "loading" line of the HTML
render(html`<${Lookup} />`, root);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
