// CyberCampus analysts' dashboard. Signs in with POST /v1/auth/login, keeps the
// access token in sessionStorage only, and calls the report endpoints with it.
// Everything from the server is written with textContent, never as HTML; every
// word shown is the page's language (the i18n block), numbers included.
'use strict';

const DIMENSIONS = ['gender', 'region', 'country', 'audience', 'age_band', 'course', 'cohort', 'month', 'ldc', 'sids', 'lldc', 'disability', 'education_level'];
const MEASURES = ['learners', 'enrollments', 'completions', 'certificates', 'completion_rate'];
const IMPACT_FIGURES = ['learners', 'matched_pairs', 'pre_mean', 'post_mean', 'mean_gain', 'satisfaction_mean', 'follow_up_responses', 'applied_share'];
const TOKEN_KEY = 'cybercampus.dashboard.token';
const chartURLs = {};

const $ = (sel) => document.querySelector(sel);

// The page carries its words, in its language, as a JSON data block.
let TEXT = {};
let LANG = 'en';
function t(key, values) {
  let s = TEXT[key] || key;
  for (const [k, v] of Object.entries(values || {})) s = s.split(`{${k}}`).join(v);
  return s;
}
const label = (name) => TEXT[`dim.${name}`] || TEXT[`measure.${name}`] || name.replace('_', ' ');

// Numbers as the language writes them, in Latin digits, as the charts
// (reports/i18n.go) write them.
function num(v, minFrac, maxFrac, signed) {
  return new Intl.NumberFormat(LANG, {
    numberingSystem: 'latn', minimumFractionDigits: minFrac, maximumFractionDigits: maxFrac, signDisplay: signed ? 'exceptZero' : 'auto',
  }).format(v);
}
const pct = (v) => new Intl.NumberFormat(LANG, { numberingSystem: 'latn', style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v);

// valueText names a dimension's value in words: the JSON keeps the API's
// values (female, not_stated, KE); the page shows them in its language.
function valueText(dim, v) {
  if (v === null) return dim === 'cohort' ? t('value.no_cohort') : t('value.unknown');
  if (dim === 'country') {
    const name = new Intl.DisplayNames([LANG], { type: 'region', fallback: 'none' }).of(v);
    return name ? `${name} (${v})` : v;
  }
  return TEXT[`${dim}.${v}`] || String(v);
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function showSignedIn(signedIn) {
  $('#login').hidden = signedIn;
  $('#report').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
}

// problemText says in the page's language what went wrong: the API's
// problem details are English, so the page words them from the status and
// the names of the fields at fault.
async function problemText(resp, context) {
  let p = {};
  try {
    p = await resp.json();
  } catch (e) {
    // not problem+json: the status says enough
  }
  const fields = [...new Set((p.errors || []).map((e) => e.field))].map((f) => TEXT[`field.${f}`] || f);
  const s = resp.status;
  if (s === 422 && fields.length) return t('err.invalid', { fields: fields.join(t('chart.item_sep')) });
  if (s === 400) return t('err.bad_request');
  if (s === 401) return t(context === 'login' ? 'err.login' : 'session_ended');
  if (s === 403) return t('err.forbidden');
  if (s === 404) return t('err.not_found');
  if (s === 429) return t('err.rate_limited', { seconds: num(Number(resp.headers.get('Retry-After')) || 60, 0, 0) });
  if (s >= 500) {
    const ref = resp.headers.get('X-Request-ID');
    return ref ? `${t('err.server')} ${t('err.reference', { id: ref })}` : t('err.server');
  }
  return t('err.other', { status: s });
}

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (e) {
    throw new Error(t('err.network'));
  }
}

async function api(path, accept) {
  const resp = await send(path, { headers: { Authorization: `Bearer ${token()}`, Accept: accept } });
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
  try {
    const resp = await send('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!resp.ok) {
      $('#login-error').textContent = await problemText(resp, 'login');
      return;
    }
    const pair = await resp.json();
    sessionStorage.setItem(TOKEN_KEY, pair.access_token);
    $('#password').value = '';
    showSignedIn(true);
  } catch (e) {
    $('#login-error').textContent = e.message;
  }
}

function form() { return new FormData($('#report-form')); }
function view() { return form().get('view') === 'impact' ? 'impact' : 'participation'; }

function params() {
  const f = form();
  const q = new URLSearchParams();
  const dims = DIMENSIONS.filter((d) => f.getAll('dim').includes(d));
  if (dims.length) q.set('group_by', dims.join(','));
  for (const name of ['course', 'cohort', 'country', 'region', 'from', 'to', 'min_cell_size']) {
    const v = (f.get(name) || '').trim();
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
    cell(tr, v === null ? '—' : (m === 'completion_rate' ? pct(v) : num(v, 0, 0)), 'num');
  }
}

// impactCells writes an impact row's figures: a mean or share the API does
// not publish (too few people) says so, never a blank or a zero.
function impactCells(tr, f) {
  for (const m of IMPACT_FIGURES) {
    const v = f[m];
    if (f.suppressed) cell(tr, t('suppressed'), 'suppressed num');
    else if (v === null || v === undefined) cell(tr, t('not_shown'), 'suppressed num');
    else if (m === 'applied_share') cell(tr, pct(v), 'num');
    else if (m === 'mean_gain') cell(tr, num(v, 0, 2, true), 'num');
    else cell(tr, num(v, 0, 2), 'num');
  }
}

// renderTable fills table with rep's rows and totals, figures written by cells.
function renderTable(table, rep, figures, cells) {
  const [thead, tbody, tfoot] = ['thead', 'tbody', 'tfoot'].map((s) => table.querySelector(s));
  thead.replaceChildren();
  tbody.replaceChildren();
  tfoot.replaceChildren();
  const head = document.createElement('tr');
  for (const h of [...rep.group_by, ...figures]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = label(h);
    head.appendChild(th);
  }
  thead.appendChild(head);
  for (const row of rep.rows) {
    const tr = document.createElement('tr');
    for (const d of rep.group_by) cell(tr, valueText(d, row[d]));
    cells(tr, row);
    tbody.appendChild(tr);
  }
  const total = document.createElement('tr');
  if (rep.group_by.length) {
    const td = document.createElement('td');
    td.colSpan = rep.group_by.length;
    td.textContent = t('total');
    total.appendChild(td);
  }
  cells(total, rep.totals);
  tfoot.appendChild(total);
}

const dateTime = (iso) => `${new Intl.DateTimeFormat(LANG, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso))} UTC`;

function renderParticipation(rep) {
  renderTable($('#report-table'), rep, MEASURES, countCells);
  $('#report-table tfoot tr').id = 'totals';
  const gpi = rep.gender_parity;
  const fmt = (v) => (v === null ? t('not_shown') : num(v, 2, 2));
  $('#summary').textContent = t('summary', {
    rows: num(rep.rows.length, 0, 0), min: num(rep.min_cell_size, 0, 0), learners: fmt(gpi.learners), completions: fmt(gpi.completions),
    from: rep.from || '…', to: rep.to || '…',
    date: rep.data_as_of ? dateTime(rep.data_as_of) : '…',
  });
}

function renderImpact(rep) {
  renderTable($('#impact-table'), rep, IMPACT_FIGURES, impactCells);
  const min = num(rep.disclosure_control.min_cell_size, 0, 0);
  $('#impact-summary').textContent = t('impact_summary', { rows: num(rep.rows.length, 0, 0), min, date: dateTime(rep.generated_at) });
}

// renderChart shows the SVG chart at path, in the page's language, in the
// figure: its <desc> (every value in words) is the image's text alternative.
async function renderChart(path, figure, alt) {
  const resp = await api(path, 'image/svg+xml');
  const text = await resp.text();
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const img = figure.querySelector('img');
  if (chartURLs[figure.id]) URL.revokeObjectURL(chartURLs[figure.id]);
  chartURLs[figure.id] = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  img.alt = (doc.querySelector('desc') || {}).textContent || alt;
  img.src = chartURLs[figure.id];
  img.hidden = false;
  figure.querySelector('figcaption').textContent = (doc.querySelector('title') || {}).textContent || '';
}

function chartQuery(q, measure) {
  const cq = new URLSearchParams(q);
  cq.set('measure', measure);
  cq.set('lang', LANG);
  return cq;
}

async function runReport(event) {
  event.preventDefault();
  $('#report-error').textContent = '';
  const q = params();
  const v = view();
  showView(v);
  try {
    const resp = await api(`/v1/reports/${v}?${q}`, 'application/json');
    if (v === 'impact') {
      renderImpact(await resp.json());
      await renderChart(`/v1/reports/impact.svg?${chartQuery(q, form().get('impact_measure'))}`, $('#impact-chart'), t('impact_chart_alt'));
    } else {
      renderParticipation(await resp.json());
      await renderChart(`/v1/reports/participation.svg?${chartQuery(q, form().get('measure'))}`, $('#chart'), t('chart_alt'));
    }
    document.body.dataset.state = 'report-loaded';
  } catch (e) {
    $('#report-error').textContent = e.message;
    document.body.dataset.state = 'report-error';
  }
}

async function downloadCSV() {
  $('#report-error').textContent = '';
  const v = view();
  try {
    const resp = await api(`/v1/reports/${v}?${params()}`, 'text/csv');
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${v}.csv`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) {
    $('#report-error').textContent = e.message;
  }
}

// showView shows the results and the chart measures of the chosen report.
function showView(v) {
  $('#participation-results').hidden = v !== 'participation';
  $('#measure-participation').hidden = v !== 'participation';
  $('#impact-results').hidden = v !== 'impact';
  $('#measure-impact').hidden = v !== 'impact';
}

function init() {
  TEXT = JSON.parse($('#i18n').textContent);
  LANG = document.documentElement.lang || 'en';
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
  for (const r of document.querySelectorAll('input[name=view]')) r.addEventListener('change', () => showView(view()));
  $('#download').addEventListener('click', downloadCSV);
  $('#sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedIn(false);
  });
  showSignedIn(Boolean(token()));
  showView(view());
  document.body.dataset.state = 'ready';
}

document.addEventListener('DOMContentLoaded', init);
