// A violation case's page (#case/ID): on the map the parcel, the built
// footprint of the survey over it and, in red, its encroachment on the
// planned streets; beside it the review's violations with their figures,
// formulas and proposed rulings, the commission's decision and the closure
// when recorded, the case's history, and the form its reader's role may
// use: a commission member records the decision, staff close a decided case.
// The encroachment is drawn by clipping the footprint with the streets in
// the browser (polygon-clipping, vendored); the area written is the
// server's measurement, never the drawing's.

/* global polygonClipping */

import { digits, formatDate } from './format.js';
import { ROLE_FA } from './i18n.js';
import {
  state, tr, trf, h, api, track, plateParam, viewBBox, render, showError, clearError, APIError, localError,
  area, money, plateText, figureValue, versionsView, bilingual,
} from './page.js';
import { recordsAPI, can, caseStateName } from './records.js';

const RULINGS = ['fine', 'demolition', 'referral', 'dismissed'];

let map;
// layers are the case's drawing; the page's test hooks read them.
export const layers = {};

// initCase makes the case's map layers, above the plan's and in SVG, so each
// drawn shape is an element with a class a test or a style can find.
export function initCase(m) {
  map = m;
  map.createPane('case').style.zIndex = '457';
  const renderer = L.svg({ pane: 'case' });
  const layer = (className, style) => L.geoJSON(null, { pane: 'case', renderer, interactive: false, style: { className, ...style } }).addTo(map);
  layers.parcel = layer('case-parcel', { color: '#c2185b', weight: 3, fill: false });
  layers.built = layer('case-footprint', { color: '#1d6b74', weight: 2, fillColor: '#1d6b74', fillOpacity: 0.25 });
  layers.encroachment = layer('encroachment', { color: '#b71c1c', weight: 1.5, fillColor: '#e53935', fillOpacity: 0.8 });
}

export function clearCase() {
  for (const l of Object.values(layers)) l.clearLayers();
}

const geometryOf = (g) => (g && g.type === 'Feature' ? g.geometry : g);
const polygons = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []);

// openCase shows case id: its record first, then its drawing.
export async function openCase(id) {
  clearCase();
  state.view = { kind: 'case', id, data: null };
  render();
  let c;
  const view = state.view;
  try {
    c = await recordsAPI(`cases/${id}`);
  } catch (err) {
    view.failed = true;
    if (state.view === view) render();
    showError(err);
    return;
  }
  if (state.view !== view) return;
  view.data = c;
  render();
  try {
    // One tracked job, so the page is not idle between its requests.
    await track(drawCase(c));
  } catch (err) {
    showError(err);
  }
}

async function drawCase(c) {
  const doc = c.document || {};
  const asOf = c.review?.as_of;
  const parcel = doc.parcel_id
    ? await api(`parcels/${plateParam(doc.parcel_id)}`, { params: { as_of: asOf } })
    : { type: 'Feature', geometry: geometryOf(doc.parcel), properties: {} };
  if (state.view?.data !== c) return;
  layers.parcel.addData(parcel);
  const footprint = geometryOf(doc.survey?.footprint);
  if (footprint) layers.built.addData({ type: 'Feature', geometry: footprint, properties: {} });
  const bounds = layers.parcel.getBounds().extend(layers.built.getBounds());
  if (!bounds.isValid()) return;
  map.fitBounds(bounds, { maxZoom: 20, padding: [60, 60] });
  if (!footprint) return;
  const streets = await api('layers/streets', { params: { bbox: viewBBox(bounds.pad(0.2)), as_of: asOf } });
  if (state.view?.data !== c) return;
  const street = streets.features.flatMap((f) => polygons(f.geometry));
  if (!street.length) return;
  const onStreets = polygonClipping.intersection(polygons(footprint), polygonClipping.union(...street));
  if (onStreets.length) {
    layers.encroachment.addData({ type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: onStreets }, properties: {} });
  }
}

// ---- the panel --------------------------------------------------------------

export function caseView() {
  const c = state.view.data;
  const back = h('p', { class: 'no-print' }, h('a', { href: '#records', text: tr('back_to_worklist') }));
  if (!c) {
    if (state.view.failed) return [back];
    return [back, h('h2', { id: 'view-title', text: trf('case_n', { n: digits(state.view.id, state.lang) }) }),
      h('p', { class: 'loading', text: tr('loading') })];
  }
  const rv = c.review || {};
  const out = [back,
    h('header', { class: 'parcel-head' }, h('div', null,
      h('h2', { id: 'view-title' }, trf('case_n', { n: digits(c.id, state.lang) }),
        c.parcel_id ? [' — ', tr('plate'), ' ', h('bdi', { dir: 'ltr', text: plateText(c.parcel_id) })] : null),
      c.reference ? h('p', { id: 'reference' }, h('bdi', { text: c.reference })) : null,
      h('p', null, h('span', { id: 'case-state', class: `badge case-${c.state}`, 'data-state': c.state, text: caseStateName(c.state) }),
        ' · ', tr('opened_at'), ': ', formatDate(c.opened_at, state.lang), ' · ', tr('opened_by'), ': ', h('bdi', { text: c.opened_by }))))];
  if (rv.plan) out.push(versionsView(rv));

  const notes = [rv.stop, ...(rv.notes || [])].filter(Boolean);
  out.push(h('section', { id: 'case-verdict', class: `verdict ${rv.found ? 'no' : 'ok'}`, 'data-found': String(rv.found ?? 0) },
    h('strong', { text: rv.found ? trf('violations_found', { n: digits(rv.found, state.lang) }) : tr('no_violations') }),
    notes.length ? h('ul', { class: 'notes' }, notes.map((n) => h('li', { 'data-note': n.id, text: state.lang === 'fa' ? n.fa : n.en }))) : null));

  const fp = rv.footprint;
  if (fp && fp.on_streets_m2 != null) {
    out.push(h('dl', { id: 'case-footprint', class: 'footprint-facts' },
      h('dt', null, h('span', { class: 'swatch encroachment-swatch', 'aria-hidden': 'true' }), tr('encroachment')),
      h('dd', { id: 'encroachment-area' }, area(fp.on_streets_m2),
        (fp.streets || []).map((st) => [' · ', h('bdi', { text: st.street_id }), ' ', area(st.area_m2)])),
      h('dt', null, h('span', { class: 'swatch built-swatch', 'aria-hidden': 'true' }), tr('legend_built')),
      h('dd', null, area(fp.area_m2))));
  }

  if (rv.violations && rv.violations.length) out.push(violationsView(rv));
  if (c.decision) out.push(decisionView(c.decision, rv));
  if (c.closure) out.push(closureView(c.closure));
  if (c.state === 'open' && can('record_decisions')) out.push(decisionForm(c));
  if (c.state === 'decided' && can('manage_cases')) out.push(closureForm(c));
  if (c.history && c.history.length) out.push(historyView(c.history));
  return out;
}

const rulingName = (r) => tr(`ruling_${r}`);
const labelOf = (rv, id) => {
  const v = (rv.violations || []).find((x) => x.id === id);
  return v ? bilingual(v, 'label') : id;
};

function violationsView(rv) {
  return h('section', { class: 'checks' }, h('h3', { text: tr('violations') }),
    h('table', { id: 'violations' },
      h('thead', null, h('tr', null, ['v_violation', 'v_figure', 'v_ruling', 'v_fine'].map((k) => h('th', { scope: 'col', text: tr(k) })))),
      h('tbody', null, rv.violations.map((v) => h('tr', { 'data-violation': v.id, 'data-ruling': v.ruling },
        h('th', { scope: 'row' }, bilingual(v, 'label'),
          h('code', { class: 'formula', dir: 'ltr', text: v.formula }),
          v.fine_formula ? h('code', { class: 'formula', dir: 'ltr', text: v.fine_formula }) : null),
        h('td', { class: 'num', 'data-figure': '' }, figureValue({ kind: v.kind, unit: v.unit, value: v.figure }, rv)),
        h('td', { class: 'result', text: rulingName(v.ruling) }),
        h('td', { class: 'num', 'data-fine': '' }, v.fine != null ? money(v.fine) : '—')))),
      rv.fines_total_rial != null
        ? h('tfoot', null, h('tr', { 'data-total': '' }, h('th', { scope: 'row', colspan: '3', text: tr('fines_proposed') }),
          h('td', { class: 'num' }, money(rv.fines_total_rial))))
        : null));
}

function decisionView(d, rv) {
  return h('section', { id: 'decision', class: 'checks', 'data-follows': String(d.follows_proposal) },
    h('h3', { text: tr('decision') }),
    h('table', { id: 'decision-rulings' }, h('tbody', null,
      d.rulings.map((r) => h('tr', { 'data-violation': r.violation, 'data-ruling': r.ruling },
        h('th', { scope: 'row', text: labelOf(rv, r.violation) }),
        h('td', { class: 'result', text: rulingName(r.ruling) }),
        h('td', { class: 'num' }, r.fine_rial != null ? money(r.fine_rial) : '—'))),
      h('tr', { 'data-total': '' }, h('th', { scope: 'row', colspan: '2', text: tr('fines_decided') }),
        h('td', { class: 'num' }, money(d.fines_total_rial))))),
    h('dl', { class: 'record-facts' },
      h('dt', { text: tr('v_decided') }), h('dd', { text: tr(d.follows_proposal ? 'follows_proposal' : 'differs_from_proposal') }),
      d.reason ? [h('dt', { text: tr('reason') }), h('dd', { id: 'decision-reason-text' }, h('bdi', { text: d.reason }))] : null,
      h('dt', { text: tr('decided_by') }), h('dd', null, h('bdi', { text: d.decided_by })),
      h('dt', { text: tr('decided_at') }), h('dd', { id: 'decided-at', text: formatDate(d.decided_at, state.lang) })));
}

function closureView(cl) {
  return h('section', { id: 'closure' }, h('h3', { text: tr('closure') }),
    h('dl', { class: 'record-facts' },
      h('dt', { text: tr('reason') }), h('dd', null, h('bdi', { text: cl.reason })),
      h('dt', { text: tr('closed_by') }), h('dd', null, h('bdi', { text: cl.closed_by })),
      h('dt', { text: tr('closed_at') }), h('dd', { text: formatDate(cl.closed_at, state.lang) })));
}

// timeOf writes a timestamp's local time of day, hh:mm.
function timeOf(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return Number.isNaN(d.getTime()) ? '' : digits(`${p(d.getHours())}:${p(d.getMinutes())}`, state.lang);
}

function historyView(entries) {
  return h('section', { id: 'history-section' }, h('h3', { text: tr('history') }),
    h('ol', { id: 'history', class: 'history' }, entries.map((e) => h('li', { 'data-action': e.action, 'data-seq': String(e.seq) },
      h('span', { class: 'when' }, formatDate(e.at, state.lang), ' ', h('bdi', { text: timeOf(e.at) })), ' — ',
      h('strong', { text: tr(`act_${e.action}`) }), ' — ',
      h('bdi', { text: e.actor }), ` (${state.lang === 'fa' ? ROLE_FA[e.role] || e.role : e.role})`))));
}

// decisionForm lets a commission member rule on each violation, prefilled
// with the proposal; any difference needs a reason (the server checks too).
function decisionForm(c) {
  const rv = c.review;
  const rows = rv.violations.map((v) => {
    const select = h('select', { name: 'ruling', 'aria-label': `${tr('v_decided')}: ${bilingual(v, 'label')}` },
      RULINGS.map((r) => h('option', { value: r, selected: r === v.ruling, text: rulingName(r) })));
    const fine = h('input', {
      name: 'fine', type: 'number', min: '0', step: '1', dir: 'ltr', inputmode: 'numeric',
      'aria-label': `${tr('v_fine')}: ${bilingual(v, 'label')}`, value: v.fine != null ? String(v.fine) : '',
    });
    return { v, select, fine, tr: h('tr', { 'data-violation': v.id }, h('th', { scope: 'row', text: bilingual(v, 'label') }), h('td', null, select), h('td', null, fine)) };
  });
  const reason = h('textarea', { id: 'decision-reason', name: 'reason', rows: '3' });
  const rulings = () => rows.map(({ v, select, fine }) => {
    const r = { violation: v.id, ruling: select.value };
    if (r.ruling === 'fine' && fine.value !== '') r.fine_rial = Number(fine.value);
    return r;
  });
  const differs = () => rulings().some((r, i) => {
    const v = rows[i].v;
    return r.ruling !== v.ruling || (r.ruling === 'fine' && (r.fine_rial ?? null) !== (v.fine ?? null));
  });
  const update = () => {
    for (const { select, fine } of rows) fine.hidden = select.value !== 'fine';
    reason.required = differs();
  };
  const onsubmit = async (ev) => {
    ev.preventDefault();
    clearError();
    const body = { reason: reason.value.trim() };
    if (differs()) {
      if (!body.reason) {
        showError(new APIError(localError('reason_required')));
        return;
      }
      body.rulings = rulings();
    }
    try {
      await recordsAPI(`cases/${c.id}/decision`, { body });
    } catch (err) {
      showError(err);
      return;
    }
    openCase(c.id);
  };
  // novalidate: the missing reason is said in #error, in the page's words.
  const form = h('form', {
    id: 'decision-form', class: 'stack no-print', novalidate: true, onsubmit, oninput: update, onchange: update,
  },
    h('h3', { text: tr('decide_title') }),
    h('p', { class: 'muted', text: tr('decide_hint') }),
    h('table', { class: 'list' }, h('tbody', null, rows.map((r) => r.tr))),
    h('label', { for: 'decision-reason', text: tr('reason') }), reason,
    h('button', { id: 'decide-button', type: 'submit', class: 'primary', text: tr('decide_button') }));
  update();
  return form;
}

function closureForm(c) {
  const reason = h('textarea', { id: 'closure-reason', name: 'reason', rows: '2', required: true, placeholder: tr('close_placeholder') });
  const onsubmit = async (ev) => {
    ev.preventDefault();
    clearError();
    try {
      await recordsAPI(`cases/${c.id}/closure`, { body: { reason: reason.value.trim() } });
    } catch (err) {
      showError(err);
      return;
    }
    openCase(c.id);
  };
  return h('form', { id: 'closure-form', class: 'stack no-print', onsubmit },
    h('h3', { text: tr('close_title') }),
    h('label', { for: 'closure-reason', text: tr('reason') }), reason,
    h('button', { id: 'close-button', type: 'submit', class: 'primary', text: tr('close_button') }));
}
