// CyberCampus web app: the router, the header and the learners' screens.
// Trainers' screens live in trainer.js, loaded only when a trainer opens them.

import { h, t, api, items, session, loadLang, preferredLang, currentLang, LANGS, LANG_NAMES, ApiError, OfflineError, fmtDate, fmtDateTime, markdown, safeURL, uuid } from './lib.js';
import * as sync from './sync.js';

const main = () => document.getElementById('main');

// ---- routing ---------------------------------------------------------------

const routes = [
  [/^\/?$/, home],
  [/^\/signin$/, signIn],
  [/^\/signup$/, signUp],
  [/^\/forgot$/, forgot],
  [/^\/reset$/, resetPassword],
  [/^\/verify$/, verifyEmail],
  [/^\/catalogue$/, catalogue],
  [/^\/course\/([a-z0-9-]+)$/, course],
  [/^\/lesson\/([a-z0-9-]+)\/([0-9a-f-]{36})$/, lesson],
  [/^\/quiz\/([a-z0-9-]+)\/([0-9a-f-]{36})$/, quiz],
  [/^\/assessment\/([a-z0-9-]+)\/(pre|post)$/, assessment],
  [/^\/learning$/, learning],
  [/^\/certificates$/, certificates],
  [/^\/notifications$/, notifications],
  [/^\/invitations$/, invitations],
  [/^\/surveys$/, surveys],
  [/^\/children$/, children],
  [/^\/account$/, account],
  [/^\/trainer(\/.*)?$/, trainer],
];

// parseHash splits "#/path?query" into its path and parameters.
function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  return { path, params: new URLSearchParams(query || '') };
}

export function go(path) { location.hash = '#' + path; }

let renderSeq = 0;

async function render() {
  const { path, params } = parseHash();
  if (!path.startsWith('/')) return; // an in-page anchor, not a screen
  const seq = ++renderSeq;
  renderNav();
  const m = main();
  for (const [re, screen] of routes) {
    const match = path.match(re);
    if (!match) continue;
    m.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
    try {
      const node = await screen(params, ...match.slice(1));
      if (seq !== renderSeq) return;
      m.replaceChildren(node);
    } catch (e) {
      if (seq !== renderSeq) return;
      m.replaceChildren(errorScreen(e));
    }
    focusHeading();
    return;
  }
  m.replaceChildren(screenTitle(t('notFound.title')), h('p', {}, h('a', { href: '#/' }, t('nav.home'))));
  focusHeading();
}

// focusHeading moves focus to the new screen's heading, so screen readers
// announce it, and names the document after it.
function focusHeading() {
  const h1 = main().querySelector('h1');
  document.title = h1 ? `${h1.textContent} · CyberCampus` : 'CyberCampus';
  if (h1 && document.activeElement !== document.getElementById('lang')) h1.focus({ preventScroll: false });
}

function screenTitle(text) { return h('h1', { tabindex: '-1' }, text); }

function errorScreen(e) {
  if (e instanceof OfflineError) {
    return h('section', { 'data-offline': '' }, screenTitle(t('offline.title')), h('p', {}, t('offline.body')), h('p', {}, h('a', { href: '#/learning' }, t('nav.learning'))));
  }
  if (e instanceof ApiError && e.status === 401) {
    return h('section', {}, screenTitle(t('signin.title')), h('p', {}, t('signin.needed')), h('p', {}, h('a', { href: '#/signin' }, t('nav.signin'))));
  }
  return h('section', {}, screenTitle(t('error.title')), h('p', { role: 'alert' }, e.message || t('error.generic')));
}

function requireSignIn() {
  if (!session.access) throw new ApiError(401, null);
}

const isTrainer = () => (session.me?.roles || []).some((r) => r === 'trainer' || r === 'admin');

// ---- header and status ---------------------------------------------------------

function renderNav() {
  const nav = document.getElementById('nav');
  const signedIn = !!session.access;
  const links = signedIn
    ? [['#/learning', t('nav.learning')], ['#/catalogue', t('nav.catalogue')], ['#/certificates', t('nav.certificates')],
      ['#/notifications', t('nav.notifications')], ['#/invitations', t('nav.invitations')],
      isTrainer() ? ['#/trainer', t('nav.trainer')] : null, ['#/account', t('nav.account')]]
    : [['#/catalogue', t('nav.catalogue')], ['#/signin', t('nav.signin')], ['#/signup', t('nav.signup')]];
  const here = '#' + parseHash().path;
  nav.replaceChildren(h('ul', {}, links.filter(Boolean).map(([href, label]) => h('li', {},
    h('a', { href, 'aria-current': here === href || (href !== '#/' && here.startsWith(href + '/')) ? 'page' : null }, label)))));
  const select = document.getElementById('lang');
  select.replaceChildren(...LANGS.map((l) => h('option', { value: l, lang: l, selected: l === currentLang() }, LANG_NAMES[l])));
  document.getElementById('lang-label').textContent = t('nav.language');
  document.getElementById('skip').textContent = t('nav.skip');
}

function renderStatus(s) {
  const el = document.getElementById('status');
  const d = sync.describe(s);
  el.className = 'status status-' + d.kind;
  el.replaceChildren(h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', {}, d.text));
  if (s.pending && s.online) el.append(h('button', { type: 'button', class: 'link', onclick: () => sync.syncNow() }, t('sync.now')));
}

// ---- forms ---------------------------------------------------------------------

// field builds a labelled input with a place for its error message.
function field(name, label, attrs = {}, hint) {
  const id = 'f-' + name;
  const input = attrs.options
    ? h('select', { id, name, required: attrs.required }, attrs.options.map(([v, l]) => h('option', { value: v, selected: v === attrs.value }, l)))
    : h(attrs.textarea ? 'textarea' : 'input', { id, name, ...attrs, options: null, textarea: null });
  const describedBy = [hint ? id + '-hint' : null, id + '-error'].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', describedBy);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null,
    input,
    h('p', { class: 'error', id: id + '-error' }));
}

// showErrors puts each field's message beside it and a summary on top.
function showErrors(form, err, extra) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  const summary = form.querySelector('.form-summary');
  if (!err) { summary.replaceChildren(); return; }
  let first = null;
  const fields = err.fields || {};
  for (const [name, msg] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    form.querySelector('#f-' + CSS.escape(name) + '-error').textContent = (extra && extra[name]) || msg;
    first ??= input;
  }
  const message = err instanceof OfflineError ? t('offline.action') : err.message;
  summary.replaceChildren(h('p', {}, message), extra?._summary ? h('p', {}, extra._summary) : null);
  summary.focus();
  if (first && Object.keys(fields).length > 1) first.focus();
}

function form(onsubmit, ...children) {
  const f = h('form', { novalidate: true }, h('div', { class: 'form-summary', role: 'alert', tabindex: '-1' }), children);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = f.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      showErrors(f, null);
      await onsubmit(Object.fromEntries(new FormData(f)), f);
    } catch (e) {
      showErrors(f, e, e.extra);
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

const submit = (label) => h('button', { type: 'submit', class: 'primary' }, label);

function notice(text, kind = 'ok') { return h('p', { class: 'notice notice-' + kind, role: 'status' }, text); }

// ---- accounts ------------------------------------------------------------------------

async function afterSignIn(pair) {
  session.set(pair);
  session.me = await api('GET', '/v1/me');
  if (LANGS.includes(session.me.language) && !localStorage.getItem('cc.lang.chosen') && session.me.language !== currentLang()) await loadLang(session.me.language);
  sync.syncNow();
  go('/learning');
}

function home() {
  if (session.access) { go('/learning'); return h('p', {}, t('common.loading')); }
  return h('section', {}, screenTitle(t('home.title')), h('p', { class: 'lead' }, t('home.lead')),
    h('p', { class: 'actions' }, h('a', { class: 'button primary', href: '#/signup' }, t('nav.signup')),
      h('a', { class: 'button', href: '#/signin' }, t('nav.signin')), h('a', { class: 'button', href: '#/catalogue' }, t('nav.catalogue'))));
}

// cardUsername is the username a pupil's sign-in card carries in its QR
// code (/app?username=...), or one given in the screen's own query.
function cardUsername(params) {
  return (params.get('username') || new URLSearchParams(location.search).get('username') || '').trim();
}

function signIn(params) {
  const f = form(async (v) => {
    const who = v.login.trim();
    const body = who.includes('@') ? { email: who, password: v.password } : { username: who, password: v.password };
    try {
      await afterSignIn(await api('POST', '/v1/auth/login', { body, auth: false }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) e.message = t('signin.bad');
      if (e instanceof ApiError && e.fields.email) e.fields.login = e.fields.email;
      if (e instanceof ApiError && e.fields.username) e.fields.login = e.fields.username;
      throw e;
    }
  },
  field('login', t('signin.login'), { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', value: cardUsername(params) }, t('signin.loginHint')),
  field('password', t('field.password'), { type: 'password', autocomplete: 'current-password', required: true }),
  submit(t('signin.submit')));
  return h('section', {}, screenTitle(t('signin.title')), f,
    h('p', {}, h('a', { href: '#/forgot' }, t('signin.forgot'))),
    h('p', {}, t('signin.noAccount'), ' ', h('a', { href: '#/signup' }, t('nav.signup'))));
}

const GENDERS = ['female', 'male', 'other', 'undisclosed'];
const AUDIENCES = ['youth', 'professional', 'msme'];
const LEVELS = ['beginner', 'intermediate', 'advanced'];
const FEATURES = ['captions', 'transcript', 'alternativeText', 'signLanguage', 'audioDescription', 'largePrint', 'highContrastDisplay'];
const COUNTRIES = ('AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA CF TD CL CN CO KM CG CD CR CI HR CU CY CZ DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG KP MK NO OM PK PW PA PG PY PE PH PL PT QA KR RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG TO TT TN TR TM TV UG UA AE GB US UY UZ VU VA VE VN YE ZM ZW PS HK MO TW PR').split(' ');

function countryOptions() {
  const names = new Intl.DisplayNames([currentLang()], { type: 'region' });
  return [['', t('field.choose')], ...COUNTRIES.map((c) => [c, names.of(c)]).sort((a, b) => a[1].localeCompare(b[1], currentLang()))];
}

function signUp() {
  const f = form(async (v) => {
    const body = { email: v.email.trim(), password: v.password, name: v.name.trim(), gender: v.gender, birth_year: Number(v.birth_year) || 0,
      country: v.country, audience: v.audience, language: currentLang() };
    if (v.organization.trim()) body.organization = v.organization.trim();
    try {
      await api('POST', '/v1/auth/register', { body, auth: false });
    } catch (e) {
      // The consent-age rule: a learner too young to sign up alone is told
      // kindly how to join through a teacher or parent.
      const year = new Date().getFullYear();
      if (e instanceof ApiError && e.status === 422 && e.fields.birth_year && body.birth_year <= year && body.birth_year > year - 19) {
        e.extra = { birth_year: t('signup.tooYoung'), _summary: t('signup.tooYoungSummary') };
      }
      throw e;
    }
    await afterSignIn(await api('POST', '/v1/auth/login', { body: { email: body.email, password: body.password }, auth: false }));
  },
  field('name', t('field.name'), { type: 'text', autocomplete: 'name', required: true }),
  field('email', t('field.email'), { type: 'email', autocomplete: 'email', required: true }),
  field('password', t('field.password'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }, t('field.passwordHint')),
  field('birth_year', t('field.birthYear'), { type: 'number', inputmode: 'numeric', min: 1900, max: new Date().getFullYear(), required: true }),
  field('gender', t('field.gender'), { options: [['', t('field.choose')], ...GENDERS.map((g) => [g, t('gender.' + g)])], required: true }),
  field('country', t('field.country'), { options: countryOptions(), required: true }),
  field('audience', t('field.audience'), { options: [['', t('field.choose')], ...AUDIENCES.map((a) => [a, t('audience.' + a)])], required: true }),
  field('organization', t('field.organization'), { type: 'text', autocomplete: 'organization' }, t('field.optional')),
  submit(t('signup.submit')));
  return h('section', {}, screenTitle(t('signup.title')), h('p', {}, t('signup.lead')), f,
    h('p', {}, t('signup.haveAccount'), ' ', h('a', { href: '#/signin' }, t('nav.signin'))));
}

function forgot() {
  const done = h('div', { 'aria-live': 'polite' });
  const f = form(async (v) => {
    await api('POST', '/v1/auth/password/forgot', { body: { email: v.email.trim() }, auth: false });
    done.replaceChildren(notice(t('forgot.sent')));
  },
  field('email', t('field.email'), { type: 'email', autocomplete: 'email', required: true }),
  submit(t('forgot.submit')));
  return h('section', {}, screenTitle(t('forgot.title')), h('p', {}, t('forgot.lead')), f, done);
}

// linkToken reads ?token= from the page address (emailed links land on
// /app/verify-email?token=... and /app/reset-password?token=...) or the hash.
function linkToken(params) {
  return params.get('token') || new URLSearchParams(location.search).get('token') || '';
}

function resetPassword(params) {
  const token = linkToken(params);
  const done = h('div', { 'aria-live': 'polite' });
  const f = form(async (v) => {
    await api('POST', '/v1/auth/password/reset', { body: { token, password: v.password }, auth: false });
    session.clear();
    f.remove();
    done.replaceChildren(notice(t('reset.done')), h('p', {}, h('a', { class: 'button primary', href: '#/signin' }, t('nav.signin'))));
  },
  field('password', t('reset.new'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }, t('field.passwordHint')),
  submit(t('reset.submit')));
  if (!token) return h('section', {}, screenTitle(t('reset.title')), notice(t('link.missing'), 'error'), h('p', {}, h('a', { href: '#/forgot' }, t('signin.forgot'))));
  return h('section', {}, screenTitle(t('reset.title')), f, done);
}

// verifying remembers each link's answer: the screen is drawn again on a
// language change, and the link's token works only once.
const verifying = new Map();

async function verifyEmail(params) {
  const token = linkToken(params);
  const section = h('section', {}, screenTitle(t('verify.title')));
  if (!token) { section.append(notice(t('link.missing'), 'error')); return section; }
  if (!verifying.has(token)) verifying.set(token, api('POST', '/v1/auth/verify-email', { body: { token }, auth: false }));
  try {
    await verifying.get(token);
    section.append(notice(t('verify.done')));
    if (session.access) session.me = await api('GET', '/v1/me');
  } catch (e) {
    section.append(notice(e instanceof OfflineError ? t('offline.action') : t('verify.failed'), 'error'));
  }
  section.append(h('p', {}, h('a', { href: session.access ? '#/learning' : '#/signin' }, t('common.continue'))));
  return section;
}

// ---- catalogue and courses ---------------------------------------------------------

async function catalogue(params) {
  const q = params.get('q') || '';
  const chosen = (params.get('accessibility') || '').split(',').filter(Boolean);
  const select = (name, values, prefix) => field(name, t('filter.' + name), {
    options: [['', t('filter.any')], ...values.map((v) => [v, prefix ? t(prefix + v) : v])], value: params.get(name) || '' });
  const f = h('form', { class: 'filters', role: 'search', 'aria-label': t('catalogue.search') },
    field('q', t('catalogue.search'), { type: 'search', value: q }),
    // On a phone the filters stay folded until one is in use.
    h('details', { open: ['audience', 'level', 'language', 'accessibility'].some((k) => params.get(k)) },
      h('summary', {}, t('catalogue.filters')),
      select('audience', AUDIENCES, 'audience.'), select('level', LEVELS, 'level.'),
      field('language', t('filter.language'), { options: [['', t('filter.any')], ...LANGS.map((l) => [l, LANG_NAMES[l]])], value: params.get('language') || '' }),
      h('fieldset', { class: 'checks' }, h('legend', {}, t('filter.accessibility')),
        FEATURES.map((a) => h('label', {}, h('input', { type: 'checkbox', name: 'accessibility', value: a, checked: chosen.includes(a) }), t('feature.' + a))))),
    h('button', { type: 'submit', class: 'primary' }, t('catalogue.apply')));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(f);
    const p = new URLSearchParams();
    for (const k of ['q', 'audience', 'level', 'language']) if (fd.get(k)) p.set(k, fd.get(k).trim());
    const acc = fd.getAll('accessibility');
    if (acc.length) p.set('accessibility', acc.join(','));
    go('/catalogue?' + p);
  });
  const api_params = new URLSearchParams(params);
  api_params.set('limit', '50');
  const list = h('ul', { class: 'cards' });
  const results = h('section', { 'aria-labelledby': 'results-h' }, h('h2', { id: 'results-h' }, t('catalogue.results')), list);
  try {
    const page = await api('GET', '/v1/courses?' + api_params);
    const courses = items(page);
    if (!courses.length) list.replaceWith(h('p', {}, t('catalogue.none')));
    for (const c of courses) {
      list.append(h('li', { class: 'card' },
        h('h3', { dir: 'auto' }, h('a', { href: '#/course/' + c.slug }, c.title)),
        h('p', { dir: 'auto' }, c.summary),
        h('p', { class: 'meta' }, [t('level.' + c.level), ...(c.audiences || []).map((a) => t('audience.' + a)),
          LANG_NAMES[c.language] || c.language, t('course.minutes', { n: c.duration_minutes })].join(' · '))));
    }
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    list.replaceWith(notice(t('catalogue.offline'), 'error'));
  }
  return h('section', {}, screenTitle(t('catalogue.title')), f, results);
}

// courseData is the outline from the server, or the saved package offline.
async function courseData(slug) {
  try {
    return { outline: await api('GET', `/v1/courses/${slug}?lang=${currentLang()}`), online: true };
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    const pkg = await sync.savedPackage(slug);
    if (!pkg) throw e;
    return { outline: pkg.course, online: false };
  }
}

async function myEnrollment(slug) {
  if (!session.access) return null;
  try {
    return items(await api('GET', '/v1/me/enrollments?limit=200')).find((e) => e.course.slug === slug) || null;
  } catch (e) {
    if (e instanceof OfflineError) return (await sync.savedPackage(slug)) ? { offline: true } : null;
    throw e;
  }
}

async function course(_params, slug) {
  const [{ outline: o, online }, enrollment, pkg, done] = await Promise.all([courseData(slug), myEnrollment(slug), sync.savedPackage(slug), sync.localDone(slug)]);
  let progress = null;
  if (enrollment && online) progress = await api('GET', `/v1/me/courses/${slug}/progress`).catch(() => null);
  const completed = new Set([...(progress?.lessons || []).filter((l) => l.completed_at).map((l) => l.id), ...Object.keys(done)]);
  const passed = new Set((progress?.quizzes || []).filter((q) => q.passed).map((q) => q.id));
  const status = h('div', { 'aria-live': 'polite' });
  const actions = h('p', { class: 'actions' });
  if (!session.access) actions.append(h('a', { class: 'button primary', href: '#/signin' }, t('course.signinToEnrol')));
  else if (!enrollment) {
    actions.append(h('button', { type: 'button', class: 'primary', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api('POST', `/v1/courses/${slug}/enrollments`);
        await sync.savePackage(slug, currentLang()).catch(() => null);
        render();
      } catch (e) { status.replaceChildren(notice(e.message, 'error')); ev.target.disabled = false; }
    } }, t('course.enrol')));
  } else {
    const saveBtn = h('button', { type: 'button', onclick: async () => {
      saveBtn.disabled = true;
      try {
        const p = await sync.savePackage(slug, currentLang());
        status.replaceChildren(notice(t('course.saved', { at: fmtDateTime(p.savedAt) })));
      } catch (e) { status.replaceChildren(notice(e instanceof OfflineError ? t('offline.action') : e.message, 'error')); }
      saveBtn.disabled = false;
    } }, pkg ? t('course.update') : t('course.save'));
    actions.append(saveBtn);
    if (pkg) status.append(h('p', { class: 'saved' }, t('course.savedOn', { at: fmtDateTime(pkg.savedAt) })));
  }
  const features = o.accessibility?.accessibilityFeature || [];
  const modules = o.modules.map((m) => h('section', { class: 'module', 'aria-labelledby': 'm-' + m.id },
    h('h2', { id: 'm-' + m.id }, m.title),
    h('ol', { class: 'lessons' }, m.lessons.map((l) => h('li', {},
      enrollment ? h('a', { href: `#/lesson/${slug}/${l.id}` }, l.title) : h('span', {}, l.title),
      ' ', h('span', { class: 'meta' }, t('kind.' + l.kind), ' · ', t('course.minutes', { n: l.duration_minutes })),
      completed.has(l.id) ? h('span', { class: 'badge done' }, t('course.done')) : null))),
    m.quiz ? h('p', { class: 'quiz-link' }, enrollment ? h('a', { href: `#/quiz/${slug}/${m.quiz.id}` }, t('quiz.take', { title: m.quiz.title })) : t('quiz.label', { title: m.quiz.title }),
      passed.has(m.quiz.id) ? h('span', { class: 'badge done' }, t('quiz.passed')) : null) : null));
  const tests = h('p', { class: 'actions' });
  if (enrollment && online) {
    for (const which of ['pre', 'post']) {
      api('GET', `/v1/courses/${slug}/assessments/${which}`).then(() => tests.append(h('a', { class: 'button', href: `#/assessment/${slug}/${which}` }, t('assessment.' + which)))).catch(() => null);
    }
  }
  // Course text is in the course's language, which may run the other way.
  const title = screenTitle(o.title);
  title.dir = 'auto';
  return h('article', {}, title, h('p', { class: 'lead', dir: 'auto' }, o.summary),
    h('p', { class: 'meta' }, [t('level.' + o.level), ...(o.audiences || []).map((a) => t('audience.' + a)), t('course.minutes', { n: o.duration_minutes })].join(' · ')),
    features.length ? h('p', { class: 'meta' }, t('course.accessibility'), ' ', features.map((f) => t('feature.' + f)).join(', ')) : null,
    enrollment && progress ? progressBar(progress.progress_percent) : null,
    actions, status, tests, modules);
}

function progressBar(pct) {
  return h('div', { class: 'progress' }, h('progress', { max: 100, value: pct, 'aria-label': t('progress.label') }), ' ', t('progress.percent', { n: pct }));
}

// packageFor returns the saved package, saving it first when online.
async function packageFor(slug) {
  const pkg = await sync.savedPackage(slug);
  if (pkg) return pkg;
  return sync.savePackage(slug, currentLang());
}

async function lesson(_params, slug, id) {
  const pkg = await packageFor(slug);
  const all = pkg.course.modules.flatMap((m) => m.lessons.map((l) => ({ ...l, module: m })));
  const idx = all.findIndex((l) => l.id === id);
  if (idx < 0) throw new ApiError(404, { detail: t('lesson.missing') });
  const l = all[idx];
  const done = await sync.localDone(slug);
  const state = h('div', { 'aria-live': 'polite' });
  const mark = h('button', { type: 'button', class: 'primary', onclick: async () => {
    mark.disabled = true;
    await sync.completeLesson(slug, id);
    state.replaceChildren(notice(navigator.onLine ? t('lesson.completedSync') : t('lesson.completedDevice')));
    mark.textContent = t('course.done');
  } }, done[id] ? t('course.done') : t('lesson.complete'));
  if (done[id]) mark.disabled = true;
  const next = all[idx + 1];
  const quizAfter = (!next || next.module.id !== l.module.id) && l.module.quiz;
  const video = l.video_url && safeURL(l.video_url);
  return h('article', { class: 'lesson' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/course/' + slug }, pkg.course.title), ' › ', l.module.title),
    screenTitle(l.title),
    video ? h('video', { controls: true, preload: 'none', src: video, class: 'video' }) : null,
    h('div', { class: 'prose', dir: 'auto' }, markdown(l.content)),
    h('div', { class: 'lesson-end' }, mark, state),
    h('nav', { class: 'pager', 'aria-label': t('lesson.pager') },
      idx > 0 ? h('a', { href: `#/lesson/${slug}/${all[idx - 1].id}`, rel: 'prev' }, '‹ ', all[idx - 1].title) : h('span'),
      quizAfter ? h('a', { href: `#/quiz/${slug}/${l.module.quiz.id}` }, t('quiz.take', { title: l.module.quiz.title }), ' ›')
        : next ? h('a', { href: `#/lesson/${slug}/${next.id}`, rel: 'next' }, next.title, ' ›') : h('a', { href: '#/course/' + slug }, t('lesson.backToCourse'))));
}

// questionsForm renders single/multiple choice questions as fieldsets.
function questionsFields(questions) {
  return questions.map((q, i) => h('fieldset', { class: 'question', id: 'q-' + q.id },
    h('legend', {}, t('quiz.question', { n: i + 1 }), ' ', q.text),
    q.kind === 'multiple' ? h('p', { class: 'hint' }, t('quiz.multiple')) : null,
    q.options.map((o) => h('label', { class: 'option' },
      h('input', { type: q.kind === 'multiple' ? 'checkbox' : 'radio', name: q.id, value: o.id }), ' ', o.text))));
}

function answersOf(f, questions) {
  const fd = new FormData(f);
  const answers = {};
  for (const q of questions) answers[q.id] = fd.getAll(q.id);
  return answers;
}

async function quiz(_params, slug, quizId) {
  const pkg = await packageFor(slug);
  const mod = pkg.course.modules.find((m) => m.quiz && m.quiz.id === quizId);
  if (!mod) throw new ApiError(404, { detail: t('quiz.missing') });
  const q = mod.quiz;
  const result = h('div', { 'aria-live': 'polite', tabindex: '-1', class: 'result' });
  const f = form(async () => {
    const answers = answersOf(f, q.questions);
    if (Object.values(answers).some((a) => !a.length)) throw Object.assign(new Error(t('quiz.answerAll')), { fields: {} });
    const a = await sync.queueAttempt(slug, quizId, answers);
    if (!navigator.onLine) { result.replaceChildren(notice(t('quiz.savedOffline'))); result.focus(); return; }
    await sync.syncNow();
    const r = await sync.attemptResult(a.id);
    if (!r) { result.replaceChildren(notice(t('quiz.savedOffline'))); result.focus(); return; }
    showAttempt(result, r, q, f);
  }, questionsFields(q.questions), submit(t('quiz.submit')));
  return h('article', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/course/' + slug }, pkg.course.title)),
    screenTitle(q.title), h('p', {}, t('quiz.passScore', { n: q.pass_score }), ' ', t('quiz.attempts', { n: q.max_attempts })), f, result);
}

function showAttempt(el, r, q, f) {
  if (!r.ok) { el.replaceChildren(notice(r.error, 'error')); el.focus(); return; }
  el.replaceChildren(notice(r.passed ? t('quiz.resultPassed', { n: r.score }) : t('quiz.resultFailed', { n: r.score, left: r.attempts_left }), r.passed ? 'ok' : 'error'));
  for (const res of r.attempt?.results || []) {
    const box = f.querySelector('#q-' + CSS.escape(res.question_id));
    if (!box) continue;
    box.querySelector('.verdict')?.remove();
    box.append(h('p', { class: 'verdict ' + (res.correct ? 'right' : 'wrong') }, res.correct ? t('quiz.right') : t('quiz.wrong'),
      res.explanation ? h('span', {}, ' ', res.explanation) : null));
  }
  el.focus();
}

async function assessment(_params, slug, which) {
  requireSignIn();
  const a = await api('GET', `/v1/courses/${slug}/assessments/${which}?lang=${currentLang()}`);
  const back = h('p', {}, h('a', { href: '#/course/' + slug }, t('lesson.backToCourse')));
  // One attempt each: once taken, the screen shows its score, not the form.
  if (a.attempt) return h('article', {}, screenTitle(t('assessment.' + which)), notice(t('assessment.taken', { n: a.attempt.score })), back);
  const questions = a.questions || items(a);
  const result = h('div', { 'aria-live': 'polite', tabindex: '-1' });
  const f = form(async () => {
    const answers = answersOf(f, questions);
    const r = await api('POST', `/v1/courses/${slug}/assessments/${which}/attempts`, { body: { id: uuid(), answers } });
    f.remove();
    result.replaceChildren(notice(t('assessment.score', { n: r.score })), back);
    result.focus();
  }, questionsFields(questions), submit(t('quiz.submit')));
  return h('article', {}, screenTitle(t('assessment.' + which)), h('p', {}, t('assessment.lead')), f, result);
}

// ---- the learner's own pages ------------------------------------------------------

async function learning() {
  requireSignIn();
  const saved = await sync.savedPackages();
  let enrollments;
  let offline = false;
  try {
    enrollments = items(await api('GET', '/v1/me/enrollments?limit=200'));
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    offline = true;
    enrollments = saved.map((p) => ({ course: { slug: p.slug, title: p.course.title }, offline: true }));
  }
  const savedSet = new Set(saved.map((p) => p.slug));
  const list = enrollments.length
    ? h('ul', { class: 'cards' }, enrollments.map((e) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: '#/course/' + e.course.slug }, e.course.title)),
      e.offline ? null : progressBar(e.progress_percent),
      e.status === 'completed' ? h('p', { class: 'badge done' }, t('learning.completed', { at: fmtDate(e.completed_at) })) : null,
      h('p', { class: 'meta' }, savedSet.has(e.course.slug) ? t('learning.savedOffline') : t('learning.notSaved')))))
    : h('p', {}, t('learning.none'), ' ', h('a', { href: '#/catalogue' }, t('nav.catalogue')));
  const waiting = await waitingSurveys().catch(() => []);
  return h('section', {}, screenTitle(t('learning.title')), offline ? notice(t('learning.offline'), 'error') : null,
    waiting.length ? h('p', { class: 'notice' }, h('a', { href: '#/surveys' }, t('survey.waiting', { n: waiting.length }))) : null, list,
    h('section', { 'aria-labelledby': 'join-h' }, h('h2', { id: 'join-h' }, t('join.title')), joinForm()));
}

function joinForm(code = '') {
  const f = form(async (v) => {
    const res = await api('POST', '/v1/cohorts/join', { body: { code: v.code.trim() } });
    f.replaceWith(notice(t('join.done', { name: res.cohort?.name || '' })));
  }, field('code', t('join.code'), { type: 'text', required: true, autocomplete: 'off', autocapitalize: 'characters', value: code }), submit(t('join.submit')));
  return f;
}

async function certificates() {
  requireSignIn();
  const certs = items(await api('GET', '/v1/me/certificates'));
  const status = h('div', { 'aria-live': 'polite' });
  const list = certs.length ? h('ul', { class: 'cards' }, certs.map((c) => h('li', { class: 'card cert' },
    h('h2', {}, c.course.title),
    h('p', { class: 'meta' }, t('cert.issued', { at: fmtDate(c.issued_at) })),
    h('p', {}, t('cert.verifyAt'), ' ', h('a', { href: c.verify_url, rel: 'noopener', target: '_blank' }, c.verify_url)),
    h('p', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: async () => {
        try {
          const blob = await api('GET', `/v1/certificates/${c.id}/pdf`, { blob: true });
          download(blob, `certificate-${c.course.slug}.pdf`);
          status.replaceChildren(notice(t('cert.downloaded')));
        } catch (e) { status.replaceChildren(notice(e instanceof OfflineError ? t('offline.action') : e.message, 'error')); }
      } }, t('cert.download')),
      h('button', { type: 'button', onclick: async () => {
        if (navigator.share) { navigator.share({ title: c.course.title, url: c.verify_url }).catch(() => null); return; }
        await navigator.clipboard?.writeText(c.verify_url).catch(() => null);
        status.replaceChildren(notice(t('cert.copied')));
      } }, t('cert.share'))))))
    : h('p', {}, t('cert.none'));
  return h('section', {}, screenTitle(t('cert.title')), status, list);
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'visually-hidden' }, name);
  main().append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

async function notifications() {
  requireSignIn();
  const list = items(await api('GET', '/v1/me/notifications'));
  return h('section', {}, screenTitle(t('notifications.title')),
    list.length ? h('ul', { class: 'cards' }, list.map((n) => h('li', { class: 'card' + (n.read_at ? '' : ' unread') },
      h('h2', {}, n.title), h('p', {}, n.body), h('p', { class: 'meta' }, fmtDateTime(n.created_at)),
      n.read_at ? null : h('button', { type: 'button', class: 'link', onclick: async (ev) => {
        await api('POST', `/v1/me/notifications/${n.id}/read`).catch(() => null);
        ev.target.replaceWith(h('span', { class: 'meta' }, t('notifications.read')));
      } }, t('notifications.markRead')))))
      : h('p', {}, t('notifications.none')));
}

async function invitations() {
  requireSignIn();
  const code = new URLSearchParams(location.search).get('code') || '';
  const status = h('div', { 'aria-live': 'polite' });
  // An address not yet verified may not see what was sent to it: the server
  // says so (403), and the screen shows why instead of failing.
  const list = items(await api('GET', '/v1/me/invitations').catch((e) => {
    if (e instanceof ApiError && e.status === 404) return [];
    if (e instanceof ApiError && e.status === 403) { status.replaceChildren(notice(e.message)); return []; }
    throw e;
  }));
  const answer = (inv, verb, li) => async () => {
    try {
      await api('POST', `/v1/invitations/${inv.id}/${verb}`);
      li.replaceWith(h('li', { class: 'card' }, notice(verb === 'accept' ? t('invite.accepted', { name: inv.cohort.name }) : t('invite.declined', { name: inv.cohort.name }))));
    } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
  };
  const ul = h('ul', { class: 'cards' });
  for (const inv of list) {
    const li = h('li', { class: 'card' });
    li.append(h('h2', {}, inv.cohort.name),
      h('p', {}, t('invite.course', { title: inv.cohort.course.title })),
      h('p', { class: 'meta' }, t('invite.by', { name: inv.cohort.trainer?.name || '' }), ' · ', fmtDate(inv.cohort.starts_on), ' – ', fmtDate(inv.cohort.ends_on)),
      h('p', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: answer(inv, 'accept', li) }, t('invite.accept')),
        h('button', { type: 'button', onclick: answer(inv, 'decline', li) }, t('invite.decline'))));
    ul.append(li);
  }
  return h('section', {}, screenTitle(t('invite.title')), status, list.length ? ul : h('p', {}, t('invite.none')),
    h('h2', {}, t('join.title')), joinForm(code));
}

// ---- surveys ---------------------------------------------------------------------

// waitingSurveys lists the caller's surveys, kept on the device so they can be
// answered offline, without the ones already answered here.
async function waitingSurveys() {
  let list;
  try {
    list = items(await api('GET', '/v1/me/surveys?limit=200'));
    await sync.keepSurveys(list);
  } catch (e) {
    if (!(e instanceof OfflineError)) throw e;
    list = await sync.keptSurveys();
  }
  const answered = await sync.answeredSurveys();
  return list.filter((s) => !answered.has(s.id));
}

async function surveys() {
  requireSignIn();
  const list = await waitingSurveys();
  return h('section', {}, screenTitle(t('survey.title')), h('p', {}, t('survey.lead')),
    list.length ? list.map(surveyForm) : h('p', {}, t('survey.none')));
}

function surveyQuestion(s, q) {
  const id = `s-${s.id}-${q.id}`;
  const label = [q.text, q.required ? null : h('span', { class: 'hint' }, ' ', t('field.optional'))];
  if (q.type === 'text') {
    return h('div', { class: 'field' }, h('label', { for: id }, label), h('textarea', { id, name: q.id, rows: 3, maxlength: 2000 }));
  }
  const choices = q.type === 'rating' ? [1, 2, 3, 4, 5].map((n) => [String(n), t('survey.rating.' + n)]) : [['true', t('common.yes')], ['false', t('common.no')]];
  return h('fieldset', { class: 'question', id }, h('legend', {}, label),
    choices.map(([v, l]) => h('label', { class: 'option' }, h('input', { type: 'radio', name: q.id, value: v, required: q.required }), ' ', l)));
}

// surveyAnswers reads the form as the API wants it: ratings as numbers,
// yes/no as booleans, a text only when written.
function surveyAnswers(f, questions) {
  const fd = new FormData(f);
  const answers = {};
  for (const q of questions) {
    const v = (fd.get(q.id) || '').trim();
    if (!v) continue;
    answers[q.id] = q.type === 'rating' ? Number(v) : q.type === 'yes_no' ? v === 'true' : v;
  }
  return answers;
}

function surveyForm(s) {
  const result = h('div', { 'aria-live': 'polite', tabindex: '-1' });
  const f = form(async () => {
    const answers = surveyAnswers(f, s.questions);
    if (s.questions.some((q) => q.required && !(q.id in answers))) throw Object.assign(new Error(t('quiz.answerAll')), { fields: {} });
    await sync.queueSurvey(s.id, answers);
    if (navigator.onLine) await sync.syncNow();
    f.remove();
    result.replaceChildren(notice(navigator.onLine ? t('survey.thanks') : t('survey.savedOffline')));
    result.focus();
  }, s.questions.map((q) => surveyQuestion(s, q)), submit(t('survey.submit')));
  return h('section', { class: 'card', 'aria-labelledby': 'sv-' + s.id },
    h('h2', { id: 'sv-' + s.id }, t('survey.kind.' + s.kind, { title: s.course_title })), f, result);
}

// ---- parents and guardians ------------------------------------------------------

async function children() {
  requireSignIn();
  const list = items(await api('GET', '/v1/me/children?limit=200'));
  const status = h('div', { 'aria-live': 'polite' });
  const link = form(async (v) => {
    await api('POST', '/v1/me/children', { body: { code: v.code.trim() } });
    render();
  }, field('code', t('children.code'), { type: 'text', required: true, autocomplete: 'off', autocapitalize: 'characters' }, t('children.codeHint')),
  submit(t('children.link')));
  const withdraw = (c, li) => async () => {
    if (!confirm(t('children.withdrawConfirm', { name: c.name }))) return;
    try {
      await api('DELETE', `/v1/me/children/${c.user_id}`);
      li.replaceWith(h('li', { class: 'card' }, notice(t('children.withdrawn', { name: c.name }))));
    } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
  };
  const ul = h('ul', { class: 'cards' });
  for (const c of list) {
    const li = h('li', { class: 'card' });
    li.append(h('div', {}, h('h2', {}, c.name), h('p', { class: 'meta' }, t('account.username'), ': ', c.username),
      c.active ? null : notice(t('children.inactive'), 'error'),
      (c.enrollments || []).map((e) => h('div', {}, h('h3', { dir: 'auto' }, e.course.title), progressBar(e.progress_percent),
        e.completed_at ? h('p', { class: 'badge done' }, t('learning.completed', { at: fmtDate(e.completed_at) })) : null)),
      (c.certificates || []).filter((x) => !x.revoked).map((x) => h('p', {}, t('children.certificate', { title: x.course_title }), ' ',
        h('a', { href: x.verify_url, rel: 'noopener', target: '_blank' }, t('children.verify')))),
      h('p', {}, h('button', { type: 'button', class: 'danger', onclick: withdraw(c, li) }, t('children.withdraw')))));
    ul.append(li);
  }
  return h('section', {}, screenTitle(t('children.title')), h('p', {}, t('children.lead')), status,
    list.length ? ul : h('p', {}, t('children.none')),
    h('section', { 'aria-labelledby': 'link-h' }, h('h2', { id: 'link-h' }, t('children.add')), link));
}

async function account() {
  requireSignIn();
  const me = session.me = await api('GET', '/v1/me').catch((e) => { if (e instanceof OfflineError) return session.me; throw e; });
  const st = await sync.syncState();
  const status = h('div', { 'aria-live': 'polite' });
  const verify = me.email && me.email_verified === false
    ? h('p', {}, t('account.unverified'), ' ', h('button', { type: 'button', class: 'link', onclick: async () => {
      try { await api('POST', '/v1/me/verify-email'); status.replaceChildren(notice(t('account.verifySent'))); } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
    } }, t('account.resend'))) : null;
  const pw = form(async (v) => {
    await api('PUT', '/v1/me/password', { body: { current_password: v.current_password, new_password: v.new_password } });
    pw.reset();
    status.replaceChildren(notice(t('account.passwordChanged')));
  }, field('current_password', t('account.current'), { type: 'password', autocomplete: 'current-password', required: true }),
  field('new_password', t('reset.new'), { type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }, t('field.passwordHint')),
  submit(t('account.changePassword')));
  const erase = form(async (v) => {
    if (!confirm(t('account.eraseConfirm'))) return;
    await api('DELETE', '/v1/me', { body: { password: v.erase_password } });
    await signOutLocal();
    main().replaceChildren(screenTitle(t('account.erased')), h('p', {}, h('a', { href: '#/' }, t('nav.home'))));
    focusHeading();
  }, field('erase_password', t('field.password'), { type: 'password', autocomplete: 'current-password', required: true }),
  h('button', { type: 'submit', class: 'danger' }, t('account.erase')));
  return h('section', {}, screenTitle(t('account.title')),
    h('dl', { class: 'facts' }, h('dt', {}, t('field.name')), h('dd', {}, me.name),
      me.email ? [h('dt', {}, t('field.email')), h('dd', {}, me.email)] : null,
      me.username ? [h('dt', {}, t('account.username')), h('dd', {}, me.username)] : null),
    verify, status,
    h('h2', {}, t('account.device')), h('p', {}, sync.describe(st).text),
    st.failed.length ? h('div', {}, h('p', {}, t('account.failed')), h('ul', { class: 'errors' }, st.failed.map((f) => h('li', {}, fmtDateTime(f.at), ': ', f.error)))) : null,
    h('h2', {}, t('account.changePassword')), pw,
    h('h2', {}, t('children.title')), h('p', {}, t('children.accountLead'), ' ', h('a', { href: '#/children' }, t('children.open'))),
    h('h2', {}, t('account.data')), h('p', {}, t('account.exportLead')),
    h('p', {}, h('button', { type: 'button', onclick: async () => {
      const name = 'cybercampus-my-data.json';
      try {
        download(await api('GET', '/v1/me/export', { blob: true }), name);
        status.replaceChildren(notice(t('common.downloaded', { name })));
      } catch (e) { status.replaceChildren(notice(e instanceof OfflineError ? t('offline.action') : e.message, 'error')); }
    } }, t('account.export'))),
    h('h2', {}, t('account.signOut')),
    st.pending ? notice(t('account.pendingWarning', { n: st.pending }), 'error') : null,
    h('p', { class: 'actions' },
      h('button', { type: 'button', onclick: () => signOut('/v1/auth/logout') }, t('account.signOut')),
      h('button', { type: 'button', onclick: () => signOut('/v1/auth/logout-all') }, t('account.signOutAll'))),
    h('h2', {}, t('account.erase')), h('p', {}, t('account.eraseLead')), erase);
}

async function signOutLocal() {
  await sync.clearDevice(); // while the session still says whose items to forget
  session.clear();
}

async function signOut(path) {
  // Signing out here ends this session (its refresh token's family); the
  // other button ends them all.
  const body = path === '/v1/auth/logout' ? { refresh_token: session.refresh } : {};
  await api('POST', path, { body }).catch(() => null);
  await signOutLocal();
  go('/');
}

async function trainer(params, rest) {
  requireSignIn();
  const mod = await import('./trainer.js');
  return mod.screen(rest || '', params, { h, t, api, items, field, form, submit, notice, screenTitle, download, go, fmtDate, fmtDateTime, currentLang, countryOptions, GENDERS });
}

// ---- start -------------------------------------------------------------------------

async function start() {
  await loadLang(preferredLang());
  // Emailed links land on /app/verify-email, /app/reset-password and /app/join.
  let landing = { '/app/verify-email': '/verify', '/app/reset-password': '/reset', '/app/join': '/invitations' }[location.pathname];
  if (new URLSearchParams(location.search).has('invitation')) landing = '/invitations'; // an invitation email's link
  if (cardUsername(new URLSearchParams()) && !session.access) landing = '/signin'; // a pupil's sign-in card
  // replaceState, not location.hash: a hashchange would render the landing
  // screen a second time, and a verification link works only once.
  if (landing && !location.hash) history.replaceState(null, '', location.pathname + location.search + '#' + landing);
  document.getElementById('lang').addEventListener('change', async (ev) => {
    await loadLang(ev.target.value);
    localStorage.setItem('cc.lang.chosen', '1');
    if (session.access) api('PATCH', '/v1/me', { body: { language: ev.target.value } }).catch(() => null);
    sync.refresh();
    render();
  });
  document.getElementById('skip').addEventListener('click', (ev) => { ev.preventDefault(); main().focus(); });
  addEventListener('hashchange', render);
  // A screen that could not load for want of a connection loads again when
  // the connection returns: opening the same address makes no hashchange,
  // so the learner would otherwise keep seeing "You are offline".
  addEventListener('online', () => { if (main().querySelector('[data-offline]')) render(); });
  sync.onSyncChange(renderStatus);
  sync.startSync();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/app/sw.js', { scope: '/app' }).catch(() => null);
  await render();
  document.body.dataset.ready = 'true';
}

start();
