// What every view of the page shares: its state (the language first), the
// words, building elements, the JSON API (with the signed-in user's token
// when a call needs one), the error box, and number, area and money cells.

import { digits, formatNumber, formatMoney, formatDate } from './format.js';
import { STRINGS, UNITS_FA, LAND_USE_FA } from './i18n.js';

const API = 'api/v1';
const LANG_KEY = 'parvaneh.lang';

// state is the page's state; each module adds the members it owns.
export const state = {
  lang: storedLang(),
  error: null, // the API's error object shown in #error
};

export const $ = (sel) => document.querySelector(sel);
export const tr = (key) => STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key;
// trf is tr with its {name}s filled in.
export const trf = (key, vars) => Object.entries(vars).reduce((s, [k, v]) => s.replace(`{${k}}`, v), tr(key));
export const num = (x, opts) => formatNumber(x, state.lang, opts);
// named picks a plan feature's name in the page's language.
export const named = (o) => (state.lang === 'fa' ? o.name_fa || o.name : o.name || o.name_fa) || o.id;
// bilingual picks the page's language from a pair such as label_fa/label_en.
export const bilingual = (o, key) => (state.lang === 'fa' ? o[`${key}_fa`] || o[`${key}_en`] : o[`${key}_en`] || o[`${key}_fa`]);

function storedLang() {
  try {
    const v = localStorage.getItem(LANG_KEY);
    if (v === 'fa' || v === 'en') return v;
  } catch { /* storage may be disabled; Persian is the default */ }
  return 'fa';
}

// storeLang keeps the language chosen for the next visit.
export function storeLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch { /* the choice then lasts for this visit only */ }
}

// h builds an element; attributes named on* add listeners, "text" sets the
// text. Data from the API only ever becomes text, never markup.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

// ---- API ----------------------------------------------------------------

export class APIError extends Error {
  constructor(body, status = 0) {
    super(body.message_en || body.code);
    this.body = body;
    this.status = status;
  }
}

// localError is an error of the page's own, in the error body's shape.
export function localError(code) {
  return { code, message_en: STRINGS.en[`err_${code}`], message_fa: STRINGS.fa[`err_${code}`] };
}

let pending = 0;
const idleWaiters = [];
const mapEl = $('#map');

// track counts requests in flight, so tests (and the map's data-state) know
// when the page has settled.
export function track(promise) {
  pending++;
  mapEl.dataset.state = 'loading';
  return promise.finally(() => {
    if (--pending === 0) {
      mapEl.dataset.state = 'ready';
      idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  });
}

export function whenIdle() {
  return pending === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

// api calls the JSON API. A body makes it a POST; token sends
// Authorization: Bearer (only the records' calls do: a public call must
// not fail because a token expired); headers adds others.
export async function api(path, { params = {}, body, signal, token, headers = {} } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, v);
  const qs = q.toString();
  const init = { signal, headers: { Accept: 'application/json', ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof Blob) {
    // A file sent as it is (a plan bundle's zip archive).
    init.method = 'POST';
    init.headers['Content-Type'] = body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`${API}/${path}${qs ? `?${qs}` : ''}`, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new APIError(localError('network'));
  }
  let data;
  try {
    data = await res.json();
  } catch {
    throw new APIError(localError('server'), res.status);
  }
  if (!res.ok) throw new APIError(data && data.error ? data.error : localError('server'), res.status);
  return data;
}

export const plateParam = (plate) => plate.split('/').map(encodeURIComponent).join('/');

// viewBBox writes map bounds as the API's bbox parameter.
export function viewBBox(bounds) {
  const clamp = (v, lim) => Math.max(-lim, Math.min(lim, v));
  return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90), clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90)]
    .map((v) => v.toFixed(6)).join(',');
}

// readJSON reads a chosen file as JSON; when it is not, it shows the page's
// error err_CODE and gives undefined (which no JSON text parses to).
export async function readJSON(file, code) {
  try {
    return JSON.parse(await file.text());
  } catch {
    showError(new APIError(localError(code)));
    return undefined;
  }
}

// ---- rendering ------------------------------------------------------------

let renderer = () => {};

// setRenderer names the function that draws the panel; render calls it, so
// a module whose data arrived can redraw without importing app.js.
export function setRenderer(fn) {
  renderer = fn;
}

export function render() {
  renderer();
}

// ---- numbers with units ---------------------------------------------------

export function unit(u) {
  if (!u) return '';
  return state.lang === 'fa' ? UNITS_FA[u] || u : u;
}

export function withUnit(value, u) {
  return h('span', { class: 'qty' }, h('span', { class: 'num', text: value }), u ? h('span', { class: 'unit', text: ` ${unit(u)}` }) : null);
}

export const area = (x) => withUnit(num(x, { minDec: 2, maxDec: 2 }), 'm²');
export const money = (x) => withUnit(formatMoney(x, state.lang), 'Rial');
export const pct = (x) => withUnit(num(x, { maxDec: 2 }), '%');
export const plateText = (p) => digits(p, state.lang);

// dateEl writes an ISO date (or timestamp) as a <time> in the page's
// calendar, keeping the ISO date in data-iso.
export function dateEl(id, iso) {
  return h('time', { id, datetime: iso.slice(0, 10), 'data-iso': iso.slice(0, 10), text: formatDate(iso, state.lang) });
}

// landUse names a land use in the page's language: in Persian the rule
// pack's own name (figure land_use_fa of the answer) or the contract's.
export function landUse(value, est) {
  if (value == null) return null;
  if (state.lang !== 'fa') return value;
  const fa = (est.figures || []).find((f) => f.id === 'land_use_fa');
  return (fa && typeof fa.value === 'string' && fa.value) || LAND_USE_FA[value] || value;
}

// figureValue writes a rule pack figure's value by its kind.
export function figureValue(f, e) {
  const v = f.value;
  switch (f.kind) {
    case 'money': return withUnit(formatMoney(v, state.lang), f.unit || 'Rial');
    case 'area': return withUnit(num(v, { minDec: 2, maxDec: 2 }), f.unit);
    case 'count': return withUnit(num(v, { maxDec: 0 }), f.unit);
    case 'number': return withUnit(num(v, { maxDec: 4 }), f.unit);
    case 'flag': return tr(v ? 'yes' : 'no');
    default:
      if (f.id === 'land_use') return landUse(v, e);
      return v === '' ? '—' : String(v);
  }
}

// versionsView names the plan version and rule pack an answer used.
export function versionsView(e) {
  return h('dl', { class: 'versions' },
    h('dt', { text: tr('plan_version') }), h('dd', null, h('bdi', { id: 'plan-label', text: digits(e.plan.label, state.lang) })),
    h('dt', { text: tr('effective_from') }), h('dd', null, dateEl('plan-effective', e.plan.effective_from)),
    h('dt', { text: tr('rule_pack') }), h('dd', null, h('bdi', { id: 'rule-pack', dir: 'ltr', text: `${e.rule_pack.id} ${digits(e.rule_pack.version, state.lang)}` })),
    h('dt', { text: tr('as_of') }), h('dd', null, dateEl('as-of', e.as_of)));
}

// ---- errors ---------------------------------------------------------------

export function showError(err) {
  state.error = (err && err.body) || localError('server');
  renderError();
  if (!err || !err.body) console.warn(err); // eslint-disable-line no-console
}

export function clearError() {
  state.error = null;
  renderError();
}

export function renderError() {
  const el = $('#error');
  const e = state.error;
  el.hidden = !e;
  el.replaceChildren();
  if (!e) {
    delete el.dataset.code;
    return;
  }
  el.dataset.code = e.code;
  el.append(h('p', { class: 'message', text: (state.lang === 'fa' ? e.message_fa : e.message_en) || e.message_en || e.code }));
  if (e.field || e.detail) {
    el.append(h('p', { class: 'detail' },
      e.field ? [`${tr('field')}: `, h('code', { text: e.field })] : null,
      e.field && e.detail ? ' — ' : null,
      e.detail ? h('span', { dir: 'ltr', text: e.detail }) : null));
  }
  el.append(h('button', { type: 'button', class: 'close', 'aria-label': '×', text: '×', onclick: clearError }));
}
