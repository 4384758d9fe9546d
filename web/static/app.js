// The applicant's map page: the city's plan layers on a Leaflet map, search
// by plate, and the permit estimate of the selected parcel (or of a drawn or
// uploaded outline) with every figure explained, in Persian or English. An
// engineer uploads a proposal file to check a plan: the report, failing
// checks first, with the footprint drawn over the parcel and its widening.
// It talks only to the JSON API under api/v1; no build step, no CDN.

import {
  digits, latinDigits, formatNumber, formatMoney, formatDate, toJalali, todayISO,
} from './format.js';
import { LAND_USE_FA, DENSITY_BAND_FA, OVERLAY_KIND } from './i18n.js';
import {
  state, $, tr, num, named, h, APIError, localError, track, whenIdle, api, plateParam, viewBBox,
  setRenderer, storeLang, withUnit, area, money, pct, plateText, dateEl, showError, clearError, renderError,
  landUse, figureValue, versionsView, readJSON,
} from './page.js';
import {
  restoreSession, renderAccount, signinView, recordsView, loadRecords, filingView,
} from './records.js';
import {
  initCase, openCase, clearCase, caseView, layers as caseLayers,
} from './case.js';

// Parcels are fetched only from this zoom on, so a zoomed-out view of a
// large city does not ask for thousands of them; clicking the map still
// finds the parcel under the pointer at any zoom.
const PARCEL_MIN_ZOOM = 17;
const PARCEL_LIMIT = 3000;
const STREET_MIN_ZOOM = 14;
const OVERLAY_KINDS = ['historic', 'airport_height', 'river_buffer', 'fault', 'power_line'];

Object.assign(state, {
  plan: null, // GET /plan
  asOf: '', // yyyy-mm-dd of the chosen plan version; '' means today
  selection: null, // {kind: 'parcel'|'drawn'|'uploaded'|'proposal', feature, parcelId, proposal}
  estimate: null,
  validation: null, // POST /validations: the report on an uploaded proposal
  loading: false,
  request: 0, // the latest estimate request; older answers are dropped
  zoneNames: new Map(), // code → {name, name_fa}, for the legend and facts
  overlayKinds: new Map(), // hatch (kind, or no_build) → an overlay's properties, for the legend
  drawing: null, // corners (L.LatLng) while drawing an outline
  parcelsTruncated: false,
});

// ---- map -----------------------------------------------------------------

const mapEl = $('#map');
const map = L.map(mapEl, { attributionControl: false, minZoom: 3, maxZoom: 21, zoomSnap: 0.5 });
L.control.scale({ imperial: false }).addTo(map);
for (const [pane, z] of [['zones', 410], ['streets', 420], ['overlays', 430], ['parcels', 440], ['selected', 450], ['validation', 455], ['drawing', 460]]) {
  map.createPane(pane).style.zIndex = String(z);
}

// Zone colours follow the usual plan-map convention by the code's first
// letter (residential yellow, mixed orange, commercial red, green, public
// blue). Within a family, codes take darker shades in code order (R111
// lighter than R131) as they first arrive, and keep their colour after.
const ZONE_FAMILIES = { R: [46, 88], M: [28, 85], S: [6, 70], C: [6, 70], G: [112, 42], P: [205, 50], I: [280, 30], A: [80, 40] };
const ZONE_SHADES = [82, 72, 62, 53, 45, 38];
const zoneColors = new Map();
const familySize = new Map();

function assignZoneColors(codes) {
  for (const code of [...new Set(codes)].sort()) {
    if (zoneColors.has(code)) continue;
    const letter = String(code).charAt(0).toUpperCase();
    const fam = ZONE_FAMILIES[letter];
    const i = familySize.get(letter) || 0;
    familySize.set(letter, i + 1);
    let hsh = 2166136261;
    for (const c of String(code)) hsh = Math.imul(hsh ^ c.codePointAt(0), 16777619) >>> 0;
    zoneColors.set(code, fam
      ? `hsl(${fam[0] + (Math.floor(i / ZONE_SHADES.length) % 3) * 12}, ${fam[1]}%, ${ZONE_SHADES[i % ZONE_SHADES.length]}%)`
      : `hsl(${hsh % 360}, 35%, 70%)`);
  }
}

const zoneColor = (code) => zoneColors.get(code) || '#ccc';

const OVERLAY_COLORS = { historic: '#8b5a2b', airport_height: '#6a3d9a', river_buffer: '#1f78b4', fault: '#d7301f', power_line: '#e66101' };
const overlayPattern = (p) => (p.no_build ? 'no_build' : OVERLAY_KINDS.includes(p.kind) ? p.kind : 'other');

const PARCEL_STYLE = { color: '#4a4338', weight: 0.7, opacity: 0.85, fill: true, fillColor: '#000', fillOpacity: 0 };
const PARCEL_HOVER = { weight: 2.4, color: '#1d6b74' };

const layers = {
  zones: L.geoJSON(null, {
    pane: 'zones', renderer: L.canvas({ pane: 'zones' }), interactive: false,
    style: (f) => ({ color: '#fff', weight: 0.8, opacity: 0.7, fillColor: zoneColor(f.properties.code), fillOpacity: 0.75 }),
  }),
  streets: L.geoJSON(null, {
    pane: 'streets', renderer: L.canvas({ pane: 'streets' }), interactive: false,
    style: { color: '#9d9586', weight: 0.8, fillColor: '#fdfcf9', fillOpacity: 1 },
  }),
  overlays: L.geoJSON(null, {
    // SVG, not canvas: the hatches are SVG patterns defined in index.html.
    pane: 'overlays', renderer: L.svg({ pane: 'overlays' }), interactive: false,
    style: (f) => ({
      color: f.properties.no_build ? '#b2182b' : OVERLAY_COLORS[f.properties.kind] || '#555',
      weight: 1.6, dashArray: '6 4', fillColor: `url(#hatch-${overlayPattern(f.properties)})`, fillOpacity: 1,
    }),
  }),
  parcels: L.geoJSON(null, {
    pane: 'parcels', renderer: L.canvas({ pane: 'parcels' }), bubblingMouseEvents: false,
    style: PARCEL_STYLE,
    onEachFeature: (f, layer) => {
      layer.bindTooltip(() => digits(f.properties.parcel_id, state.lang), { sticky: true, direction: 'top', className: 'plate-tip' });
      layer.on('mouseover', () => layer.setStyle(PARCEL_HOVER));
      layer.on('mouseout', () => layer.setStyle(PARCEL_STYLE));
      layer.on('click', (e) => {
        if (state.drawing) addCorner(e.latlng);
        else selectFeature(f);
      });
    },
  }),
  selected: L.geoJSON(null, {
    pane: 'selected', renderer: L.svg({ pane: 'selected' }), interactive: false,
    style: { color: '#c2185b', weight: 3.5, fillColor: '#c2185b', fillOpacity: 0.2 },
  }),
  drawing: L.layerGroup(),
};
// A checked plan's parcel, widening and footprint share one SVG renderer, so
// the widening (the streets) can be clipped to the parcel's own path
// (#clip-parcel in index.html).
const validationRenderer = L.svg({ pane: 'validation' });
layers.widening = L.geoJSON(null, {
  pane: 'validation', renderer: validationRenderer, interactive: false,
  style: { className: 'widening', stroke: false, fillColor: 'url(#hatch-widening)', fillOpacity: 1 },
});
layers.vparcel = L.geoJSON(null, {
  pane: 'validation', renderer: validationRenderer, interactive: false,
  style: { className: 'validation-parcel', color: '#c2185b', weight: 3, fill: false },
  onEachFeature: (f, layer) => layer.on('add', () => layer.getElement().setAttribute('id', 'validation-parcel')),
});
layers.footprint = L.geoJSON(null, {
  pane: 'validation', renderer: validationRenderer, interactive: false,
  style: (f) => ({ className: 'footprint', color: f.properties.fails ? '#b3261e' : '#1d6b74', weight: 2.5, fillOpacity: 0.35 }),
});
for (const name of ['zones', 'streets', 'overlays', 'parcels', 'selected', 'widening', 'vparcel', 'footprint', 'drawing']) layers[name].addTo(map);
initCase(map);

// What each map layer was last loaded for, so small pans inside it reuse it.
const loaded = {};
const aborts = {};

async function loadLayer(name, path, minZoom, params, onData) {
  const view = map.getBounds();
  if (map.getZoom() < minZoom) {
    aborts[name]?.abort();
    layers[name].clearLayers();
    loaded[name] = null;
    return;
  }
  if (loaded[name] && loaded[name].contains(view)) return;
  aborts[name]?.abort();
  const ctl = new AbortController();
  aborts[name] = ctl;
  const padded = view.pad(0.25);
  try {
    const fc = await api(path, { params: { bbox: viewBBox(padded), as_of: state.asOf, ...params }, signal: ctl.signal });
    onData?.(fc);
    layers[name].clearLayers();
    layers[name].addData(fc);
    loaded[name] = padded;
  } catch (err) {
    if (err.name !== 'AbortError') showError(err);
  }
}

function loadView() {
  track(loadLayer('zones', 'layers/detailed_plan', 0, {}, (fc) => {
    assignZoneColors(fc.features.map((f) => f.properties.code));
    for (const f of fc.features) {
      const p = f.properties;
      if (!state.zoneNames.has(p.code)) state.zoneNames.set(p.code, { name: p.name, name_fa: p.name_fa });
    }
    renderLegend();
  }));
  track(loadLayer('streets', 'layers/streets', STREET_MIN_ZOOM, {}));
  track(loadLayer('overlays', 'layers/overlays', 0, {}, (fc) => {
    for (const f of fc.features) {
      const key = overlayPattern(f.properties);
      if (!state.overlayKinds.has(key)) state.overlayKinds.set(key, f.properties);
    }
    renderLegend();
  }));
  if (map.getZoom() < PARCEL_MIN_ZOOM) {
    state.parcelsTruncated = false;
    delete mapEl.dataset.parcels;
  }
  track(loadLayer('parcels', 'parcels', PARCEL_MIN_ZOOM, { limit: PARCEL_LIMIT }, (fc) => {
    state.parcelsTruncated = fc.features.length >= PARCEL_LIMIT;
    mapEl.dataset.parcels = String(fc.features.length);
    renderHint();
  }));
  renderHint();
}

function reloadView() {
  for (const name of Object.keys(loaded)) loaded[name] = null;
  loadView();
}

function renderHint() {
  const hint = $('#map-hint');
  let text = '';
  if (map.getZoom() < PARCEL_MIN_ZOOM) text = tr('zoom_for_parcels');
  else if (state.parcelsTruncated) text = tr('parcels_truncated');
  hint.textContent = text;
  hint.hidden = !text || !!state.drawing;
}

map.on('moveend', loadView);
map.on('click', (e) => {
  if (state.drawing) addCorner(e.latlng);
  else pickAt(e.latlng);
});

async function pickAt(latlng) {
  try {
    const fc = await track(api('parcels', { params: { lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7), as_of: state.asOf } }));
    if (fc.features.length) selectFeature(fc.features[0]);
  } catch (err) {
    showError(err);
  }
}

// ---- legend --------------------------------------------------------------

const Legend = L.Control.extend({
  options: { position: 'bottomright' },
  onAdd() {
    const el = L.DomUtil.create('details', 'legend leaflet-control');
    el.open = window.matchMedia('(min-width: 720px)').matches;
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
    return el;
  },
});
const legend = new Legend().addTo(map);

function swatch(fill, stroke, pattern) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '12');
  svg.setAttribute('aria-hidden', 'true');
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x: 1, y: 1, width: 16, height: 10, fill: pattern ? `url(#hatch-${pattern})` : fill, stroke, 'stroke-width': 1.2 })) rect.setAttribute(k, v);
  svg.append(rect);
  return svg;
}

function renderLegend() {
  const el = legend.getContainer();
  el.replaceChildren();
  el.setAttribute('dir', state.lang === 'fa' ? 'rtl' : 'ltr');
  el.append(h('summary', { text: tr('legend') }));
  const list = h('ul');
  for (const code of [...state.zoneNames.keys()].sort()) {
    const name = named(state.zoneNames.get(code)) || '';
    list.append(h('li', { 'data-legend': code }, swatch(zoneColor(code), '#fff'), h('bdi', { text: code }), name ? ` ${name}` : ''));
  }
  list.append(h('li', null, swatch('#fdfcf9', '#9d9586'), tr('legend_streets')));
  for (const [key, p] of [...state.overlayKinds.entries()].sort()) {
    const label = key === 'no_build' ? tr('no_build') : OVERLAY_KIND[state.lang][p.kind] || named(p) || p.kind;
    list.append(h('li', null, swatch(null, p.no_build ? '#b2182b' : OVERLAY_COLORS[p.kind] || '#555', key), label));
  }
  list.append(h('li', null, swatch('none', '#4a4338'), tr('legend_parcels')));
  list.append(h('li', null, swatch('rgba(194,24,91,.2)', '#c2185b'), tr('legend_selected')));
  list.append(h('li', null, swatch(null, '#e65100', 'widening'), tr('legend_widening')));
  list.append(h('li', null, swatch('rgba(29,107,116,.35)', '#1d6b74'), tr('legend_footprint')));
  list.append(h('li', null, swatch('rgba(29,107,116,.25)', '#1d6b74'), tr('legend_built')));
  list.append(h('li', null, swatch('rgba(229,57,53,.8)', '#b71c1c'), tr('encroachment')));
  el.append(list);
}

// ---- selection and estimates ---------------------------------------------

function showSelected(feature, fit) {
  layers.selected.clearLayers();
  try {
    layers.selected.addData(feature);
  } catch {
    return; // not drawable (e.g. an uploaded outline with bad coordinates): the API will say why
  }
  if (fit) {
    const b = layers.selected.getBounds();
    if (b.isValid()) map.fitBounds(b, { maxZoom: 19, padding: [40, 40] });
  }
}

async function selectPlate(plate) {
  clearError();
  try {
    const feature = await track(api(`parcels/${plateParam(plate)}`, { params: { as_of: state.asOf } }));
    showSelected(feature, true);
    await estimate({ kind: 'parcel', feature, parcelId: feature.properties.parcel_id });
  } catch (err) {
    showError(err);
  }
}

function selectFeature(feature) {
  showSelected(feature, false);
  estimate({ kind: 'parcel', feature, parcelId: feature.properties.parcel_id });
}

function selectOutline(geometry, kind) {
  const feature = { type: 'Feature', geometry, properties: {} };
  showSelected(feature, false);
  estimate({ kind, feature });
}

function clearValidation() {
  for (const name of ['widening', 'vparcel', 'footprint']) layers[name].clearLayers();
}

async function estimate(selection) {
  const req = ++state.request;
  leaveView();
  clearValidation();
  Object.assign(state, { selection, estimate: null, validation: null, error: null, loading: true });
  // The address names the parcel shown, so it can be bookmarked or shared.
  const hash = selection.parcelId ? `#parcel=${encodeURIComponent(selection.parcelId)}` : '';
  history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
  renderPanel();
  try {
    const est = await track(selection.parcelId
      ? api('estimates', { params: { parcel_id: selection.parcelId, as_of: state.asOf } })
      : api('estimates', { body: state.asOf ? { geometry: selection.feature.geometry, as_of: state.asOf } : { geometry: selection.feature.geometry } }));
    if (req !== state.request) return;
    state.estimate = est;
    if (!selection.parcelId) showSelected(selection.feature, true);
  } catch (err) {
    if (req !== state.request) return;
    state.error = err.body || localError('server');
    if (!selection.parcelId) layers.selected.clearLayers();
  }
  state.loading = false;
  renderPanel();
  renderError();
}

// ---- outline: draw or upload ----------------------------------------------

function startDrawing() {
  state.drawing = [];
  map.doubleClickZoom.disable();
  mapEl.classList.add('drawing');
  $('#draw-bar').hidden = false;
  $('#draw-button').setAttribute('aria-pressed', 'true');
  renderDrawing();
  renderHint();
}

function stopDrawing() {
  state.drawing = null;
  map.doubleClickZoom.enable();
  mapEl.classList.remove('drawing');
  $('#draw-bar').hidden = true;
  $('#draw-button').setAttribute('aria-pressed', 'false');
  layers.drawing.clearLayers();
  renderHint();
}

function addCorner(latlng) {
  state.drawing.push(latlng);
  renderDrawing();
}

function renderDrawing() {
  layers.drawing.clearLayers();
  const pts = state.drawing;
  const opts = { pane: 'drawing', color: '#1d6b74', weight: 2, dashArray: '5 4', interactive: false };
  if (pts.length > 1) L.polygon(pts, { ...opts, fillOpacity: 0.1 }).addTo(layers.drawing);
  for (const p of pts) L.circleMarker(p, { ...opts, radius: 4, dashArray: null, fillOpacity: 1, fillColor: '#fff' }).addTo(layers.drawing);
  $('#draw-finish').disabled = pts.length < 3;
  $('#draw-undo').disabled = pts.length === 0;
}

function finishDrawing() {
  const ring = state.drawing.map((p) => [Number(p.lng.toFixed(8)), Number(p.lat.toFixed(8))]);
  stopDrawing();
  // RFC 7946 wants the outer ring counter-clockwise.
  let twiceArea = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % ring.length];
    twiceArea += x1 * y2 - x2 * y1;
  }
  if (twiceArea < 0) ring.reverse();
  ring.push(ring[0]);
  selectOutline({ type: 'Polygon', coordinates: [ring] }, 'drawn');
}

// outlineGeometry accepts a Polygon, a MultiPolygon, a Feature holding one,
// or a FeatureCollection of exactly one such Feature.
function outlineGeometry(d) {
  if (d && d.type === 'FeatureCollection' && Array.isArray(d.features) && d.features.length === 1) [d] = d.features;
  if (d && d.type === 'Feature') d = d.geometry;
  return d && (d.type === 'Polygon' || d.type === 'MultiPolygon') ? d : null;
}

async function uploadOutline(file) {
  clearError();
  const data = await readJSON(file, 'file');
  if (data === undefined) return;
  const geometry = outlineGeometry(data);
  if (!geometry) {
    showError(new APIError(localError('not_polygon')));
    return;
  }
  selectOutline(geometry, 'uploaded');
}

// ---- plan check: an engineer's proposal ------------------------------------

async function uploadProposal(file) {
  clearError();
  const proposal = await readJSON(file, 'proposal_file');
  if (proposal !== undefined) validate(proposal);
}

// validate posts the proposal as it is (the server reads it strictly and
// names any member at fault), then draws its parcel, widening and footprint.
async function validate(proposal) {
  const req = ++state.request;
  const parcelId = proposal && typeof proposal.parcel_id === 'string' ? proposal.parcel_id : undefined;
  const selection = { kind: 'proposal', proposal, parcelId };
  leaveView();
  layers.selected.clearLayers();
  clearValidation();
  Object.assign(state, { selection, estimate: null, validation: null, error: null, loading: true });
  renderPanel();
  renderError();
  const body = state.asOf && proposal && typeof proposal === 'object' && !('as_of' in proposal) ? { ...proposal, as_of: state.asOf } : proposal;
  selection.body = body; // what is filed, if the plan passes
  try {
    const report = await track(api('validations', { body }));
    if (req !== state.request) return;
    state.validation = report;
    await track(drawValidation(selection, report));
  } catch (err) {
    if (req !== state.request) return;
    state.error = err.body || localError('server');
  }
  state.loading = false;
  renderPanel();
  renderError();
}

async function drawValidation(selection, report) {
  const p = selection.proposal;
  const parcel = selection.parcelId
    ? await api(`parcels/${plateParam(selection.parcelId)}`, { params: { as_of: report.as_of } })
    : { type: 'Feature', geometry: p.parcel.type === 'Feature' ? p.parcel.geometry : p.parcel, properties: {} };
  selection.feature = parcel;
  layers.vparcel.addData(parcel);
  const bounds = layers.vparcel.getBounds();
  if (!bounds.isValid()) return;
  map.fitBounds(bounds, { maxZoom: 20, padding: [60, 60] });
  const streets = await api('layers/streets', { params: { bbox: viewBBox(bounds.pad(0.1)), as_of: report.as_of } });
  layers.widening.addData(streets);
  if (p.footprint) {
    const setback = report.checks.find((c) => c.id === 'setback');
    const geometry = p.footprint.type === 'Feature' ? p.footprint.geometry : p.footprint;
    layers.footprint.addData({ type: 'Feature', geometry, properties: { fails: !!(setback && !setback.pass) } });
  }
}

// ---- panel ----------------------------------------------------------------

// parcelSketch draws the outline small, north up, for the panel and the
// printed sheet (the map itself is not printed).
function parcelSketch(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  const pts = polys.flat(2);
  if (!pts.length || !pts.every((p) => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]))) return null;
  const lat0 = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const xy = (p) => [p[0] * kx, -p[1]];
  const xs = pts.map((p) => xy(p)[0]);
  const ys = pts.map((p) => xy(p)[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const span = Math.max(Math.max(...xs) - x0, Math.max(...ys) - y0) || 1;
  const s = 100 / span;
  const d = polys.map((rings) => rings.map((ring) => ring.map((p, i) => {
    const [x, y] = xy(p);
    return `${i ? 'L' : 'M'}${((x - x0) * s + 10).toFixed(1)} ${((y - y0) * s + 10).toFixed(1)}`;
  }).join(' ') + 'Z').join(' ')).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 120 120');
  svg.setAttribute('class', 'sketch');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', state.lang === 'fa' ? 'کروکی قطعه' : 'Parcel sketch');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill-rule', 'evenodd');
  const north = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  north.setAttribute('x', '108');
  north.setAttribute('y', '14');
  north.setAttribute('text-anchor', 'middle');
  north.textContent = state.lang === 'fa' ? 'ش↑' : 'N↑';
  svg.append(path, north);
  return svg;
}

function renderPanel() {
  const panel = $('#panel');
  const body = $('#panel-body');
  if (state.view) {
    renderView(panel, body);
    return;
  }
  delete panel.dataset.view;
  const sel = state.selection;
  panel.dataset.state = state.loading ? 'loading' : state.estimate || state.validation ? 'ready' : state.error ? 'error' : 'empty';
  panel.setAttribute('aria-busy', String(state.loading));
  if (sel && sel.parcelId) panel.dataset.parcel = sel.parcelId;
  else delete panel.dataset.parcel;
  panel.dataset.selection = sel ? sel.kind : '';
  const status = $('#status');
  if (state.loading) {
    body.replaceChildren(selectionHead(sel), h('p', { class: 'loading', text: tr('loading') }));
    status.textContent = tr('loading');
    return;
  }
  if (state.validation) {
    const v = state.validation;
    body.replaceChildren(...validationView(v, sel));
    status.textContent = [$('#parcel-title').textContent, verdictText(v)].join(' — ');
    return;
  }
  if (!state.estimate) {
    body.replaceChildren(h('p', { class: 'intro', text: tr('intro') }));
    status.textContent = '';
    return;
  }
  body.replaceChildren(...estimateView(state.estimate, sel));
  // A short line for screen readers; the panel itself is not a live region,
  // so they are not read the whole sheet on every change.
  const e = state.estimate;
  status.textContent = [$('#parcel-title').textContent, tr(e.buildable ? 'buildable' : 'not_buildable'),
    e.summary && e.summary.floors != null ? `${tr('s_floors')}: ${num(e.summary.floors)}` : ''].filter(Boolean).join(' — ');
}

// VIEWS draw the panel of each records view (records.js, case.js).
const VIEWS = { signin: signinView, records: recordsView, case: caseView };

function renderView(panel, body) {
  const v = state.view;
  panel.dataset.view = v.kind;
  panel.dataset.state = v.failed ? 'error' : v.kind === 'case' && !v.data ? 'loading' : 'ready';
  panel.setAttribute('aria-busy', 'false');
  delete panel.dataset.parcel;
  panel.dataset.selection = '';
  body.replaceChildren(...VIEWS[v.kind]());
  $('#status').textContent = $('#view-title')?.textContent || '';
}

// enterView puts the map's selection away (its drawing too), so the map
// shows only what a records view draws.
function enterView() {
  state.request++; // an estimate still on its way is dropped
  Object.assign(state, { selection: null, estimate: null, validation: null, loading: false });
  layers.selected.clearLayers();
  clearValidation();
  clearCase();
}

// leaveView returns the panel to the map's estimate or plan check, and the
// address to no records view.
function leaveView() {
  if (!state.view) return;
  state.view = null;
  clearCase();
  if (!location.hash.startsWith('#parcel=')) history.replaceState(null, '', `${location.pathname}${location.search}`);
}

function selectionHead(sel) {
  const plate = sel.parcelId ? [tr('plate'), ' ', h('bdi', { id: 'parcel-plate', dir: 'ltr', text: plateText(sel.parcelId) })] : null;
  if (sel.kind === 'proposal') return h('h2', { id: 'parcel-title' }, tr('proposal'), plate ? [' — ', plate] : null);
  return h('h2', { id: 'parcel-title' }, plate || tr(sel.kind === 'drawn' ? 'drawn_outline' : 'uploaded_outline'));
}

function estimateView(e, sel) {
  const out = [];
  out.push(h('div', { class: 'sheet-head print-only' },
    h('h1', { text: tr('sheet_title') }),
    h('p', null, state.lang === 'fa' ? e.plan.municipality_fa || e.plan.municipality : e.plan.municipality,
      ' · ', tr('issued'), ': ', dateEl('issued-date', todayISO()))));

  const head = h('header', { class: 'parcel-head' }, h('div', null, selectionHead(sel)));
  const p = e.parcel;
  if (p) {
    const address = state.lang === 'fa' ? p.address_fa || p.address : p.address || p.address_fa;
    if (address) head.firstChild.append(h('p', { class: 'address' }, `${tr('address')}: `, address));
    if (p.registered_area_m2 != null) head.firstChild.append(h('p', null, `${tr('registered_area')}: `, area(p.registered_area_m2)));
  }
  const sketch = sel.feature && sel.feature.geometry && parcelSketch(sel.feature.geometry);
  if (sketch) head.append(sketch);
  out.push(head);

  out.push(versionsView(e));

  const notes = [e.stop, ...(e.notes || [])].filter(Boolean);
  out.push(h('section', { id: 'verdict', class: `verdict ${e.buildable ? 'ok' : 'no'}`, 'data-buildable': String(e.buildable) },
    h('strong', { text: tr(e.buildable ? 'buildable' : 'not_buildable') }),
    notes.length ? h('ul', { class: 'notes' }, notes.map((n) => h('li', { 'data-note': n.id, text: state.lang === 'fa' ? n.fa : n.en }))) : null,
    e.repairs && e.repairs.length ? h('p', { class: 'repairs' }, `${tr('repairs')}: `, h('span', { dir: 'ltr', text: e.repairs.join('; ') })) : null));

  const grid = h('div', { class: 'sheet-grid' });
  grid.append(summaryView(e), factsView(e.facts));
  out.push(grid);
  if (e.figures && e.figures.length) out.push(figuresView(e));
  out.push(h('p', { class: 'disclaimer', text: tr('disclaimer') }));
  out.push(h('div', { class: 'panel-actions no-print' },
    h('button', { id: 'print-button', type: 'button', onclick: () => window.print(), text: tr('print') })));
  return out;
}

function verdictText(v) {
  if (v.stop) return tr('plan_not_checked');
  return v.passed ? tr('plan_passed') : tr('plan_failed').replace('{n}', num(v.failed));
}

// OPS names a check's comparison in words: the symbols mirror in
// right-to-left text.
const OPS = { '<=': 'op_le', '<': 'op_lt', '>=': 'op_ge', '>': 'op_gt', '==': 'op_eq' };

// checkNumber writes a check's value, limit or margin by the check's kind.
function checkNumber(x, c) {
  if (x === 'inf') return tr('no_limit');
  return withUnit(num(x, { minDec: c.kind === 'area' ? 2 : 0, maxDec: c.kind === 'count' ? 0 : 2 }), c.unit);
}

function validationView(v, sel) {
  const out = [];
  const head = h('header', { class: 'parcel-head' }, h('div', null, selectionHead(sel)));
  if (v.reference) head.firstChild.append(h('p', { id: 'reference' }, `${tr('reference')}: `, h('bdi', { text: v.reference })));
  const p = v.parcel;
  if (p) {
    const address = state.lang === 'fa' ? p.address_fa || p.address : p.address || p.address_fa;
    if (address) head.firstChild.append(h('p', { class: 'address' }, `${tr('address')}: `, address));
  }
  out.push(head, versionsView(v));

  const notes = [v.stop, ...(v.notes || [])].filter(Boolean);
  out.push(h('section', { id: 'validation-verdict', class: `verdict ${v.passed ? 'ok' : 'no'}`, 'data-passed': String(v.passed), 'data-failed': String(v.failed) },
    h('strong', { text: verdictText(v) }),
    notes.length ? h('ul', { class: 'notes' }, notes.map((n) => h('li', { 'data-note': n.id, text: state.lang === 'fa' ? n.fa : n.en }))) : null,
    v.repairs && v.repairs.length ? h('p', { class: 'repairs' }, `${tr('repairs')}: `, h('span', { dir: 'ltr', text: v.repairs.join('; ') })) : null));
  out.push(filingView(sel, v));

  if (v.checks.length) {
    out.push(h('section', { class: 'checks' }, h('h3', { text: tr('checks') }),
      h('table', { id: 'checks' },
        h('thead', null, h('tr', null, ['c_check', 'c_result', 'c_value', 'c_limit', 'c_margin'].map((k) => h('th', { scope: 'col', text: tr(k) })))),
        h('tbody', null, v.checks.map((c) => h('tr', { 'data-check': c.id, 'data-pass': String(c.pass) },
          h('th', { scope: 'row', text: state.lang === 'fa' ? c.label_fa || c.label_en : c.label_en || c.label_fa }),
          h('td', { class: 'result', text: tr(c.pass ? 'pass' : 'fail') }),
          h('td', { class: 'num', 'data-value': '' }, checkNumber(c.value, c)),
          h('td', { class: 'num', 'data-limit': '' }, h('span', { class: 'op', text: tr(OPS[c.op] || c.op) }), ' ', checkNumber(c.limit, c)),
          h('td', { class: 'num', 'data-margin': '' }, checkNumber(c.margin, c))))))));
  }

  const fp = v.footprint;
  const fpRows = [[tr('footprint'), [area(fp.area_m2), ` (${tr(fp.source === 'polygon' ? 'fp_drawn' : 'fp_declared')})`]]];
  if (fp.source === 'polygon') {
    fpRows.push([tr('fp_outside_net'), area(fp.outside_net_m2)], [tr('fp_outside_parcel'), area(fp.outside_parcel_m2)],
      [tr('fp_on_streets'), [area(fp.on_streets_m2), (fp.streets || []).map((st) => [' · ', h('bdi', { text: st.street_id }), ' ', area(st.area_m2)])]]);
  }
  out.push(h('dl', { id: 'footprint-facts', class: 'footprint-facts' }, fpRows.map(([k, val]) => [h('dt', { text: k }), h('dd', null, val)])));

  if (v.dues_total_rial != null) {
    out.push(h('section', { class: 'dues' }, h('h3', { text: tr('plan_dues') }),
      h('table', { id: 'dues' }, h('tbody', null,
        v.dues.map((d) => h('tr', { 'data-dues': d.id },
          h('th', { scope: 'row', text: state.lang === 'fa' ? d.label_fa || d.label_en : d.label_en || d.label_fa }),
          h('td', { class: 'num' }, money(d.value)))),
        h('tr', { 'data-dues': 'total' }, h('th', { scope: 'row', text: tr('dues_total') }), h('td', { class: 'num' }, money(v.dues_total_rial)))))));
  }
  if (v.figures && v.figures.length) out.push(figuresView(v));
  out.push(h('p', { class: 'disclaimer', text: tr('validation_disclaimer') }));
  return out;
}

function summaryView(e) {
  const s = e.summary || {};
  const yesNo = (b) => (b == null ? null : tr(b ? 'yes' : 'no'));
  const rows = [
    ['land_use', 's_land_use', landUse(s.land_use, e)],
    ['floors', 's_floors', s.floors == null ? null : withUnit(num(s.floors, { maxDec: 0 }), 'floors')],
    ['density', 's_density', s.density_pct == null ? null : pct(s.density_pct)],
    ['coverage', 's_coverage', s.coverage_pct == null ? null : pct(s.coverage_pct)],
    ['allowed_area', 's_allowed_area', s.allowed_floor_area_m2 == null ? null : area(s.allowed_floor_area_m2)],
    ['extra_area', 's_extra_area', s.purchasable_extra_area_m2 == null ? null : area(s.purchasable_extra_area_m2)],
    ['max_footprint', 's_max_footprint', s.max_footprint_m2 == null ? null : area(s.max_footprint_m2)],
    ['parking', 's_parking', s.parking_spaces == null ? null : withUnit(num(s.parking_spaces, { maxDec: 0 }), 'spaces')],
    ['shortfall', 's_shortfall', yesNo(s.parking_shortfall_allowed)],
    ['dues', 's_dues', s.dues_rial == null ? null : money(s.dues_rial)],
    ['extra_price', 's_extra_price', s.purchasable_extra_price_rial == null ? null : money(s.purchasable_extra_price_rial)],
  ];
  return h('section', { class: 'summary' },
    h('h3', { text: tr('summary') }),
    h('table', null, h('tbody', null, rows.map(([key, label, value]) => h('tr', { 'data-summary': key },
      h('th', { scope: 'row', text: tr(label) }),
      h('td', { class: 'value' }, value == null ? '—' : value))))));
}

function factsView(f) {
  const rows = [];
  const row = (key, label, ...value) => rows.push(h('div', { 'data-fact': key }, h('dt', { text: label }), h('dd', null, ...value)));
  const street = (s) => [named(s), ' (', `${tr('planned')} `, withUnit(num(s.planned_width_m), 'm'),
    s.width_m !== s.planned_width_m ? [state.lang === 'fa' ? '، ' : ', ', `${tr('existing')} `, withUnit(num(s.width_m), 'm')] : null, ')'];
  const list = (items) => (items.length ? h('ul', null, items.map((i) => h('li', null, i))) : tr('none'));
  const zoneName = (code) => {
    const name = state.zoneNames.has(code) && named(state.zoneNames.get(code));
    return name ? ` ${name}` : '';
  };

  row('A', tr('f_A'), area(f.A));
  row('W', tr('f_W'), area(f.W));
  row('N', tr('f_N'), area(f.N));
  row('front', tr('f_front'), f.front_street ? street(f.front_street) : tr('landlocked'));
  row('S', tr('f_S'), withUnit(num(f.S), 'm'));
  if (f.streets && f.streets.length > 1) row('streets', tr('f_streets'), list(f.streets.map(street)));
  row('zones', tr('f_zones'), list((f.zones || []).map((z) => [h('bdi', { text: z.code }), zoneName(z.code), ' — ', area(z.area_m2), ' (', pct(z.fraction * 100), ')'])));
  if (f.slivers && f.slivers.length) row('slivers', tr('f_slivers'), list(f.slivers.map((z) => [h('bdi', { text: z.code }), ' — ', area(z.area_m2)])));
  row('governing', tr('f_governing'), f.governing_zone ? [h('bdi', { text: f.governing_zone }), zoneName(f.governing_zone)] : tr('none'));
  const overlay = (o) => [named(o), ' (', OVERLAY_KIND[state.lang][o.kind] || o.kind,
    o.max_floors != null ? [' · ', `${tr('max_floors')} `, num(o.max_floors)] : null,
    o.max_height_m != null ? [' · ', `${tr('max_height')} `, withUnit(num(o.max_height_m), 'm')] : null,
    o.no_build ? [' · ', tr('no_build')] : null, ') — ', area(o.area_m2)];
  row('overlays', tr('f_overlays'), list((f.overlays || []).map(overlay)));
  if (f.ignored_overlays && f.ignored_overlays.length) row('ignored_overlays', tr('f_ignored_overlays'), list(f.ignored_overlays.map(overlay)));
  const vb = f.value_block;
  const perM2 = (x) => withUnit(formatMoney(x, state.lang), state.lang === 'fa' ? 'ریال بر مترمربع' : 'Rial/m²');
  row('value_block', tr('f_value_block'), vb
    ? h('ul', null,
      h('li', null, h('bdi', { text: vb.id })),
      h('li', null, `${tr('f_P')}: `, perM2(vb.p_value)),
      h('li', null, `${tr('f_TXr')}: `, perM2(vb.tx_value_residential)),
      h('li', null, `${tr('f_TXc')}: `, perM2(vb.tx_value_commercial)))
    : tr('none'));
  if (f.master_zone) {
    const m = f.master_zone;
    const fa = state.lang === 'fa';
    const use = fa ? LAND_USE_FA[m.land_use] || m.land_use : m.land_use;
    const band = fa ? DENSITY_BAND_FA[m.density_band] || m.density_band : m.density_band;
    row('master', tr('f_master'), named(m), ` (${use}${fa ? '، ' : ', '}${tr('density_band')} ${band})`);
  }
  return h('section', { class: 'facts' }, h('h3', { text: tr('facts') }), h('dl', null, rows));
}

function inputValue(v) {
  if (v == null) return '—';
  if (typeof v === 'boolean') return tr(v ? 'yes' : 'no');
  if (typeof v === 'number' || v === 'inf' || v === '-inf') return num(v, { maxDec: 4 });
  if (Array.isArray(v)) return v.length ? `[${v.map(inputValue).join('; ')}]` : '[]';
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${inputValue(x)}`).join(', ')}}`;
  return String(v);
}

function figuresView(e) {
  const toggle = h('button', {
    id: 'figures-toggle', type: 'button', class: 'link no-print', 'aria-expanded': 'false',
    onclick: () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      for (const d of document.querySelectorAll('#figures details')) d.open = open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = tr(open ? 'collapse_all' : 'expand_all');
    },
    text: tr('expand_all'),
  });
  return h('section', { class: 'figures' },
    h('div', { class: 'figures-head' }, h('h3', { text: tr('figures') }), toggle),
    h('ol', { id: 'figures' }, e.figures.map((f) => h('li', null,
      h('details', { 'data-figure': f.id, 'data-kind': f.kind },
        h('summary', null,
          h('span', { class: 'label', text: state.lang === 'fa' ? f.label_fa || f.label_en : f.label_en || f.label_fa }),
          h('span', { class: 'value' }, figureValue(f, e))),
        h('dl', { class: 'explain' },
          h('dt', { text: tr('formula') }),
          h('dd', { dir: 'ltr' }, h('code', { class: 'formula', text: f.formula })),
          f.inputs && f.inputs.length ? [
            h('dt', { text: tr('inputs') }),
            h('dd', { dir: 'ltr', class: 'inputs' }, f.inputs.map((i, k) => [k ? ', ' : '',
              h('span', { 'data-input': i.name }, h('code', { text: i.name }), ' = ', h('bdi', { text: inputValue(i.value) }))])),
          ] : null))))));
}

// ---- language -------------------------------------------------------------

function applyLang() {
  const root = document.documentElement;
  root.lang = state.lang;
  root.dir = state.lang === 'fa' ? 'rtl' : 'ltr';
  document.title = tr('title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = tr(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = tr(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', tr(el.dataset.i18nAria));
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = tr(el.dataset.i18nTitle);
  $('#lang-toggle').lang = state.lang === 'fa' ? 'en' : 'fa';
  renderPlan();
  renderLegend();
  renderHint();
  renderAccount();
  renderPanel();
  renderError();
  layers.parcels.eachLayer((l) => {
    if (l.isTooltipOpen()) l.getTooltip().update();
  });
}

function setLang(lang) {
  state.lang = lang;
  storeLang(lang);
  applyLang();
}

function renderPlan() {
  const plan = state.plan;
  if (!plan) return;
  $('#municipality').textContent = ` · ${state.lang === 'fa' ? plan.municipality_fa || plan.municipality : plan.municipality}`;
  const select = $('#plan-version');
  const chosen = select.value;
  select.replaceChildren(...(plan.versions || [plan.version]).map((v) => h('option', {
    value: String(v.id),
    'data-effective': v.effective_from.slice(0, 10),
    text: `${digits(v.label, state.lang)} — ${formatDate(v.effective_from, state.lang)}${v.id === plan.version.id ? ` (${tr('in_force')})` : ''}`,
  })));
  select.value = chosen || String(plan.version.id);
}

// ---- start ----------------------------------------------------------------

function wire() {
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const plate = latinDigits($('#search-input').value).trim().replace(/\s*\/\s*/g, '/');
    if (!plate) showError(new APIError(localError('empty_search')));
    else selectPlate(plate);
  });
  $('#lang-toggle').addEventListener('click', () => setLang(state.lang === 'fa' ? 'en' : 'fa'));
  $('#plan-version').addEventListener('change', (ev) => {
    const opt = ev.target.selectedOptions[0];
    state.asOf = Number(opt.value) === state.plan.version.id ? '' : opt.dataset.effective;
    reloadView();
    if (state.selection && state.selection.kind === 'proposal') validate(state.selection.proposal);
    else if (state.selection) estimate(state.selection);
  });
  $('#draw-button').addEventListener('click', () => (state.drawing ? stopDrawing() : startDrawing()));
  $('#draw-finish').addEventListener('click', finishDrawing);
  $('#draw-undo').addEventListener('click', () => {
    state.drawing.pop();
    renderDrawing();
  });
  $('#draw-cancel').addEventListener('click', stopDrawing);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.drawing) stopDrawing();
  });
  $('#outline-file').addEventListener('change', (ev) => {
    const [file] = ev.target.files;
    ev.target.value = ''; // so choosing the same file again fires change
    if (file) uploadOutline(file);
  });
  $('#proposal-file').addEventListener('change', (ev) => {
    const [file] = ev.target.files;
    ev.target.value = '';
    if (file) uploadProposal(file);
  });
  // Print every figure's explanation, then restore what was open.
  let wasOpen = [];
  window.addEventListener('beforeprint', () => {
    wasOpen = [...document.querySelectorAll('#figures details')].map((d) => d.open);
    for (const d of document.querySelectorAll('#figures details')) d.open = true;
  });
  window.addEventListener('afterprint', () => {
    document.querySelectorAll('#figures details').forEach((d, i) => { d.open = !!wasOpen[i]; });
  });
}

async function start() {
  setRenderer(renderPanel);
  wire();
  applyLang();
  const session = restoreSession();
  try {
    state.plan = await track(api('plan'));
  } catch (err) {
    showError(err);
    map.setView([0, 0], 3);
    return;
  }
  renderPlan();
  const bb = state.plan.bbox;
  if (bb) map.fitBounds([[bb[1], bb[0]], [bb[3], bb[2]]]);
  else map.setView([0, 0], 3);
  await session;
  route();
  window.addEventListener('hashchange', route);
}

// route opens what the address names: a parcel (#parcel=12%2F34), sign-in
// (#signin), the signed-in role's worklist (#records) or a violation case
// (#case/17).
function route() {
  const hash = location.hash;
  state.notice = '';
  const parcel = /^#parcel=(.+)$/.exec(hash);
  const kase = /^#case\/(\d+)$/.exec(hash);
  if (hash === '#signin' || hash === '#records') {
    enterView();
    state.view = { kind: hash.slice(1) };
    renderPanel();
    if (hash === '#records') loadRecords();
  } else if (kase) {
    enterView();
    openCase(Number(kase[1]));
  } else if (parcel) {
    const plate = decodeURIComponent(parcel[1]);
    if (state.selection && state.selection.parcelId === plate) {
      leaveView();
      renderPanel();
      return;
    }
    $('#search-input').value = plate;
    selectPlate(plate);
  } else if (state.view) {
    leaveView();
    renderPanel();
  }
}

// Hooks for the browser test and for poking at the page from the console.
window.parvaneh = {
  map, state, whenIdle, toJalali, formatDate, formatNumber, formatMoney, caseLayers,
};

start();
