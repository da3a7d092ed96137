/* Keeps the app itself on the phone so it starts without a connection; the day's data and the queue live in the
 * page's storage (app.js), and the API is never cached here (its answers belong to whoever is signed in). */
const CACHE = "repairops-tech-v2";
const SHELL = ["./", "index.html", "app.js", "app.css", "manifest.json", "icon-192.png", "icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/tech/")) return;
  // The network first (a new version of the app arrives at once), the copy when there is no network.
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        if (answer.ok) { const copy = answer.clone(); caches.open(CACHE).then((cache) => cache.put(event.request, copy)); }
        return answer;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })
        .then((hit) => hit || caches.match("index.html"))),
  );
});
