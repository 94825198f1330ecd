// Shared pieces of the app: DOM building, translations, the API client,
// the device store (IndexedDB) and a safe Markdown renderer.

export const LANGS = ['ar', 'en', 'es', 'fr', 'ru', 'zh'];
export const LANG_NAMES = { ar: 'العربية', en: 'English', es: 'Español', fr: 'Français', ru: 'Русский', zh: '中文' };

// ---- DOM ----------------------------------------------------------------

// h builds an element. Text is always set as text, never parsed as HTML, so
// nothing a server or a course author sends can inject markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// ---- translations --------------------------------------------------------

let strings = {};
let lang = 'en';

export function currentLang() { return lang; }

export async function loadLang(l) {
  if (!LANGS.includes(l)) l = 'en';
  const res = await fetch(`/app/i18n-${l}.json`);
  strings = await res.json();
  lang = l;
  document.documentElement.lang = l;
  document.documentElement.dir = l === 'ar' ? 'rtl' : 'ltr';
  localStorage.setItem('cc.lang', l);
}

// t translates a key, filling {name} placeholders from vars.
export function t(key, vars) {
  const s = strings[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m)) : s;
}

export function preferredLang() {
  const saved = localStorage.getItem('cc.lang');
  if (LANGS.includes(saved)) return saved;
  const q = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(q)) return q;
  if (LANGS.includes(document.documentElement.lang)) return document.documentElement.lang;
  for (const l of navigator.languages || []) {
    const base = l.slice(0, 2).toLowerCase();
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

export function fmtDate(s) {
  if (!s) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(new Date(s));
}

export function fmtDateTime(s) {
  if (!s) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(s));
}

// ---- session ---------------------------------------------------------------

export const session = {
  get access() { return localStorage.getItem('cc.access'); },
  get refresh() { return localStorage.getItem('cc.refresh'); },
  set(pair) {
    localStorage.setItem('cc.access', pair.access_token);
    localStorage.setItem('cc.refresh', pair.refresh_token);
  },
  clear() {
    for (const k of ['cc.access', 'cc.refresh', 'cc.me']) localStorage.removeItem(k);
  },
  get me() { try { return JSON.parse(localStorage.getItem('cc.me')); } catch { return null; } },
  set me(v) { localStorage.setItem('cc.me', JSON.stringify(v)); },
};

// ---- API -------------------------------------------------------------------

// OfflineError means the request never reached the server.
export class OfflineError extends Error {}

// ApiError is a problem+json answer; fields maps field names to messages.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.fields = {};
    for (const e of this.problem.errors || []) this.fields[e.field] = e.message;
  }
}

let refreshing = null;

async function refreshTokens() {
  if (!session.refresh) return false;
  refreshing ??= fetch('/v1/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: session.refresh }),
  }).then(async (r) => {
    if (!r.ok) { if (r.status === 401) session.clear(); return false; }
    session.set(await r.json());
    return true;
  }).finally(() => { refreshing = null; });
  return refreshing;
}

// api calls the server. JSON bodies by default; opts.raw sends a Blob or text
// with opts.type. Answers the parsed JSON (or a Blob when opts.blob).
export async function api(method, path, opts = {}) {
  const send = async () => {
    const headers = { ...(opts.headers || {}) };
    if (session.access && opts.auth !== false) headers.Authorization = `Bearer ${session.access}`;
    let body;
    if (opts.raw !== undefined) { body = opts.raw; headers['Content-Type'] = opts.type; }
    else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['Content-Type'] = 'application/json'; }
    try {
      return await fetch(path, { method, headers, body });
    } catch {
      throw new OfflineError('offline');
    }
  };
  let res = await send();
  if (res.status === 401 && session.access && opts.auth !== false && await refreshTokens()) res = await send();
  if (res.status === 304) return { notModified: true, headers: res.headers };
  if (!res.ok) {
    let problem = null;
    try { problem = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, problem);
  }
  if (opts.blob) return res.blob();
  if (opts.withHeaders) return { data: res.status === 204 ? null : await res.json(), headers: res.headers, status: res.status };
  if (res.status === 204 || res.status === 202) return null;
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

// items reads a list answer, whether a page {items} or a bare array.
export const items = (x) => (Array.isArray(x) ? x : (x && x.items) || []);

// ---- device store (IndexedDB) --------------------------------------------

let dbp = null;

function db() {
  dbp ??= new Promise((resolve, reject) => {
    const req = indexedDB.open('cybercampus', 1);
    req.onupgradeneeded = () => {
      const d = req.result;
      d.createObjectStore('packages', { keyPath: 'slug' });
      d.createObjectStore('outbox', { keyPath: 'id' });
      d.createObjectStore('kv');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const x = d.transaction(store, mode);
    const s = x.objectStore(store);
    const req = fn(s);
    x.oncomplete = () => resolve(req && req.result);
    x.onerror = () => reject(x.error);
  });
}

export const idbKeys = (store) => tx(store, 'readonly', (s) => s.getAllKeys());

export const idb = {
  get: (store, key) => tx(store, 'readonly', (s) => s.get(key)),
  all: (store) => tx(store, 'readonly', (s) => s.getAll()),
  put: (store, value, key) => tx(store, 'readwrite', (s) => (key === undefined ? s.put(value) : s.put(value, key))),
  del: (store, key) => tx(store, 'readwrite', (s) => s.delete(key)),
  clear: (store) => tx(store, 'readwrite', (s) => s.clear()),
};

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// ---- Markdown ----------------------------------------------------------------

// markdown renders a lesson's Markdown into DOM nodes. It builds elements
// itself and sets every piece of text as text, so raw HTML in a lesson shows
// as text and can never run; links keep only http(s), mailto and relative
// addresses. It covers what lessons use: headings, paragraphs, lists, block
// quotes, code, emphasis, links and rules.
export function markdown(src, top) {
  const out = document.createDocumentFragment();
  const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
  // The lesson's highest heading becomes an h2, under the lesson's own h1,
  // so heading levels never skip.
  top ??= Math.min(7, ...lines.map((l) => (l.match(/^(#{1,6})\s/) || [0, '#######'])[1].length));
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i++; continue; }
    let m;
    if ((m = line.match(/^```/))) {
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      i++;
      out.append(h('pre', {}, h('code', {}, code.join('\n'))));
    } else if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
      const level = Math.min(6, Math.max(2, m[1].length - top + 2));
      out.append(h('h' + level, {}, inline(m[2])));
      i++;
    } else if (/^(\*\s*\*\s*\*|-\s*-\s*-|_\s*_\s*_)[\s*_-]*$/.test(line)) {
      out.append(h('hr'));
      i++;
    } else if (/^>\s?/.test(line)) {
      const quote = [];
      for (; i < lines.length && /^>\s?/.test(lines[i]); i++) quote.push(lines[i].replace(/^>\s?/, ''));
      out.append(h('blockquote', {}, markdown(quote.join('\n'), top)));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? 'ol' : 'ul');
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) {
        let text = lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, '');
        while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i + 1])) text += ' ' + lines[++i].trim();
        list.append(h('li', {}, inline(text)));
      }
      out.append(list);
    } else {
      const para = [];
      for (; i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|```|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i]); i++) para.push(lines[i].trim());
      out.append(h('p', {}, inline(para.join(' '))));
    }
  }
  return out;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(!?\[[^\]]*\]\([^)\s]*\))/;

function inline(text) {
  const nodes = [];
  let rest = text;
  let m;
  while ((m = rest.match(INLINE))) {
    if (m.index > 0) nodes.push(rest.slice(0, m.index));
    const tok = m[0];
    if (m[1]) nodes.push(h('code', {}, tok.slice(1, -1)));
    else if (m[2]) nodes.push(h('strong', {}, inline(tok.slice(2, -2))));
    else if (m[3]) nodes.push(h('em', {}, inline(tok.slice(1, -1))));
    else nodes.push(link(tok));
    rest = rest.slice(m.index + tok.length);
  }
  if (rest) nodes.push(rest);
  return nodes;
}

function link(tok) {
  const m = tok.match(/^(!?)\[([^\]]*)\]\(([^)\s]*)\)$/);
  const label = m[2] || m[3];
  const href = safeURL(m[3]);
  if (!href) return label;
  return h('a', { href, rel: 'noopener noreferrer', target: href.startsWith('/') || href.startsWith('#') ? null : '_blank' }, inline(label));
}

// safeURL keeps http(s), mailto and same-site addresses; anything else
// (javascript:, data:, vbscript: ...) is dropped.
export function safeURL(u) {
  const s = String(u || '').trim();
  if (/^(https?:|mailto:)/i.test(s)) return s;
  if (/^[/#]/.test(s) && !s.startsWith('//')) return s;
  return null;
}
