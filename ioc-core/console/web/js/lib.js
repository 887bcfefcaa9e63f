// The console's toolkit: views with Preact and htm, the API client, Vietnamese formats.
import { h, render } from "preact";
import { useState, useEffect, useRef, useCallback, useMemo } from "preact/hooks";
import htm from "htm";
import { t, currentLang } from "./i18n.js";

export const html = htm.bind(h);
export { h, render, useState, useEffect, useRef, useCallback, useMemo, t };

export const TZ = "Asia/Ho_Chi_Minh";
const TOKEN = "ioc.token";

export const token = () => localStorage.getItem(TOKEN) || "";
export const setToken = (v) => (v ? localStorage.setItem(TOKEN, v) : localStorage.removeItem(TOKEN));

/** ApiError is the API's error shape {"error":{code,message,fields}} with the HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || "HTTP " + status);
    this.status = status; this.code = e.code || ""; this.fields = e.fields || {};
  }
}

/** api calls the JSON API with the session's token; a 401 ends the session. */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = "Bearer " + token();
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, { error: { code: "offline", message: t("offline") } });
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && !opts.noLogout) window.dispatchEvent(new CustomEvent("ioc:logout"));
    throw new ApiError(res.status, data);
  }
  return data;
}

/** errText turns an error into a sentence with its field errors. */
export function errText(err) {
  if (!err) return "";
  const f = err.fields && Object.entries(err.fields).map(([k, v]) => k + ": " + v).join("; ");
  return err.message + (f ? " (" + f + ")" : "");
}

const dtf = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

function parts(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (isNaN(d)) return null;
  const p = {};
  for (const x of dtf.formatToParts(d)) p[x.type] = x.value;
  return p;
}

/** fmtDateTime renders a time as dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh. */
export function fmtDateTime(iso) {
  const p = iso && parts(iso);
  return p ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}` : "—";
}

/** fmtDate renders a date as dd/mm/yyyy in Asia/Ho_Chi_Minh. */
export function fmtDate(iso) {
  const p = iso && parts(iso);
  return p ? `${p.day}/${p.month}/${p.year}` : "—";
}

/** fmtTime renders HH:mm in Asia/Ho_Chi_Minh. */
export function fmtTime(iso) {
  const p = iso && parts(iso);
  return p ? `${p.hour}:${p.minute}` : "—";
}

const nf = new Intl.NumberFormat("vi-VN");
const nf1 = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 });

/** fmtNum renders a number with Vietnamese separators (1.234,5). */
export const fmtNum = (n) => (n === null || n === undefined || isNaN(n) ? "—" : nf.format(n));

/** fmtRate renders a {value,num,den} ratio (or a fraction) as a percentage: 95,2 %. */
export function fmtRate(r) {
  const v = r && typeof r === "object" ? r.value : r;
  return v === null || v === undefined ? "—" : nf1.format(v * 100) + " %";
}

/** fmtDuration renders seconds as 1 giờ 5 phút / 3 phút 20 giây. */
export function fmtDuration(s) {
  if (s === null || s === undefined || isNaN(s)) return "—";
  s = Math.round(s);
  const en = currentLang() === "en";
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  if (hh) return en ? `${hh} h ${mm} min` : `${hh} giờ ${mm} phút`;
  if (mm) return en ? `${mm} min ${ss} s` : `${mm} phút ${ss} giây`;
  return en ? `${ss} s` : `${ss} giây`;
}

/** startOfDay returns 00:00 of the day d falls in, Asia/Ho_Chi_Minh (UTC+7, no DST). */
export function startOfDay(d = new Date()) {
  const shifted = new Date(d.getTime() + 7 * 3600e3);
  shifted.setUTCHours(0, 0, 0, 0);
  return new Date(shifted.getTime() - 7 * 3600e3);
}

/** rfc3339 renders a Date for the API's from/to parameters. */
export const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

const refCache = {};

/** refs loads a reference table (departments, categories, units) once per page load. */
export function refs(kind) {
  if (!refCache[kind]) {
    refCache[kind] = api("GET", `/api/v1/${kind}?limit=500`).then((r) => r.items || []).catch(() => { delete refCache[kind]; return []; });
  }
  return refCache[kind];
}

/** invalidateRefs forgets a reference table after an edit, so the next refs(kind) reloads it. */
export const invalidateRefs = (kind) => { delete refCache[kind]; };

/** useRefs gives a {code: item} map of a reference table. */
export function useRefs(kind) {
  const [map, setMap] = useState({});
  useEffect(() => { refs(kind).then((items) => setMap(Object.fromEntries(items.map((x) => [x.code, x])))); }, [kind]);
  return map;
}

/** refName shows the name of a code in a reference map, or the code. */
export const refName = (map, code) => (code ? (map[code] && map[code].name) || code : "—");

/** useAsync runs load when deps change and gives {data, error, loading, reload}. */
export function useAsync(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    return load().then((data) => { if (n === seq.current) setState({ data, error: null, loading: false }); },
      (error) => { if (n === seq.current) setState((s) => ({ data: s.data, error, loading: false })); });
  }, deps);
  useEffect(() => { run(); }, [run]);
  return { ...state, reload: run };
}

/** usePoll calls fn now and every ms milliseconds while mounted and the tab is visible. */
export function usePoll(fn, ms, deps = []) {
  useEffect(() => {
    let stopped = false;
    const tick = () => { if (!stopped && !document.hidden) fn(); };
    tick();
    const id = setInterval(tick, ms);
    return () => { stopped = true; clearInterval(id); };
  }, deps);
}

/** debounce delays fn until calls stop for ms. */
export function debounce(fn, ms) {
  let id;
  return (...a) => { clearTimeout(id); id = setTimeout(() => fn(...a), ms); };
}

/**
 * coalesce calls fn at once when it has not run for ms, and otherwise once more at the end of
 * the ms window: the first change shows without waiting, a burst costs one call per window.
 */
export function coalesce(fn, ms) {
  let timer = null, again = false;
  const done = () => {
    if (!again) { timer = null; return; }
    again = false; fn(); timer = setTimeout(done, ms);
  };
  return () => {
    if (timer) { again = true; return; }
    fn(); timer = setTimeout(done, ms);
  };
}

/** draft keeps a typed text in localStorage so a reload or a crash never loses it. */
export const draft = {
  get: (key) => localStorage.getItem("ioc.draft." + key) || "",
  set: (key, v) => (v ? localStorage.setItem("ioc.draft." + key, v) : localStorage.removeItem("ioc.draft." + key)),
};

/** Err shows an error message, if any. */
export const Err = ({ error }) => (error ? html`<p class="error" role="alert">${errText(error)}</p>` : null);

/** Badge shows a status label. */
export const Badge = ({ kind, children }) => html`<span class=${"badge badge-" + kind}>${children}</span>`;
