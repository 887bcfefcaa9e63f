// The staff console: login, then a shell whose navigation depends on the user's role.
import { html, render, useState, useEffect, api, setToken, token, t, errText } from "./lib.js";
import { toggleLang } from "./i18n.js";
import { connectivity, onConnectivity } from "./live.js";

// views: route → label, roles allowed (admin sees every view), module to load.
const views = [
  { route: "agent", label: "navAgent", roles: ["agent", "supervisor"], load: () => import("./views/agent.js") },
  { route: "triage", label: "navTriage", roles: ["agent", "supervisor"], load: () => import("./views/triage.js") },
  { route: "portal", label: "navPortal", roles: ["officer", "supervisor"], load: () => import("./views/portal.js") },
  { route: "wallboard", label: "navWallboard", roles: ["supervisor", "leader"], load: () => import("./views/wallboard.js") },
  { route: "dashboard", label: "navDashboard", roles: ["leader", "supervisor"], load: () => import("./views/dashboard.js") },
  { route: "admin", label: "navAdmin", roles: [], load: () => import("./views/admin.js") },
];
const home = { agent: "agent", officer: "portal", supervisor: "wallboard", leader: "dashboard", admin: "dashboard" };

const allowed = (v, role) => role === "admin" || v.roles.includes(role);

function parseHash() {
  const [route, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { route, arg: rest.map(decodeURIComponent).join("/") };
}

function Login({ onLogin }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setBusy(true); setErr(null);
    try {
      const r = await api("POST", "/api/v1/auth/login", { username: f.get("username").trim(), password: f.get("password") }, { noLogout: true });
      setToken(r.token);
      onLogin();
    } catch (x) {
      setErr(x.status === 401 ? t("loginFailed") : errText(x));
    } finally { setBusy(false); }
  };
  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">${t("app")}</h1>
      <label>${t("username")}<input name="username" autocomplete="username" required autofocus /></label>
      <label>${t("password")}<input name="password" type="password" autocomplete="current-password" required /></label>
      ${err && html`<p class="error" role="alert">${err}</p>`}
      <button class="primary" disabled=${busy}>${t("login")}</button>
      <button type="button" class="link" onClick=${toggleLang}>${t("language")}</button>
      <p class="muted"><a href="/tra-cuu">${t("lookupTitle")}</a></p>
    </form>
  </main>`;
}

function Connectivity() {
  const [c, setC] = useState(connectivity());
  useEffect(() => onConnectivity(setC), []);
  if (c === "online") return html`<span class="conn conn-online" title=${t("online")}>● ${t("online")}</span>`;
  return html`<span class="conn conn-${c}" role="status">● ${t(c === "offline" ? "offline" : "reconnecting")}</span>`;
}

function Shell({ me, onLogout }) {
  const [loc, setLoc] = useState(parseHash());
  const [mod, setMod] = useState(null);
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    const f = () => { setLoc(parseHash()); setMenu(false); };
    window.addEventListener("hashchange", f);
    return () => window.removeEventListener("hashchange", f);
  }, []);
  const mine = views.filter((v) => allowed(v, me.role));
  const view = views.find((v) => v.route === loc.route);
  useEffect(() => {
    if (!loc.route) { location.replace("#/" + (home[me.role] || (mine[0] && mine[0].route) || "")); return; }
    if (!view || !allowed(view, me.role)) return;
    let current = true; // a slower load of the previous route must not replace this one
    view.load().then((m) => { if (current) setMod({ route: view.route, View: m.default }); },
      (err) => { if (current) setMod({ route: view.route, error: err }); });
    return () => { current = false; };
  }, [loc.route]);
  let body;
  if (!view) body = html`<p class="error">404</p>`;
  else if (!allowed(view, me.role)) body = html`<p class="error" role="alert">${t("forbidden")}</p>`;
  else if (!mod || mod.route !== view.route) body = html`<p class="muted">${t("loading")}</p>`;
  else if (mod.error) body = html`<p class="error" role="alert">${t("loadFailed")} <small>${mod.error.message}</small> <button onClick=${() => location.reload()}>${t("reload")}</button></p>`;
  else body = html`<${mod.View} me=${me} arg=${loc.arg} />`;
  return html`<div class="shell">
    <header class="top">
      <button class="menu-btn" aria-label="Menu" aria-expanded=${menu} onClick=${() => setMenu(!menu)}>☰</button>
      <a class="brand" href="#/">${t("app")}</a>
      <nav class=${"nav" + (menu ? " open" : "")} aria-label="Menu">
        ${mine.map((v) => html`<a href=${"#/" + v.route} aria-current=${v.route === loc.route ? "page" : null}>${t(v.label)}</a>`)}
      </nav>
      <${Connectivity} />
      <span class="who" title=${me.username}>${me.username} · ${t("role_" + me.role)}</span>
      <button class="link" onClick=${toggleLang}>${t("language")}</button>
      <button class="link" onClick=${onLogout}>${t("logout")}</button>
    </header>
    <main id="view" class=${"view view-" + (view ? view.route : "none")}>${body}</main>
  </div>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const load = () => {
    if (!token()) { setMe(null); return; }
    api("GET", "/api/v1/auth/me").then(setMe, (e) => { if (e.status === 401) setToken(""); setMe(e.status === 401 ? null : { error: e }); });
  };
  useEffect(() => {
    load();
    const out = () => { setToken(""); setMe(null); };
    window.addEventListener("ioc:logout", out);
    return () => window.removeEventListener("ioc:logout", out);
  }, []);
  const logout = async () => {
    try { await api("POST", "/api/v1/auth/logout"); } catch {}
    setToken(""); location.hash = ""; setMe(null);
  };
  if (me === undefined) return html`<p class="muted pad">${t("loading")}</p>`;
  if (me === null) return html`<${Login} onLogin=${load} />`;
  if (me.error) return html`<p class="error pad">${errText(me.error)} <button onClick=${load}>${t("reload")}</button></p>`;
  return html`<${Shell} me=${me} onLogout=${logout} />`;
}

document.documentElement.lang = localStorage.getItem("ioc.lang") === "en" ? "en" : "vi";
const root = document.getElementById("app");
root.textContent = ""; // the "loading" line of the HTML
render(html`<${App} />`, root);

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
