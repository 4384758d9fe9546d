// The permit office's records on the page: signing in with a token (issued
// by `parvaneh token`), each role's worklist — an applicant's or engineer's
// applications with their permits, staff's open and decided violation cases
// and applications in progress with the moves they may make, the
// commission's open cases — filing a checked plan as an application, opening
// a case from a survey file and issuing a certificate of no violation.
// Every call here sends the token; the server decides what a role may do,
// and the page only hides what the role could never do.

import { formatDate } from './format.js';
import { STRINGS } from './i18n.js';
import {
  state, $, tr, trf, h, api, track, render, APIError, localError, showError, clearError,
  money, plateText, figureValue, bilingual, readJSON,
} from './page.js';

const TOKEN_KEY = 'parvaneh.token';

Object.assign(state, {
  me: null, // GET /me: {user, role, role_fa, permissions}
  view: null, // null (the map's panel), or {kind: 'signin'|'records'|'case', …}
  records: null, // the worklist's lists, once loaded
  notice: '', // a line saying what the last action did
});

// ---- session --------------------------------------------------------------

// The token lives in sessionStorage: it goes when the tab closes, and other
// sites' pages cannot read it.
function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

function keepToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* without storage the token lasts until this page reloads */ }
}

export const can = (permission) => !!state.me && (state.me.permissions || []).includes(permission);

// recordsAPI calls the API with the token and turns a refusal into what the
// person should read: 401 sends them to sign in again (the token expired or
// is not one of ours), 403 says their role may not, 503 records_unavailable
// says why there are no records.
export async function recordsAPI(path, opts = {}) {
  try {
    return await track(api(path, { ...opts, token: token() }));
  } catch (err) {
    throw explained(err);
  }
}

function explained(err) {
  const e = err.body;
  if (!e) return err;
  if (err.status === 401) {
    forget();
    if (location.hash !== '#signin') location.hash = '#signin';
    return err;
  }
  if (err.status === 403) {
    const role = (fa) => (fa ? state.me?.role_fa : state.me?.role) || '';
    return new APIError({
      code: e.code,
      message_fa: STRINGS.fa.err_forbidden.replace('{role}', role(true)),
      message_en: STRINGS.en.err_forbidden.replace('{role}', role(false)),
      detail: e.detail || e.message_en,
    }, err.status);
  }
  if (e.code === 'records_unavailable') {
    return new APIError({ ...localError('records_unavailable'), code: e.code, detail: e.detail }, err.status);
  }
  return err;
}

function forget() {
  keepToken('');
  state.me = null;
  state.records = null;
  renderAccount();
}

// restoreSession asks who the kept token belongs to, on start.
export async function restoreSession() {
  if (!token()) return renderAccount();
  try {
    state.me = await recordsAPI('me');
  } catch (err) {
    showError(err);
  }
  return renderAccount();
}

async function signIn(ev) {
  ev.preventDefault();
  const t = $('#token-input').value.trim();
  if (!t) {
    showError(new APIError(localError('empty_token')));
    return;
  }
  clearError();
  keepToken(t);
  try {
    state.me = await recordsAPI('me');
  } catch (err) {
    showError(err);
    return;
  }
  renderAccount();
  location.hash = '#records';
}

function signOut() {
  forget();
  location.hash = '#signin';
}

// renderAccount fills the header's corner: a sign-in link, or who is signed
// in (their role in the page's language) with the worklist and sign out.
export function renderAccount() {
  const el = $('#account');
  el.replaceChildren();
  const me = state.me;
  if (!me) {
    el.append(h('a', { id: 'signin-link', class: 'button', href: '#signin', text: tr('signin') }));
    return;
  }
  el.append(
    h('a', { id: 'worklist-link', class: 'button', href: '#records', 'data-role': me.role },
      tr('worklist'), ': ', h('bdi', { id: 'me-user', text: me.user }), ' · ',
      h('span', { id: 'me-role', text: state.lang === 'fa' ? me.role_fa || me.role : me.role })),
    h('button', { id: 'signout-button', type: 'button', onclick: signOut, text: tr('signout') }));
}

// ---- idempotency keys -----------------------------------------------------

// Each submission (a filing, a case, a certificate) carries an
// Idempotency-Key chosen once: trying the same submission again after an
// error sends the same key, so the server records it at most once; another
// content, or a success, starts a new one.
const keys = new Map();

function idempotencyKey(slot, content) {
  const k = keys.get(slot);
  if (k && k.content === content) return k.key;
  // getRandomValues, unlike randomUUID, works on plain http too.
  const key = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  keys.set(slot, { content, key });
  return key;
}

async function submit(slot, path, body) {
  const content = JSON.stringify(body);
  const key = idempotencyKey(slot, content);
  const answer = await recordsAPI(path, { body, headers: { 'Idempotency-Key': key } });
  keys.delete(slot);
  return answer;
}

const idText = (n) => plateText(String(n));

// ---- views ----------------------------------------------------------------

// signinView asks for the token.
export function signinView() {
  return [
    h('h2', { id: 'view-title', text: tr('signin_title') }),
    state.notice ? h('p', { class: 'notice', role: 'status', text: state.notice }) : null,
    h('p', { class: 'intro', text: tr('signin_intro') }),
    h('form', { id: 'signin-form', class: 'stack', novalidate: true, onsubmit: signIn },
      h('label', { for: 'token-input', text: tr('token_label') }),
      h('textarea', { id: 'token-input', rows: '4', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', required: true }),
      h('button', { id: 'signin-button', type: 'submit', class: 'primary', text: tr('signin') })),
  ];
}

// loadRecords fetches what the signed-in role's worklist shows.
export async function loadRecords() {
  if (!state.me) {
    location.hash = '#signin';
    return;
  }
  state.records = null;
  render();
  const lists = {};
  const jobs = [];
  const get = (name, path, params, member) => jobs.push(recordsAPI(path, { params }).then((d) => { lists[name] = d[member]; }));
  if (can('file_application')) get('mine', 'applications', {}, 'applications');
  // Staff work on these; a commission member, who may read them, sees them.
  if (can('review_applications') || (can('view_applications') && !can('file_application'))) {
    for (const s of ['submitted', 'under_review', 'approved', 'permit_issued']) get(s, 'applications', { state: s }, 'applications');
  }
  if (can('view_cases')) {
    get('open', 'cases', { state: 'open' }, 'cases');
    get('decided', 'cases', { state: 'decided' }, 'cases');
  }
  try {
    await Promise.all(jobs);
  } catch (err) {
    showError(err);
  }
  if (state.view?.kind !== 'records') return;
  const review = ['submitted', 'under_review', 'approved', 'permit_issued'].flatMap((s) => lists[s] || []);
  state.records = { ...lists, review: review.sort((a, b) => b.id - a.id) };
  render();
}

export function recordsView() {
  const me = state.me;
  if (!me) return signinView();
  const out = [h('h2', { id: 'view-title', text: tr(`worklist_${me.role}`) })];
  if (state.notice) out.push(h('p', { class: 'notice', role: 'status', id: 'notice', text: state.notice }));
  const r = state.records;
  if (!r) {
    out.push(h('p', { class: 'loading', text: tr('loading') }));
    return out;
  }
  let any = false;
  if (can('view_cases')) {
    any = true;
    out.push(casesSection('open-cases', tr('open_cases'), r.open));
    out.push(casesSection('decided-cases', tr('decided_cases'), r.decided));
  }
  if (can('review_applications')) {
    any = true;
    out.push(applicationsSection('review-applications', tr('review_applications'), r.review, true));
  } else if (can('view_applications') && !can('file_application')) {
    any = true;
    out.push(applicationsSection('review-applications', tr('review_applications'), r.review, false));
  }
  if (can('file_application')) {
    any = true;
    out.push(applicationsSection('my-applications', tr('my_applications'), r.mine, false));
  }
  if (can('manage_cases')) out.push(caseToolsView());
  if (can('import_bundles')) {
    any = true;
    out.push(bundleView());
  }
  if (!any) out.push(h('p', { class: 'intro', text: tr('no_records_role') }));
  return out;
}

export const stateName = (s) => tr(`state_${s}`);
export const caseStateName = (s) => tr(`case_state_${s}`);

function casesSection(id, title, cases) {
  return h('section', { id, class: 'records' }, h('h3', { text: title }),
    cases && cases.length
      ? h('table', { class: 'list' }, h('tbody', null, cases.map((c) => {
        const rv = c.review || {};
        return h('tr', { 'data-case': String(c.id), 'data-state': c.state },
          h('th', { scope: 'row' }, h('a', { href: `#case/${c.id}`, text: trf('case_n', { n: idText(c.id) }) })),
          h('td', null, c.parcel_id ? [tr('plate'), ' ', h('bdi', { dir: 'ltr', text: plateText(c.parcel_id) })] : null,
            c.reference ? h('div', { class: 'muted', text: c.reference }) : null),
          h('td', null, formatDate(c.opened_at, state.lang)),
          h('td', { class: 'num' }, trf('violations_found', { n: idText(rv.found ?? 0) }),
            c.decision ? h('div', null, money(c.decision.fines_total_rial))
              : rv.fines_total_rial != null ? h('div', null, money(rv.fines_total_rial)) : null));
      })))
      : h('p', { class: 'muted', text: tr('none_yet') }));
}

function applicationsSection(id, title, apps, review) {
  return h('section', { id, class: 'records' }, h('h3', { text: title }),
    apps && apps.length
      ? h('ol', { class: 'applications' }, apps.map((a) => applicationView(a, review)))
      : h('p', { class: 'muted', text: tr('none_yet') }));
}

// NEXT is where staff may move an application from each state; the server
// holds the rule (records/transitions.go) and refuses anything else.
const NEXT = {
  submitted: ['under_review'],
  under_review: ['approved', 'rejected'],
  approved: ['permit_issued'],
  permit_issued: ['completion_certificate'],
};

function applicationView(a, review) {
  const v = a.validation || {};
  const rows = [
    [tr('applicant'), h('bdi', { text: a.applicant })],
    a.filed_by !== a.applicant ? [tr('filed_by'), h('bdi', { text: a.filed_by })] : null,
    [tr('filed_at'), formatDate(a.filed_at, state.lang)],
    [tr('updated_at'), formatDate(a.updated_at, state.lang)],
    v.dues_total_rial != null ? [tr('dues_total'), money(v.dues_total_rial)] : null,
  ].filter(Boolean);
  return h('li', { class: 'application', 'data-application': String(a.id), 'data-state': a.state },
    h('div', { class: 'record-head' },
      h('strong', { text: trf('application_n', { n: idText(a.id) }) }),
      h('span', { class: `badge state-${a.state}`, 'data-state-name': '', text: stateName(a.state) }),
      a.parcel_id ? h('a', { href: `#parcel=${encodeURIComponent(a.parcel_id)}`, title: tr('show_on_map') },
        tr('plate'), ' ', h('bdi', { dir: 'ltr', text: plateText(a.parcel_id) })) : null),
    a.reference ? h('p', { class: 'muted', text: a.reference }) : null,
    h('dl', { class: 'record-facts' }, rows.map(([k, val]) => [h('dt', { text: k }), h('dd', null, val)])),
    a.permit ? permitView(a.permit) : null,
    review && NEXT[a.state] ? transitionForm(a) : null);
}

// permitView shows an issued permit's frozen figures.
function permitView(p) {
  return h('details', { class: 'permit', 'data-permit': '' },
    h('summary', null, tr('permit'), ' — ', formatDate(p.issued_at, state.lang),
      p.dues_total_rial != null ? [' · ', tr('dues_total'), ': ', money(p.dues_total_rial)] : null),
    h('dl', { class: 'record-facts' },
      h('dt', { text: tr('issued_by') }), h('dd', null, h('bdi', { text: p.issued_by })),
      h('dt', { text: tr('plan_version') }), h('dd', null, h('bdi', { text: plateText(p.plan.label) }), ' — ', formatDate(p.plan.effective_from, state.lang)),
      h('dt', { text: tr('rule_pack') }), h('dd', null, h('bdi', { dir: 'ltr', text: `${p.rule_pack.id} ${plateText(p.rule_pack.version)}` }))),
    h('table', { class: 'list permit-figures', 'aria-label': tr('permit_figures') }, h('tbody', null,
      (p.figures || []).map((f) => h('tr', { 'data-figure': f.id },
        h('th', { scope: 'row', text: bilingual(f, 'label') }),
        h('td', { class: 'num' }, figureValue(f, p)))))));
}

function transitionForm(a) {
  const reason = h('input', { type: 'text', name: 'reason', 'aria-label': tr('reason'), placeholder: tr('reason_placeholder') });
  const move = async (to) => {
    clearError();
    try {
      const moved = await recordsAPI(`applications/${a.id}/transitions`, { body: { to, reason: reason.value.trim() } });
      state.notice = trf('moved', { n: idText(moved.id ?? a.id), state: stateName(moved.state ?? to) });
    } catch (err) {
      showError(err);
      return;
    }
    loadRecords();
  };
  return h('div', { class: 'actions' }, reason,
    NEXT[a.state].map((to) => h('button', { type: 'button', 'data-to': to, onclick: () => move(to), text: tr(`to_${to}`) })));
}

// caseToolsView lets staff open a case from a survey file and issue a
// certificate of no violation for a plate.
function caseToolsView() {
  const plate = h('input', { id: 'certificate-parcel', name: 'parcel_id', type: 'text', dir: 'ltr', required: true, autocomplete: 'off', placeholder: tr('search_placeholder') });
  return h('section', { id: 'case-tools', class: 'records' }, h('h3', { text: tr('case_tools') }),
    h('p', null,
      h('label', { class: 'button', for: 'case-file', title: tr('open_case_hint') }, tr('open_case')),
      h('input', {
        id: 'case-file', class: 'visually-hidden', type: 'file', accept: '.json,application/json',
        onchange: (ev) => {
          const [file] = ev.target.files;
          ev.target.value = '';
          if (file) openCaseFile(file);
        },
      })),
    h('form', { id: 'certificate-form', class: 'inline', onsubmit: issueCertificate },
      h('label', { for: 'certificate-parcel', text: `${tr('certificate')} — ${tr('plate')}` }), plate,
      h('button', { type: 'submit', text: tr('issue_certificate') })));
}

// bundleView is the admin's upload of a plan bundle (a zip archive): check
// it, or import it as the next plan version; the server's answer (what it
// read, or every problem) is shown below.
function bundleView() {
  // The chosen file outlives the form, which each answer draws anew.
  const file = h('input', {
    id: 'bundle-file', type: 'file', accept: '.zip,application/zip',
    onchange: (ev) => { [state.bundleFile] = ev.target.files; },
  });
  const send = (check) => async (ev) => {
    ev.preventDefault();
    clearError();
    const zip = state.bundleFile;
    if (!zip) {
      showError(new APIError(localError('bundle_file')));
      return;
    }
    // Busy while the upload runs: a second click would import twice.
    state.bundle = { busy: true };
    render();
    try {
      const answer = await recordsAPI('plan/versions', { params: { check: check ? 'true' : '' }, body: new Blob([zip], { type: 'application/zip' }) });
      state.bundle = { check, answer };
    } catch (err) {
      state.bundle = err.body?.problems ? { problems: err.body.problems } : null;
      showError(err);
    }
    render();
  };
  const busy = !!state.bundle?.busy;
  return h('section', { id: 'bundle-tools', class: 'records' }, h('h3', { text: tr('bundle_title') }),
    h('p', { class: 'muted', text: tr('bundle_hint') }),
    h('form', { id: 'bundle-form', class: 'inline', onsubmit: send(false) },
      h('label', { for: 'bundle-file', text: tr('bundle_file') }), file,
      state.bundleFile ? h('bdi', { id: 'bundle-chosen', dir: 'ltr', text: state.bundleFile.name }) : null,
      h('button', { id: 'bundle-check', type: 'button', onclick: send(true), disabled: busy, text: tr('bundle_check') }),
      h('button', { id: 'bundle-import', type: 'submit', class: 'primary', disabled: busy, text: tr('bundle_import') })),
    bundleResult(state.bundle));
}

function bundleResult(b) {
  if (!b || b.busy) return b?.busy ? h('p', { class: 'loading', text: tr('loading') }) : null;
  if (b.problems) {
    return h('ul', { id: 'bundle-problems', class: 'problems' }, b.problems.map((p) => h('li', { dir: 'ltr' },
      `${p.file}${p.index != null ? ` #${p.index}` : ''}${p.property ? ` ${p.property}` : ''}: ${p.reason}`)));
  }
  const a = b.answer;
  const m = a.manifest;
  return h('div', { id: 'bundle-result', 'data-imported': String(!b.check) },
    h('p', { text: b.check ? tr('bundle_valid') : trf('bundle_imported', { n: idText(a.version.seq) }) }),
    h('p', null, h('bdi', { text: state.lang === 'fa' ? m.municipality_fa || m.municipality : m.municipality }), ' · ',
      h('bdi', { dir: 'ltr', text: m.plan_version }), ' · ', formatDate(m.effective_from, state.lang), ' · ',
      h('bdi', { dir: 'ltr', text: m.rule_pack })),
    h('table', { class: 'list' }, h('tbody', null, Object.entries(a.features).map(([layer, n]) =>
      h('tr', null, h('th', { scope: 'row', text: tr(`layer_${layer}`) }), h('td', { class: 'num', text: idText(n) }))))),
    a.warnings.length ? h('p', { class: 'muted', text: trf('bundle_warnings', { n: idText(a.warnings.length) }) }) : null);
}

async function openCaseFile(file) {
  clearError();
  const doc = await readJSON(file, 'case_file');
  if (doc === undefined) return;
  try {
    const c = await submit('case', 'cases', doc);
    location.hash = `#case/${c.id}`;
  } catch (err) {
    showError(err);
  }
}

async function issueCertificate(ev) {
  ev.preventDefault();
  clearError();
  const plate = $('#certificate-parcel').value.trim();
  try {
    const cert = await submit('certificate', 'certificates', { parcel_id: plate });
    state.notice = trf('certificate_issued', { n: plateText(cert.number), p: plateText(cert.parcel_id) });
    render();
  } catch (err) {
    showError(err);
  }
}

// filingView is the part of a passed plan check that files it as an
// application: for a signed-in applicant or engineer (who names the client),
// else a pointer to sign in.
export function filingView(sel, v) {
  if (!v.passed || v.stop) return null;
  if (!state.me) {
    return h('p', { id: 'filing', class: 'filing no-print' }, h('a', { href: '#signin', text: tr('signin_to_file') }));
  }
  if (!can('file_application')) return null;
  const engineer = state.me.role === 'engineer';
  const client = engineer
    ? h('input', { id: 'filing-applicant', type: 'text', dir: 'ltr', required: true, autocomplete: 'off', value: sel.applicant || '' })
    : null;
  const onsubmit = async (ev) => {
    ev.preventDefault();
    clearError();
    if (client) sel.applicant = client.value.trim();
    const body = { proposal: sel.body };
    if (sel.applicant) body.applicant = sel.applicant;
    try {
      const app = await submit('filing', 'applications', body);
      sel.filed = app;
    } catch (err) {
      showError(err);
      return;
    }
    render();
  };
  return h('section', { id: 'filing', class: 'filing no-print' }, h('h3', { text: tr('file_title') }),
    sel.filed
      ? h('p', { id: 'filed', class: 'notice', 'data-application': String(sel.filed.id) },
        trf('filed', { n: idText(sel.filed.id) }), ' ', h('a', { href: '#records', text: tr('worklist') }))
      : h('form', { id: 'filing-form', class: 'stack', onsubmit },
        h('p', { text: tr('file_intro') }),
        client ? [h('label', { for: 'filing-applicant', text: tr('file_for') }), client] : null,
        h('button', { id: 'filing-button', type: 'submit', class: 'primary', text: tr('file_button') })));
}
