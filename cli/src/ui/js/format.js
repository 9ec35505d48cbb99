// How values are shown: verdicts, keys, times, JSON values, the inbox's state, an app's answer.

import { el, isObject } from './dom.js';

// verdict → [the word shown, its tone (colour class)]
const VERDICTS = {
  accepted: ['accepted', 'ok'], drifted: ['accepted · drift', 'warn'], refused: ['refused', 'bad'],
  unstored: ['unstored', 'bad'], dropped: ['dropped', 'bad'], ignored: ['ignored', 'muted'],
};

export function badge(verdict) {
  const [word, tone] = VERDICTS[verdict] || [String(verdict || '?'), 'muted'];
  return el('span', { class: `badge ${tone}`, dataset: { verdict: String(verdict) } }, word);
}

/** "key in body ✓", "key in query ✗ wrong", "no key", with a tone for its colour. A
 *  delivery read from the inbox says only whether its key was checked, never "no key". */
export function keyText(key, inbox) {
  if (!key) return ['key ?', 'muted'];
  const place = key.in_body && key.in_query ? 'body and query'
    : key.in_body ? 'body' : key.in_query ? 'query' : '';
  if (!place && isObject(inbox)) {
    if (inbox.verified === true) return ['key checked ✓', 'ok'];
    if (inbox.verified === false) return ['key not checked', 'warn'];
    return ['key check not recorded', 'muted'];
  }
  if (!place) return ['no key', key.check === 'missing' ? 'bad' : 'muted'];
  const mark = {
    matched: ['✓', 'ok'], wrong: ['✗ wrong', 'bad'], missing: ['✗ missing', 'bad'],
    unchecked: ['(unchecked)', 'muted'],
  }[key.check] || [String(key.check || ''), 'muted'];
  return [`key in ${place} ${mark[0]}`, mark[1]];
}

const toDate = (raw) => {
  if (typeof raw !== 'string') return null;
  const d = new Date(raw);
  return isNaN(d.getTime()) ? null : d;
};

/** The list's time: hh:mm:ss in the viewer's zone, with the date when not today. */
export function shortTime(raw) {
  const d = toDate(raw);
  if (!d) return String(raw == null ? '—' : raw);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** A <time> in the viewer's zone, the raw value on hover; the raw value when unreadable. */
export function timeNode(raw) {
  if (raw == null) return el('span', { class: 'muted' }, '—');
  const d = toDate(raw);
  const rawText = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (!d) return el('span', { class: 'mono', title: 'not a date the page can read' }, rawText);
  const local = d.toLocaleString([], {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  });
  return el('time', { datetime: d.toISOString(), title: rawText }, local);
}

/** A JSON value in a summary: strings as they are, the rest as compact JSON. */
export function shown(value) {
  if (value === undefined) return el('span', { class: 'muted' }, '—');
  if (value === null) return el('span', { class: 'j-null' }, 'null');
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.name === 'string') {
    // A stage, pipe or user: its name, the rest on hover.
    return el('span', { title: JSON.stringify(value) }, value.name);
  }
  return el('span', { class: 'mono' }, JSON.stringify(value));
}

/** A delivery's state in the inbox, in words and colour: "pending · 2 attempts". */
export function inboxTag(inbox) {
  if (!isObject(inbox)) return null;
  const tone = { done: 'ok', dead: 'bad', pending: 'warn', running: 'warn' }[inbox.state] || 'muted';
  const tries = inbox.attempts === 1 ? '1 attempt' : `${inbox.attempts} attempts`;
  const words = `${inbox.state} · ${tries}${inbox.conflict_of != null ? ' · conflict' : ''}`;
  return el('span', { class: `badge ${tone} inbox-state`, title: inbox.last_error || '' }, words);
}

/** An answer from an app: where, status, time, body or error. Text only. */
export function answerView(a, label) {
  const ok = a.status >= 200 && a.status < 300;
  return el('div', { class: 'answer' },
    el('p', { class: 'answer-line' },
      label ? el('span', { class: 'muted' }, `${label} `) : null,
      a.url ? el('code', null, `→ ${a.url}`) : null,
      el('span', { class: `badge ${ok ? 'ok' : 'bad'}` }, a.status == null ? 'no answer' : `status ${a.status}`),
      typeof a.ms === 'number' ? el('span', { class: 'muted' }, `${a.ms} ms`) : null),
    a.error ? el('p', { class: 'err-msg' }, a.error) : null,
    a.body != null && a.body !== '' ? el('pre', { class: 'answer-body' }, a.body)
      : el('p', { class: 'muted' }, a.status == null ? '' : '(empty body)'));
}
