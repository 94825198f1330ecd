// The service worker keeps the app's files on the device so the app opens
// without a connection. API calls (/v1/...) are never intercepted: saved
// courses and queued progress live in IndexedDB, managed by the page.
const VERSION = '__VERSION__';
const SHELL = 'cc-shell-' + VERSION;
const FILES = ['/app', '/app/app.js', '/app/lib.js', '/app/sync.js', '/app/trainer.js', '/app/app.css',
  '/app/manifest.webmanifest', '/app/icon.svg', '/app/icon-192.png', '/app/icon-512.png',
  '/app/i18n-ar.json', '/app/i18n-en.json', '/app/i18n-es.json', '/app/i18n-fr.json', '/app/i18n-ru.json', '/app/i18n-zh.json'];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })))).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('cc-shell-') && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin || !(url.pathname === '/app' || url.pathname.startsWith('/app/'))) return;
  if (req.mode === 'navigate') {
    // The page: the network's copy when it answers, else the saved one.
    ev.respondWith(fetch(req).catch(() => caches.match('/app', { ignoreSearch: true })));
    return;
  }
  // The app's files: the saved copy of this version, else the network.
  ev.respondWith(caches.match(req, { ignoreSearch: true }).then((hit) => hit || fetch(req)));
});
