// Offline first: saved course packages, and the outbox of progress events and
// quiz attempts made on the device. Every queued item carries a UUID made
// here, so sending it again after a lost answer never counts twice on the
// server.

import { api, idb, idbKeys, uuid, session, OfflineError, ApiError, t, fmtDateTime } from './lib.js';

const listeners = new Set();

// Every queued item belongs to the account that made it, and is only ever
// sent with that account's session: on a shared phone, one learner's
// progress never reaches another's account.
const owner = () => session.me?.id || '';
const mine = async () => (await idb.all('outbox')).filter((x) => x.owner === owner());
let syncing = null;

export function onSyncChange(fn) { listeners.add(fn); }

// refresh tells the listeners the state again (after a language change).
export function refresh() { return notify(); }

async function notify() {
  const s = await syncState();
  for (const fn of listeners) fn(s);
}

// syncState tells what is waiting on the device.
export async function syncState() {
  const box = await mine();
  const last = await idb.get('kv', 'lastSync');
  const failed = (await idb.get('kv', 'failed')) || [];
  return { pending: box.length, lastSync: last || null, online: navigator.onLine, failed };
}

export function describe(s) {
  if (s.pending > 0 && !s.online) return { kind: 'pending', text: t('sync.pendingOffline', { n: s.pending }) };
  if (s.pending > 0) return { kind: 'pending', text: t('sync.pending', { n: s.pending }) };
  if (!s.online) return { kind: 'offline', text: t('sync.offline') };
  return { kind: 'synced', text: s.lastSync ? t('sync.synced', { at: fmtDateTime(s.lastSync) }) : t('sync.allSynced') };
}

// ---- saved courses ---------------------------------------------------------

// savePackage fetches the course package (or learns the saved one is current).
export async function savePackage(slug, lang) {
  const old = await idb.get('packages', slug);
  const headers = old && old.lang === lang ? { 'If-None-Match': old.etag } : {};
  const res = await api('GET', `/v1/courses/${encodeURIComponent(slug)}/package?lang=${lang}`, { headers, withHeaders: true });
  if (res.notModified) {
    old.savedAt = new Date().toISOString();
    await idb.put('packages', old);
    return old;
  }
  const pkg = { slug, lang, etag: res.headers.get('ETag'), savedAt: new Date().toISOString(), course: res.data };
  await idb.put('packages', pkg);
  return pkg;
}

export const savedPackage = (slug) => idb.get('packages', slug);
export const savedPackages = () => idb.all('packages');
export const forgetPackage = (slug) => idb.del('packages', slug);

// ---- the outbox ------------------------------------------------------------------

// completeLesson queues a lesson_completed event and remembers it locally.
export async function completeLesson(slug, lessonId) {
  const ev = { id: uuid(), owner: owner(), kind: 'progress', slug, lesson_id: lessonId, type: 'lesson_completed', occurred_at: new Date().toISOString() };
  await idb.put('outbox', ev);
  const done = await localDone(slug);
  done[lessonId] = ev.occurred_at;
  await idb.put('kv', done, `done:${owner()}:${slug}`);
  await notify();
  syncNow();
  return ev;
}

export async function localDone(slug) { return (await idb.get('kv', `done:${owner()}:${slug}`)) || {}; }

// queueAttempt stores a quiz attempt; its result arrives once it is sent.
export async function queueAttempt(slug, quizId, answers) {
  const a = { id: uuid(), owner: owner(), kind: 'attempt', slug, quiz_id: quizId, answers, queued_at: new Date().toISOString() };
  await idb.put('outbox', a);
  await notify();
  return a;
}

// queueSurvey stores a survey's answers with a client-made response id, so a
// resend after a lost answer is counted once.
export async function queueSurvey(surveyId, answers) {
  const r = { id: uuid(), owner: owner(), kind: 'survey', survey_id: surveyId, answers, queued_at: new Date().toISOString() };
  await idb.put('outbox', r);
  await notify();
  return r;
}

// The waiting surveys are kept on the device to be answered offline.
export const keepSurveys = (list) => idb.put('kv', list, `surveys:${owner()}`);
export const keptSurveys = async () => (await idb.get('kv', `surveys:${owner()}`)) || [];

// answeredSurveys are the surveys answered on this device, sent or not.
export async function answeredSurveys() {
  const queued = (await mine()).filter((x) => x.kind === 'survey').map((x) => x.survey_id);
  return new Set([...queued, ...((await idb.get('kv', `answered:${owner()}`)) || [])]);
}

export const attemptResult = (id) => idb.get('kv', 'attempt:' + id);

// syncNow sends everything queued, in order: progress events in batches of
// up to 500, then attempts one by one. It stops at the first network failure
// and leaves the rest queued.
export function syncNow() {
  if (!session.access) return Promise.resolve();
  syncing ??= run().finally(() => { syncing = null; notify(); });
  return syncing;
}

async function run() {
  const box = (await mine()).sort((a, b) => (a.occurred_at || a.queued_at).localeCompare(b.occurred_at || b.queued_at));
  if (!box.length) return;
  try {
    const events = box.filter((x) => x.kind === 'progress');
    for (let i = 0; i < events.length; i += 500) await sendEvents(events.slice(i, i + 500));
    for (const a of box.filter((x) => x.kind === 'attempt')) await sendAttempt(a);
    for (const r of box.filter((x) => x.kind === 'survey')) await sendSurvey(r);
    await idb.put('kv', new Date().toISOString(), 'lastSync');
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
  }
}

async function sendEvents(batch) {
  const body = { events: batch.map((e) => ({ id: e.id, lesson_id: e.lesson_id, type: e.type, occurred_at: e.occurred_at })) };
  let res;
  try {
    res = await api('POST', '/v1/progress', { body });
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) return dropAll(batch, e.message);
    throw e;
  }
  const rejected = new Map((res.rejected || []).map((r) => [r.id, r.error]));
  for (const e of batch) {
    await idb.del('outbox', e.id);
    if (rejected.has(e.id)) await recordFailure(e, rejected.get(e.id));
  }
}

async function dropAll(batch, message) {
  for (const e of batch) { await idb.del('outbox', e.id); await recordFailure(e, message); }
}

async function sendAttempt(a) {
  try {
    const res = await api('POST', `/v1/quizzes/${a.quiz_id}/attempts`, { body: { id: a.id, answers: a.answers } });
    await idb.put('kv', { ok: true, ...res }, 'attempt:' + a.id);
  } catch (e) {
    if (e instanceof OfflineError || (e instanceof ApiError && (e.status === 401 || e.status === 429 || e.status >= 500))) throw new OfflineError('later');
    await idb.put('kv', { ok: false, error: e.message }, 'attempt:' + a.id);
  }
  await idb.del('outbox', a.id);
}

async function sendSurvey(r) {
  try {
    await api('POST', `/v1/surveys/${r.survey_id}/responses`, { body: { id: r.id, answers: r.answers } });
  } catch (e) {
    if (e instanceof OfflineError || (e instanceof ApiError && (e.status === 401 || e.status === 429 || e.status >= 500))) throw new OfflineError('later');
    await recordFailure(r, e.message);
  }
  const key = `answered:${owner()}`;
  await idb.put('kv', [...((await idb.get('kv', key)) || []), r.survey_id].slice(-50), key);
  await idb.del('outbox', r.id);
}

async function recordFailure(item, error) {
  const failed = (await idb.get('kv', 'failed')) || [];
  failed.push({ id: item.id, kind: item.kind, error, at: new Date().toISOString() });
  await idb.put('kv', failed.slice(-20), 'failed');
}

// clearDevice forgets what this account left on the device (on sign-out or
// erasure): its queue, its marks and the saved courses. Another account's
// unsent items stay until that account signs in again.
export async function clearDevice() {
  for (const x of await mine()) await idb.del('outbox', x.id);
  const d = await idbKeys('kv');
  for (const k of d) if (k.startsWith(`done:${owner()}:`) || k === `surveys:${owner()}` || k === `answered:${owner()}` || k.startsWith('attempt:') || k === 'lastSync' || k === 'failed') await idb.del('kv', k);
  await idb.clear('packages');
  await notify();
}

export function startSync() {
  addEventListener('online', () => { notify(); syncNow(); });
  addEventListener('offline', notify);
  setInterval(() => { if (navigator.onLine) syncNow(); }, 30000);
  notify();
  if (navigator.onLine) syncNow();
}
