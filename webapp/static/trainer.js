// Trainers' screens: their cohorts, invitations and join codes, roster
// uploads, pupils' accounts and sign-in cards, and the progress table.

let u; // the helpers app.js hands over

export function screen(rest, params, helpers) {
  u = helpers;
  const m = rest.match(/^\/cohort\/([0-9a-f-]{36})$/);
  return m ? cohort(m[1]) : cohorts();
}

async function cohorts() {
  const { h, t, api, items, field, form, submit, screenTitle, fmtDate } = u;
  const list = items(await api('GET', '/v1/cohorts?limit=200'));
  const courses = items(await api('GET', '/v1/courses?limit=200').catch(() => []));
  const f = form(async (v) => {
    const body = { name: v.name.trim(), course: v.course, country: v.country, starts_on: v.starts_on, ends_on: v.ends_on };
    if (v.education_level) body.education_level = v.education_level;
    const c = await api('POST', '/v1/cohorts', { body });
    u.go('/trainer/cohort/' + (c.cohort?.id || c.id));
  },
  field('name', t('cohort.name'), { type: 'text', required: true }),
  field('course', t('cohort.course'), { options: [['', t('field.choose')], ...courses.map((c) => [c.slug, c.title])], required: true }),
  field('country', t('field.country'), { options: u.countryOptions(), required: true }),
  field('education_level', t('cohort.level'), { options: [['', t('field.optionalChoice')], ...['primary', 'secondary', 'tertiary', 'adult'].map((l) => [l, t('edu.' + l)])] }),
  field('starts_on', t('cohort.starts'), { type: 'date', required: true }),
  field('ends_on', t('cohort.ends'), { type: 'date', required: true }),
  submit(t('cohort.create')));
  return h('section', {}, screenTitle(t('trainer.title')),
    list.length ? h('ul', { class: 'cards' }, list.map((c) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: '#/trainer/cohort/' + c.id }, c.name)),
      h('p', {}, c.course?.title || ''),
      h('p', { class: 'meta' }, fmtDate(c.starts_on), ' – ', fmtDate(c.ends_on), ' · ', t('cohort.counts', { members: c.counts?.members ?? 0, completed: c.counts?.completed ?? 0 })))))
      : h('p', {}, t('trainer.none')),
    h('section', { 'aria-labelledby': 'new-h' }, h('h2', { id: 'new-h' }, t('cohort.new')), f));
}

// behindFirst sorts members who are furthest behind first: least progress,
// then longest idle (never active counts as the longest).
export function behindFirst(a, b) {
  if (a.progress_percent !== b.progress_percent) return a.progress_percent - b.progress_percent;
  const la = a.last_activity_at ? Date.parse(a.last_activity_at) : 0;
  const lb = b.last_activity_at ? Date.parse(b.last_activity_at) : 0;
  return la - lb || String(a.name).localeCompare(String(b.name));
}

async function cohort(id) {
  const { h, t, api, notice, screenTitle, fmtDate } = u;
  const p = await api('GET', `/v1/cohorts/${id}/progress`);
  const c = p.cohort;
  const status = h('div', { 'aria-live': 'polite' });
  const members = [...(p.members || [])].sort(behindFirst);
  return h('section', {}, screenTitle(c.name),
    h('p', {}, c.course?.title || '', ' · ', fmtDate(c.starts_on), ' – ', fmtDate(c.ends_on)),
    status,
    h('section', { 'aria-labelledby': 'progress-h' }, h('h2', { id: 'progress-h' }, t('cohort.progress')),
      (p.pending_invitations ?? c.counts?.pending_invitations) !== undefined ? h('p', {}, t('cohort.pending', { n: p.pending_invitations ?? c.counts.pending_invitations })) : null,
      progressTable(id, members, status),
      h('p', { class: 'actions' }, h('button', { type: 'button', onclick: async () => {
        const name = `cohort-${id}.csv`;
        try {
          u.download(await api('GET', `/v1/cohorts/${id}/progress?format=csv`, { blob: true, headers: { Accept: 'text/csv' } }), name);
          status.replaceChildren(notice(t('common.downloaded', { name })));
        } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
      } }, t('cohort.csv'))),
      h('p', { class: 'hint' }, t('cohort.nudgeNote'))),
    inviteSection(id), joinCodeSection(id), pupilsSection(id, status));
}

// isPupil tells a pupil's account (made by the trainer, no email address)
// from a learner's: the progress lists the pupil's username where the
// address would be.
const isPupil = (m) => !!m.username || !String(m.email || '').includes('@');

function progressTable(id, members, status) {
  const { h, t, api, fmtDate, notice } = u;
  if (!members.length) return h('p', {}, t('cohort.noMembers'));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('cohort.sorted') },
    h('table', {}, h('caption', {}, t('cohort.sorted')),
      h('thead', {}, h('tr', {}, [t('field.name'), t('cohort.contact'), t('progress.label'), t('cohort.lastActive'), t('cohort.certified'), t('cohort.actions')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, members.map((m) => h('tr', {},
        h('th', { scope: 'row' }, m.name), h('td', {}, m.email || m.username || ''),
        h('td', {}, h('progress', { max: 100, value: m.progress_percent, 'aria-label': t('progress.of', { name: m.name }) }), ' ', t('progress.percent', { n: m.progress_percent })),
        h('td', {}, m.last_activity_at ? fmtDate(m.last_activity_at) : t('cohort.never')),
        h('td', {}, m.certified ? t('common.yes') : t('common.no')),
        h('td', {}, !isPupil(m) ? null : h('button', { type: 'button', class: 'link', onclick: async () => {
          try {
            const r = await api('POST', `/v1/cohorts/${id}/learners/${m.user_id}/password`);
            status.replaceChildren(notice(t('pupil.newPassword', { name: m.name, password: r.password })));
          } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
        } }, t('pupil.resetPassword')),
        !isPupil(m) ? null : [' ', h('button', { type: 'button', class: 'link', onclick: async () => {
          try {
            const r = await api('POST', `/v1/cohorts/${id}/learners/${m.user_id}/guardian-code`);
            status.replaceChildren(notice(t('pupil.guardianCode', { name: m.name, code: r.code, at: fmtDate(r.expires_at) })));
          } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
        } }, t('pupil.guardianCodeMake'))],
        ' ', h('button', { type: 'button', class: 'link', onclick: async (ev) => {
          if (!confirm(t('cohort.removeConfirm', { name: m.name }))) return;
          try { await api('DELETE', `/v1/cohorts/${id}/members/${m.user_id}`); ev.target.closest('tr').remove(); } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
        } }, t('cohort.remove'))))))));
}

// inviteSection sends invitations from typed addresses or a CSV file and
// shows the line-by-line errors the server reports.
function inviteSection(id) {
  const { h, t, api, field, form, submit, notice } = u;
  const out = h('div', { 'aria-live': 'polite' });
  const show = (r) => out.replaceChildren(
    notice(t('invite.sent', { invited: r.invited ?? r.added ?? 0, already: r.already_members ?? 0 })),
    (r.errors || []).length ? h('div', {}, h('h3', {}, t('invite.lineErrors')),
      h('ul', { class: 'errors' }, r.errors.map((e) => h('li', {}, t('invite.line', { n: e.line }), ' ', e.error)))) : null);
  const typed = form(async (v) => {
    const emails = v.emails.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
    show(await api('POST', `/v1/cohorts/${id}/members`, { body: { emails } }));
  }, field('emails', t('invite.emails'), { textarea: true, rows: 3, required: true }, t('invite.emailsHint')), submit(t('invite.send')));
  const upload = form(async () => {
    const file = upload.querySelector('input[type=file]').files[0];
    if (!file) throw Object.assign(new Error(t('invite.chooseFile')), { fields: { roster: t('invite.chooseFile') } });
    show(await api('POST', `/v1/cohorts/${id}/members`, { raw: await file.text(), type: 'text/csv' }));
  }, field('roster', t('invite.csv'), { type: 'file', accept: '.csv,text/csv' }, t('invite.csvHint')), submit(t('invite.upload')));
  return h('section', { 'aria-labelledby': 'inv-h' }, h('h2', { id: 'inv-h' }, t('invite.title2')), typed, upload, out);
}

function joinCodeSection(id) {
  const { h, t, api, notice, fmtDateTime } = u;
  const out = h('div', { 'aria-live': 'polite' });
  return h('section', { 'aria-labelledby': 'code-h' }, h('h2', { id: 'code-h' }, t('code.title')), h('p', {}, t('code.lead')),
    h('button', { type: 'button', onclick: async () => {
      try {
        const r = await api('POST', `/v1/cohorts/${id}/join-code`);
        out.replaceChildren(h('p', { class: 'code' }, r.code), h('p', {}, t('code.expires', { at: fmtDateTime(r.expires_at) })));
      } catch (e) { out.replaceChildren(notice(e.message, 'error')); }
    } }, t('code.make')), out);
}

// pupilsSection makes accounts without email for pupils; their passwords are
// shown this once, and the sign-in cards can be printed.
function pupilsSection(id, status) {
  const { h, t, api, field, form, submit, notice } = u;
  const out = h('div', { 'aria-live': 'polite' });
  const f = form(async (v) => {
    const learners = v.pupils.split('\n').map((l) => l.split(',').map((s) => s.trim())).filter((r) => r[0])
      .map(([name, gender, year]) => ({ name, gender: gender || 'undisclosed', birth_year: Number(year) || 0 }));
    const r = await api('POST', `/v1/cohorts/${id}/learners`, { body: { consent: { basis: v.basis, note: v.note }, learners } });
    out.replaceChildren(notice(t('pupil.made')), h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('pupil.newAccounts') },
      h('table', {}, h('thead', {}, h('tr', {}, [t('field.name'), t('account.username'), t('field.password')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, (r.learners || []).map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name), h('td', {}, p.username), h('td', { class: 'code' }, p.password)))))));
  },
  field('basis', t('pupil.basis'), { options: [['guardian', t('pupil.guardian')], ['school', t('pupil.school')]], required: true }),
  field('note', t('pupil.note'), { type: 'text', required: true }),
  field('pupils', t('pupil.list'), { textarea: true, rows: 4, required: true }, t('pupil.listHint')),
  submit(t('pupil.create')));
  return h('section', { 'aria-labelledby': 'pupils-h' }, h('h2', { id: 'pupils-h' }, t('pupil.title')), h('p', {}, t('pupil.lead')), f, out,
    h('p', {}, h('button', { type: 'button', onclick: async () => {
      const name = `sign-in-cards-${id}.pdf`;
      try {
        u.download(await api('GET', `/v1/cohorts/${id}/sign-in-cards`, { blob: true }), name);
        status.replaceChildren(notice(t('common.downloaded', { name })));
      } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
    } }, t('pupil.cards'))));
}
