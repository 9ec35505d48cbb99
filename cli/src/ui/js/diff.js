// The diff of a body with the previous delivery of the same lead.

import { $, el, fill } from './dom.js';
import { timeNode } from './format.js';
import { writePath } from './paths.js';
import { entries, parsedBody } from './state.js';

/** The body as path → JSON text of each leaf (empty objects and arrays are leaves). */
function flatten(value, segs, out) {
  const container = value !== null && typeof value === 'object';
  const keys = container ? (Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)) : [];
  if (!keys.length) out.set(writePath(segs), JSON.stringify(value));
  for (const k of keys) flatten(value[k], segs.concat([k]), out);
  return out;
}

export function renderDiff(rec) {
  const e = rec.e;
  const box = $('diff');
  let prev = null;
  if (e.lead_id != null) {
    for (const other of entries.values()) {
      if (other.e.lead_id === e.lead_id && other.e.id < e.id && (!prev || other.e.id > prev.e.id)) prev = other;
    }
  }
  if (!prev) {
    fill(box, el('p', { class: 'muted' }, 'no earlier delivery of this lead'));
    return;
  }
  const head = el('p', null, 'against ',
    el('button', { type: 'button', class: 'link', dataset: { go: String(prev.e.id) } }, `#${prev.e.id}`),
    el('span', { class: 'muted' }, ` ${prev.e.activity_type || ''} · received `), timeNode(prev.e.received_at));
  const a = parsedBody(prev);
  const b = parsedBody(rec);
  if (!a.ok || !b.ok) {
    fill(box, head, el('p', { class: 'note' }, prev.e.body === e.body
      ? 'The bodies are the same text.'
      : 'One of the bodies is not JSON (or was not kept): they differ as text.'));
    return;
  }
  const before = flatten(a.value, [], new Map());
  const after = flatten(b.value, [], new Map());
  const rows = [];
  for (const [path, value] of after) {
    if (!before.has(path)) rows.push(['added', '+', path, value]);
    else if (before.get(path) !== value) rows.push(['changed', '~', path, `${before.get(path)} → ${value}`]);
  }
  for (const [path, value] of before) {
    if (!after.has(path)) rows.push(['removed', '−', path, value]);
  }
  const counts = ['changed', 'added', 'removed'].map((k) => `${rows.filter((r) => r[0] === k).length} ${k}`).join(', ');
  fill(box, head, rows.length
    ? [el('p', { class: 'muted' }, counts),
      el('table', { class: 'diff-table' }, el('tbody', null, rows.map(([kind, mark, path, text]) =>
        el('tr', { class: kind },
          el('td', { class: 'mark', title: kind }, mark),
          el('td', { class: 'mono path' }, path || '(the whole body)'),
          el('td', { class: 'mono' }, text)))))]
    : el('p', { class: 'muted' }, 'no difference in the body'));
}
