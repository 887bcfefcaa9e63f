/* ioc1022 web chat widget. Embed with:
 *   <script src="https://HOST/webchat/widget.js" data-title="Đường dây nóng 1022" async></script>
 * It keeps a visitor token in localStorage, talks to /webchat/ws, sends with client message
 * ids (retried until acknowledged), and on reconnect resumes from the last sequence seen.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : location.href).origin;
  var title = (script && script.getAttribute("data-title")) || "Hỏi đáp 1022";
  var store = window.localStorage;
  var KEY = "ioc1022.chat";
  var state = JSON.parse(store.getItem(KEY) || "{}");
  var pending = {}; // client_msg_id -> text, until acked
  var seen = {};    // message id -> element
  var ws, backoff = 500;

  function save() { store.setItem(KEY, JSON.stringify(state)); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // UI
  var box = document.createElement("div");
  box.setAttribute("style", "position:fixed;bottom:16px;right:16px;width:320px;font:14px sans-serif;" +
    "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.2);z-index:99999");
  box.innerHTML = '<div style="background:#b71c1c;color:#fff;padding:8px 12px;border-radius:8px 8px 0 0"></div>' +
    '<div class="log" style="height:300px;overflow-y:auto;padding:8px"></div>' +
    '<form style="display:flex;border-top:1px solid #eee"><input style="flex:1;border:0;padding:8px" ' +
    'placeholder="Nhập tin nhắn…" maxlength="4000"><button style="border:0;padding:8px">Gửi</button></form>';
  box.firstChild.textContent = title;
  var log = box.querySelector(".log"), form = box.querySelector("form"), input = box.querySelector("input");
  document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(box); });
  if (document.body) document.body.appendChild(box);

  function show(m) {
    if (!m.text && !(m.attachments && m.attachments.length)) return;
    var el = seen[m.id];
    if (!el) {
      el = document.createElement("div");
      el.style.margin = "4px 0";
      el.style.textAlign = m.direction === "in" ? "right" : "left";
      seen[m.id] = el;
      log.appendChild(el);
    }
    el.textContent = (m.text || (m.attachments[0].name || "tệp")) + (m.edited_at ? " (đã sửa)" : "");
    log.scrollTop = log.scrollHeight;
  }

  function sendFrame(f) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(f)); }

  function flush() {
    Object.keys(pending).forEach(function (id) { sendFrame({type: "send", client_msg_id: id, text: pending[id]}); });
  }

  function onFrame(f) {
    switch (f.type) {
      case "hello":
        if (f.conversation_id) {
          sendFrame({type: "resume", last_seq: state.lastSeq || 0, epoch: state.epoch || ""});
        }
        flush();
        break;
      case "ack":
        delete pending[f.client_msg_id];
        break;
      case "message":
        var m = f.message;
        show(m);
        var s = Math.max(m.seq, m.updated_seq || 0);
        if (s > (state.lastSeq || 0)) { state.lastSeq = s; save(); }
        if (m.direction === "out") sendFrame({type: "read", seq: m.seq});
        break;
      case "resumed":
        if (f.epoch) { state.epoch = f.epoch; save(); }
        break;
      case "reset":
        state.lastSeq = 0; state.epoch = f.epoch; save();
        log.innerHTML = ""; seen = {};
        sendFrame({type: "resume", last_seq: 0, epoch: f.epoch});
        break;
    }
  }

  function connect() {
    ws = new WebSocket(base.replace(/^http/, "ws") + "/webchat/ws?token=" + encodeURIComponent(state.token));
    ws.onopen = function () { backoff = 500; };
    ws.onmessage = function (e) { onFrame(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      if (e.code === 1006 && !state.tokenChecked) { state.token = ""; }
      setTimeout(start, backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  function start() {
    if (state.token && state.exp && Date.parse(state.exp) > Date.now()) { connect(); return; }
    fetch(base + "/api/v1/webchat/session", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"})
      .then(function (r) { return r.json(); })
      .then(function (s) { state = {token: s.token, exp: s.expires_at, lastSeq: 0}; save(); connect(); })
      .catch(function () { setTimeout(start, backoff); backoff = Math.min(backoff * 2, 30000); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var id = uuid();
    pending[id] = text;
    show({id: "local:" + id, direction: "in", text: text});
    input.value = "";
    sendFrame({type: "send", client_msg_id: id, text: text});
  });

  start();
})();
