// The list: a row per request, the filters, the pins.

import { $, el, fill } from './dom.js';
import { badge, inboxTag, keyText, shortTime } from './format.js';
import { readPath, valueAt } from './paths.js';
import {
  KEEP, config, entries, latestId, list, parsedBody, pinned, selectedId, setLatestId, typesSeen,
} from './state.js';

function buildRow(rec) {
  const e = rec.e;
  const [keyWords, keyTone] = keyText(e.key, e.inbox);
  const fwd = e.forwarded;
  const fwdOk = fwd && fwd.status >= 200 && fwd.status < 300;
  // The type; else what went wrong (not_json, wrong_key...); else the request itself.
  const kind = e.error && e.error.kind !== 'request' ? e.error.kind : null;
  const what = e.activity_type || kind || `${e.method || ''} ${e.path || ''}`;
  return el('li', { class: 'row', tabindex: '0', dataset: { id: String(e.id) } },
    el('button', { type: 'button', class: 'pin-toggle', title: 'pin: keep on top', 'aria-label': 'pin', 'aria-pressed': 'false' }, '☆'),
    el('div', { class: 'row-main' },
      el('div', { class: 'line1' },
        el('time', { class: 'time', title: e.received_at }, shortTime(e.received_at)),
        el('span', { class: 'status' }, String(e.status == null ? '—' : e.status)),
        badge(e.verdict),
        el('span', { class: 'type' }, what),
        e.source && e.source !== 'live' ? el('span', { class: 'tag', title: `loaded from --${e.source === 'saved' ? 'save' : 'store'} at start` }, e.source) : null,
        inboxTag(e.inbox)),
      el('div', { class: 'line2' },
        el('span', { class: 'lead' }, e.lead == null ? '—' : e.lead),
        e.user != null ? el('span', { class: 'user' }, `by ${e.user}`) : null,
        el('span', { class: `key ${keyTone}` }, keyWords),
        fwd ? el('span', { class: `fwd ${fwdOk ? 'ok' : 'bad'}`, title: 'the --forward-to app answered' },
          `app ${fwd.status == null ? '✗' : fwd.status}`) : null)));
}

/** Adds an entry (ignoring one already held); false when it was not added. */
export function addEntry(e) {
  if (!e || typeof e.id !== 'number' || entries.has(e.id)) return false;
  const rec = { e, row: null, parsed: undefined, hay: null };
  rec.row = buildRow(rec);
  entries.set(e.id, rec);
  setLatestId(Math.max(latestId, e.id));
  if (e.activity_type && !typesSeen.has(e.activity_type)) {
    typesSeen.add(e.activity_type);
    refreshTypes();
  }
  // Hold what the command holds; pinned and selected entries stay.
  if (entries.size > KEEP) {
    const oldest = [...entries.keys()].sort((a, b) => a - b);
    for (const id of oldest) {
      if (entries.size <= KEEP) break;
      if (pinned.has(id) || id === selectedId) continue;
      entries.get(id).row.remove();
      entries.delete(id);
    }
  }
  return true;
}

function refreshTypes() {
  const select = $('filter-type');
  const current = select.value;
  const types = [...typesSeen].sort();
  fill(select, el('option', { value: '' }, 'all types'), types.map((t) => el('option', { value: t }, t)));
  select.value = types.includes(current) ? current : '';
}

/** The filter bar as one object: type, verdict, text, and the path query if the text is
 *  `path:value`. */
function currentFilter() {
  const text = $('filter-text').value.trim();
  let path = null;
  const read = readPath(text);
  if (read && read.segs.length && text[read.end] === ':') {
    path = { segs: read.segs, value: text.slice(read.end + 1).trim().toLowerCase() };
  }
  return { type: $('filter-type').value, verdict: $('filter-verdict').value, text: text.toLowerCase(), path };
}

function matches(rec, f) {
  const e = rec.e;
  if (f.type && e.activity_type !== f.type) return false;
  if (f.verdict && e.verdict !== f.verdict) return false;
  if (!f.text) return true;
  // `lead:won` reads as both a path (`lead`) and a type: either way matches. Only a
  // value that is not an object or array is compared at a path.
  if (f.path) {
    const p = parsedBody(rec);
    const at = p.ok ? valueAt(p.value, f.path.segs) : { found: false };
    if (at.found && (at.value === null || typeof at.value !== 'object')
        && String(at.value).toLowerCase().includes(f.path.value)) return true;
  }
  if (rec.hay === null) {
    rec.hay = [e.activity_type, e.lead, e.user, e.error && e.error.message, e.body]
      .filter((s) => s != null).join('\n').toLowerCase();
  }
  return rec.hay.includes(f.text);
}

/** Puts the rows that pass the filters in order (pinned first, then newest first),
 *  moving only what moved so that focus and scroll stay where they are. */
export function refreshList() {
  const f = currentFilter();
  const ids = [...entries.keys()].sort((a, b) => b - a);
  const order = ids.filter((id) => pinned.has(id)).concat(ids.filter((id) => !pinned.has(id)));
  const rows = order.map((id) => entries.get(id)).filter((rec) => matches(rec, f)).map((rec) => rec.row);
  let cursor = list.firstChild;
  for (const row of rows) {
    if (row === cursor) cursor = cursor.nextSibling;
    else list.insertBefore(row, cursor);
  }
  while (cursor && cursor.nextSibling) cursor.nextSibling.remove(); // rows now filtered out
  if (cursor) cursor.remove();
  $('count').textContent = `showing ${rows.length} of ${entries.size}`;
  const empty = $('empty');
  empty.hidden = rows.length > 0;
  empty.textContent = entries.size
    ? 'No request matches the filters.'
    : `Waiting for deliveries at ${config.receiver || 'the receiver'}…`;
  refreshTotals();
}

function refreshTotals() {
  const n = { accepted: 0, drifted: 0, failed: 0 };
  for (const { e } of entries.values()) {
    if (e.verdict === 'accepted') n.accepted++;
    else if (e.verdict === 'drifted') n.drifted++;
    else if (e.verdict !== 'ignored') n.failed++;
  }
  $('totals').textContent = `${entries.size} requests · ${n.accepted} accepted · ${n.drifted} drifted · ${n.failed} failed`;
}

export function togglePin(id) {
  if (!entries.has(id)) return;
  const on = !pinned.has(id);
  if (on) pinned.add(id);
  else pinned.delete(id);
  const row = entries.get(id).row;
  row.classList.toggle('pinned', on);
  const button = row.querySelector('.pin-toggle');
  button.textContent = on ? '★' : '☆';
  button.setAttribute('aria-pressed', String(on));
  if (id === selectedId) showPin(on);
  refreshList();
}

export function showPin(on) {
  const pin = $('pin');
  pin.textContent = on ? '★ pinned' : '☆ pin';
  pin.setAttribute('aria-pressed', String(on));
  pin.classList.toggle('on', on);
}
