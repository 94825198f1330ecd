// CyberCampus analysts' dashboard. Signs in with POST /v1/auth/login, keeps the
// access token in sessionStorage only, and calls the report endpoints with it.
// Everything from the server is written with textContent, never as HTML.
'use strict';

const DIMENSIONS = ['gender', 'region', 'country', 'audience', 'age_band', 'course', 'cohort', 'month', 'ldc', 'sids', 'lldc', 'disability', 'education_level'];
const MEASURES = ['learners', 'enrollments', 'completions', 'certificates', 'completion_rate'];
const TOKEN_KEY = 'cybercampus.dashboard.token';
let chartURL = null;

const $ = (sel) => document.querySelector(sel);

// The page carries its words, in its language, as a JSON data block.
let TEXT = {};
function t(key, values) {
  let s = TEXT[key] || key;
  for (const [k, v] of Object.entries(values || {})) s = s.split(`{${k}}`).join(v);
  return s;
}
const label = (name) => TEXT[`dim.${name}`] || TEXT[`measure.${name}`] || name.replace('_', ' ');

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function showSignedIn(signedIn) {
  $('#login').hidden = signedIn;
  $('#report').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
}

async function problemText(resp) {
  try {
    const p = await resp.json();
    const fields = (p.errors || []).map((e) => `${e.field} ${e.message}`).join('; ');
    return [p.detail || p.title, fields].filter(Boolean).join(': ');
  } catch (e) {
    return `${resp.status} ${resp.statusText}`;
  }
}

async function api(path, accept) {
  const resp = await fetch(path, { headers: { Authorization: `Bearer ${token()}`, Accept: accept } });
  if (resp.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedIn(false);
    throw new Error(t('session_ended'));
  }
  if (!resp.ok) {
    throw new Error(await problemText(resp));
  }
  return resp;
}

async function signIn(event) {
  event.preventDefault();
  $('#login-error').textContent = '';
  const body = JSON.stringify({ email: $('#email').value, password: $('#password').value });
  const resp = await fetch('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (!resp.ok) {
    $('#login-error').textContent = await problemText(resp);
    return;
  }
  const pair = await resp.json();
  sessionStorage.setItem(TOKEN_KEY, pair.access_token);
  $('#password').value = '';
  showSignedIn(true);
}

function params() {
  const form = new FormData($('#report-form'));
  const q = new URLSearchParams();
  const dims = DIMENSIONS.filter((d) => form.getAll('dim').includes(d));
  if (dims.length) q.set('group_by', dims.join(','));
  for (const name of ['course', 'cohort', 'country', 'region', 'from', 'to', 'min_cell_size']) {
    const v = (form.get(name) || '').trim();
    if (v) q.set(name, v);
  }
  return q;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function countCells(tr, c) {
  if (c.suppressed) {
    for (const m of MEASURES) cell(tr, t('suppressed'), 'suppressed num');
    return;
  }
  for (const m of MEASURES) {
    const v = c[m];
    cell(tr, v === null ? '—' : (m === 'completion_rate' ? `${(v * 100).toFixed(1)}%` : String(v)), 'num');
  }
}

function renderTable(rep) {
  const thead = $('#report-table thead');
  const tbody = $('#report-table tbody');
  const tfoot = $('#report-table tfoot');
  thead.replaceChildren();
  tbody.replaceChildren();
  tfoot.replaceChildren();
  const head = document.createElement('tr');
  for (const h of [...rep.group_by, ...MEASURES]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label(h);
    head.appendChild(th);
  }
  thead.appendChild(head);
  for (const row of rep.rows) {
    const tr = document.createElement('tr');
    for (const d of rep.group_by) cell(tr, row[d] === null ? t('none') : String(row[d]));
    countCells(tr, row);
    tbody.appendChild(tr);
  }
  const total = document.createElement('tr');
  total.id = 'totals';
  if (rep.group_by.length) {
    const td = document.createElement('td');
    td.colSpan = rep.group_by.length;
    td.textContent = t('total');
    total.appendChild(td);
  }
  countCells(total, rep.totals);
  tfoot.appendChild(total);
  const gpi = rep.gender_parity;
  const fmt = (v) => (v === null ? t('not_shown') : v.toFixed(2));
  const asOf = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  $('#summary').textContent = t('summary', {
    rows: rep.rows.length, min: rep.min_cell_size, learners: fmt(gpi.learners), completions: fmt(gpi.completions),
    from: rep.from || '…', to: rep.to || '…',
    date: rep.data_as_of ? `${asOf.format(new Date(rep.data_as_of))} UTC` : '…',
  });
}

async function renderChart(q) {
  const cq = new URLSearchParams(q);
  cq.set('measure', new FormData($('#report-form')).get('measure'));
  const resp = await api(`/v1/reports/participation.svg?${cq}`, 'image/svg+xml');
  const text = await resp.text();
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const img = $('#chart img');
  if (chartURL) URL.revokeObjectURL(chartURL);
  chartURL = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  img.alt = (doc.querySelector('desc') || {}).textContent || t('chart_alt');
  img.src = chartURL;
  img.hidden = false;
  $('#chart figcaption').textContent = (doc.querySelector('title') || {}).textContent || '';
}

async function runReport(event) {
  event.preventDefault();
  $('#report-error').textContent = '';
  const q = params();
  try {
    const resp = await api(`/v1/reports/participation?${q}`, 'application/json');
    renderTable(await resp.json());
    await renderChart(q);
    document.body.dataset.state = 'report-loaded';
  } catch (e) {
    $('#report-error').textContent = e.message;
    document.body.dataset.state = 'report-error';
  }
}

async function downloadCSV() {
  $('#report-error').textContent = '';
  try {
    const resp = await api(`/v1/reports/participation?${params()}`, 'text/csv');
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'participation.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) {
    $('#report-error').textContent = e.message;
  }
}

function init() {
  TEXT = JSON.parse($('#i18n').textContent);
  const box = $('#dimensions');
  for (const d of DIMENSIONS) {
    const lab = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = 'dim';
    input.value = d;
    input.checked = d === 'gender' || d === 'region';
    lab.append(input, ` ${label(d)}`);
    box.appendChild(lab);
  }
  $('#login-form').addEventListener('submit', signIn);
  $('#report-form').addEventListener('submit', runReport);
  $('#download').addEventListener('click', downloadCSV);
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedIn(false);
  });
  showSignedIn(Boolean(token()));
  document.body.dataset.state = 'ready';
}

document.addEventListener('DOMContentLoaded', init);
