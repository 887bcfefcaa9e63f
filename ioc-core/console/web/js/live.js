// Live connections: WebSockets that reconnect with backoff and resume, and the page's
// connectivity state (shown in the header) derived from them and from navigator.onLine.
import { token } from "./lib.js";

const listeners = new Set();
const sockets = new Set();

/** connectivity returns "online", "reconnecting" or "offline". */
export function connectivity() {
  if (!navigator.onLine) return "offline";
  for (const s of sockets) if (s.state !== "open") return "reconnecting";
  return "online";
}

/** onConnectivity calls fn on every change; it returns the unsubscribe function. */
export function onConnectivity(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const notify = () => { const c = connectivity(); listeners.forEach((fn) => fn(c)); };
window.addEventListener("online", () => { notify(); sockets.forEach((s) => s.retryNow()); });
window.addEventListener("offline", notify);

const wsURL = (path) => (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;

/**
 * LiveSocket keeps a WebSocket open: on close it reconnects after 0.5 s, doubling to 15 s
 * (with jitter); onOpen runs on every (re)connection so the view can resume (reload what it
 * may have missed); onFrame gets each JSON frame.
 */
export class LiveSocket {
  constructor(path, { onFrame, onOpen }) {
    this.path = path; this.onFrame = onFrame; this.onOpen = onOpen;
    this.state = "connecting"; this.backoff = 500; this.closed = false;
    sockets.add(this);
    this.connect();
  }

  connect() {
    if (this.closed) return;
    const sep = this.path.includes("?") ? "&" : "?";
    const ws = new WebSocket(wsURL(this.path + sep + this.tokenParam()));
    this.ws = ws;
    ws.onopen = () => {
      this.state = "open"; this.backoff = 500; notify();
      if (this.onOpen) this.onOpen();
    };
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      this.onFrame(f);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.state = "closed"; notify();
      if (this.closed) return;
      const wait = this.backoff * (0.75 + Math.random() / 2);
      this.backoff = Math.min(this.backoff * 2, 15000);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }

  tokenParam() {
    return (this.path.startsWith("/api/v1/stream/") ? "access_token=" : "token=") + encodeURIComponent(token());
  }

  /** retryNow reconnects at once (the browser came back online). */
  retryNow() {
    if (this.state === "open" || this.closed) return;
    clearTimeout(this.timer); this.backoff = 500;
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(); } catch {} }
    this.connect();
  }

  /** send sends a JSON frame when connected; it reports whether it did. */
  send(obj) {
    if (this.state !== "open") return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  /** close stops the socket for good. */
  close() {
    this.closed = true; clearTimeout(this.timer); sockets.delete(this);
    if (this.ws) try { this.ws.close(); } catch {}
    notify();
  }
}

/**
 * subscribeStreams opens the dashboard stream for channels and calls onFrame with each
 * {channel, type: snapshot|delta|error, seq, data}. A reconnection brings new snapshots,
 * which is how a view resumes. It returns the close function.
 */
export function subscribeStreams(channels, onFrame) {
  const s = new LiveSocket("/api/v1/stream/ws?channels=" + encodeURIComponent(channels.join(",")), { onFrame });
  return () => s.close();
}
