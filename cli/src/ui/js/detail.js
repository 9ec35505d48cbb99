// The detail of the selected request: its summary, error, the app's answer, the request itself.

import { $, el, fill, isObject } from './dom.js';
import { renderActions } from './actions.js';
import { renderDiff } from './diff.js';
import { answerView, badge, inboxTag, keyText, shown, timeNode } from './format.js';
import { showPin } from './list.js';
import { config, entries, narrow, parsedBody, pinned, selectedId, setSelectedId } from './state.js';
import { renderBody, revealInTree } from './tree.js';

export function select(id) {
  const rec = entries.get(id);
  if (!rec || id === selectedId) return;
  for (const [r, on] of [[entries.get(selectedId), false], [rec, true]]) {
    if (!r) continue;
    r.row.classList.toggle('selected', on);
    r.row.setAttribute('aria-current', String(on));
  }
  setSelectedId(id);
  renderDetail(rec);
}

function renderDetail(rec) {
  const e = rec.e;
  $('placeholder').hidden = true;
  const detail = $('detail');
  detail.hidden = false;
  fill($('detail-title'), el('span', { class: 'muted' }, `#${e.id} `),
    `${e.method || ''} ${e.path || ''}${e.query ? '?' + e.query : ''}`);
  showPin(pinned.has(e.id));
  renderSummary(rec);
  renderForwarded(e);
  const errorNode = renderBody(rec);
  renderRequest(e);
  renderActions(rec);
  renderDiff(rec);
  detail.parentElement.scrollTop = 0;
  if (narrow.matches) detail.scrollIntoView({ block: 'start' });
  if (errorNode) revealInTree(errorNode, false);
}

/** A two-column table of label → value. Rows whose value is undefined are left out. */
function kvTable(rows, cls) {
  return el('table', { class: `kv ${cls || ''}` },
    el('tbody', null, rows.filter(([, v]) => v !== undefined).map(([k, v]) =>
      el('tr', null, el('th', { scope: 'row' }, k), el('td', null, v)))));
}

function renderSummary(rec) {
  const e = rec.e;
  const root = $('summary');
  // What the typed read gave; else what the raw body says (a drifted or refused body).
  let info = e.typed;
  const loose = !info;
  if (loose) {
    const p = parsedBody(rec);
    const act = p.ok && isObject(p.value) && isObject(p.value.activity) ? p.value.activity : {};
    info = {
      type: act.type, id: act._id, created_at: act.created_at, user: act.user,
      lead: p.ok && isObject(p.value) ? p.value.lead : undefined, fields: null,
    };
  }
  const verdictLine = el('p', { class: 'verdict-line' }, badge(e.verdict),
    el('span', { class: 'status' }, `status ${e.status == null ? '—' : e.status}`),
    e.stored ? el('span', { class: 'tag' }, `inbox: ${e.stored}`) : null,
    e.source && e.source !== 'live' ? el('span', { class: 'tag' }, `from --${e.source === 'saved' ? 'save' : 'store'}`) : null);

  const type = info.type != null ? info.type : e.activity_type;
  const activity = kvTable([
    ['type', el('span', null, el('code', null, type == null ? '—' : String(type)),
      info.description ? el('span', { class: 'muted' }, ` — ${info.description}`) : null)],
    ['activity id', shown(info.id != null ? info.id : e.activity_id)],
    ['created', timeNode(info.created_at)],
    ['received', timeNode(e.received_at)],
    ['user', userNode(info.user, e.user)],
  ]);

  const lead = isObject(info.lead) ? info.lead : null;
  const leadRows = lead ? leadMembers(lead) : [['name', shown(e.lead == null ? undefined : e.lead)]];

  const blocks = [
    el('div', { class: 'block' }, el('h4', null, 'Activity'), activity),
    el('div', { class: 'block' }, el('h4', null, 'Lead'), kvTable(leadRows)),
  ];
  if (isObject(e.inbox)) {
    const inbox = e.inbox;
    blocks.unshift(el('div', { class: 'block', id: 'inbox-info' }, el('h4', null, 'In the inbox'), kvTable([
      ['state', inboxTag(inbox)],
      ['attempts', String(inbox.attempts)],
      ['last error', shown(inbox.last_error == null ? undefined : inbox.last_error)],
      ['key', keyText(e.key, inbox)[0]],
      inbox.conflict_of != null
        ? ['conflicts with', el('span', null, el('code', null, String(inbox.conflict_of)), ' — the same id came before with another body')]
        : null,
    ].filter(Boolean))));
  }
  const names = isObject(info.fields) ? Object.keys(info.fields) : [];
  if (names.length) {
    blocks.push(el('div', { class: 'block' }, el('h4', null, 'Fields of this type'),
      kvTable(names.map((n) => [n, shown(info.fields[n])]), 'fields')));
  }
  fill(root, verdictLine, e.error ? errorCard(rec) : null, el('div', { class: 'blocks' }, blocks),
    isObject(info.fields) && !names.length ? el('p', { class: 'note' }, 'This type has no fields of its own.') : null,
    loose && e.body != null
      ? el('p', { class: 'note' }, 'Not read fully typed: the summary shows what the raw body holds.')
      : null);
}

/** The error: kind and message, where in the body (path, line, column), and the
 *  offending line with a caret under the column. */
function errorCard(rec) {
  const err = rec.e.error;
  const where = [];
  if (err.path != null) {
    where.push('at ', el('code', { class: 'err-path' }, err.path === '' ? '(the whole body)' : err.path), ' ');
  }
  if (err.line != null) where.push(`line ${err.line}, column ${err.column == null ? '?' : err.column} `);
  const canShow = err.path != null && parsedBody(rec).ok;
  return el('section', { id: 'error-info', class: 'card error-card' },
    el('p', { class: 'err-msg' }, el('span', { class: 'tag' }, err.kind || 'error'), ' ', err.message || ''),
    where.length ? el('p', { class: 'err-where' }, where,
      canShow ? el('button', { type: 'button', id: 'show-in-tree', class: 'link' }, 'show in tree') : null) : null,
    err.caret ? el('pre', { id: 'caret', class: 'caret' }, err.caret) : null);
}

function userNode(user, fallback) {
  if (!isObject(user)) return user === undefined ? shown(fallback == null ? undefined : fallback) : shown(user);
  const parts = [user.name != null ? shown(user.name) : el('span', { class: 'muted' }, '(no name)')];
  if (user.email != null) parts.push(el('span', { class: 'muted' }, ` <${user.email}>`));
  if (user._id != null) parts.push(el('span', { class: 'muted mono' }, ` ${user._id}`));
  return el('span', null, parts);
}

/** The lead's members, the usual ones first; stage and pipe by name (id on hover). */
function leadMembers(lead) {
  const first = ['name', '_id', 'size', 'stage', 'pipe'];
  const names = first.filter((n) => n in lead).concat(Object.keys(lead).filter((n) => !first.includes(n)));
  return names.map((n) => [n === '_id' ? 'id' : n, n === 'user' ? userNode(lead[n]) : shown(lead[n])]);
}

function renderForwarded(e) {
  const f = e.forwarded;
  $('sec-forwarded').hidden = !f;
  const box = $('forwarded');
  if (!f) {
    box.replaceChildren();
    return;
  }
  fill(box, answerView({ url: config.forward, status: f.status, ms: f.ms, body: f.body, error: f.error }));
}

function renderRequest(e) {
  fill($('request-line'),
    el('span', { class: 'method' }, e.method || '?'), ' ', e.path || '',
    e.query ? el('span', { class: 'muted' }, `?${e.query}`) : null,
    el('span', { class: 'muted' }, '  received '), timeNode(e.received_at));
  const headers = Array.isArray(e.headers) ? e.headers : [];
  fill($('headers'),
    el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'header'), el('th', { scope: 'col' }, 'value'))),
    el('tbody', null, headers.length
      ? headers.map(([name, value]) => el('tr', null, el('th', { scope: 'row' }, name), el('td', null, value)))
      : el('tr', null, el('td', { colspan: '2', class: 'muted' }, 'no headers kept'))));
}
