// Service worker of the ioc1022 console: the pages and static files come from the network
// when it answers (so a new version shows at once) and from the cache when offline. The API
// and the live streams are never cached.
const CACHE = "ioc1022-console-v1";
const SHELL = ["/", "/tra-cuu", "/manifest.webmanifest", "/console/css/console.css", "/console/js/main.js", "/console/js/lib.js",
  "/console/js/i18n.js", "/console/js/live.js", "/console/js/lookup.js", "/console/vendor/preact.module.js",
  "/console/vendor/preact-hooks.module.js", "/console/vendor/htm.module.js", "/console/icon.svg"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  const p = url.pathname;
  if (!(p === "/" || p === "/tra-cuu" || p === "/manifest.webmanifest" || p.startsWith("/console/"))) return;
  e.respondWith(fetch(e.request).then((res) => {
    if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); }
    return res;
  }).catch(() => caches.match(e.request, { ignoreSearch: true })));
});
