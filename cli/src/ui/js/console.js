// The inbox's console: the deliveries by state, the oldest pending one's age and the pauses,
// a live list by filter (state, type, lead, text in the last error, received between), and
// retry, purge, pause and resume. It reads the command's API every two seconds.
//
// As on the requests' page, every string from the inbox reaches the DOM as text, never as
// markup; what changes the inbox is posted as JSON with the page's own header, and a bulk
// change is counted (a dry run) and confirmed before it is made.

import { $, el, fill, tryJSON } from './dom.js';

const initial = tryJSON($('initial').textContent).value || {};
const config = initial.config || {};
const EVERY_MS = 2000;
const LIMIT = 200;

if (!config.console_only) $('to-requests').hidden = false;

// ---------------------------------------------------------------- the API

async function read(path) {
  const answer = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.error || `${answer.status}`);
  return body;
}

async function change(path, asked) {
  const answer = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-clinchpad-page': '1' },
    body: JSON.stringify(asked),
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.error || `${answer.status}`);
  return body;
}

// ---------------------------------------------------------------- the filter

/** Milliseconds since the epoch from a datetime-local input, read as UTC. */
function utc(input) {
  if (!input.value) return null;
  const ms = Date.parse(`${input.value}Z`);
  return Number.isFinite(ms) ? ms : null;
}

function filter() {
  const f = { states: [], types: [] };
  if ($('f-state').value) f.states.push($('f-state').value);
  if ($('f-type').value) f.types.push($('f-type').value);
  if ($('f-lead').value.trim()) f.lead = $('f-lead').value.trim();
  if ($('f-error').value.trim()) f.error = $('f-error').value.trim();
  const since = utc($('f-since'));
  const until = utc($('f-until'));
  if (since !== null) f.since = since;
  if (until !== null) f.until = until;
  return f;
}

function query(f) {
  const q = new URLSearchParams();
  for (const s of f.states) q.append('state', s);
  for (const t of f.types) q.append('type', t);
  for (const name of ['lead', 'error', 'since', 'until']) {
    if (f[name] !== undefined) q.set(name, String(f[name]));
  }
  q.set('limit', String(LIMIT));
  return q.toString();
}

// ---------------------------------------------------------------- showing

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function when(ms) {
  if (typeof ms !== 'number') return '';
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? String(ms) : at.toISOString().replace('T', ' ').slice(0, 19);
}

function age(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

let typesListed = false;

function showStats(stats) {
  for (const state of ['pending', 'running', 'done', 'dead']) {
    $(`n-${state}`).textContent = String(stats[state] ?? '–');
  }
  $('oldest').textContent = typeof stats.oldest_pending_age_ms === 'number'
    ? `the oldest pending was received ${age(stats.oldest_pending_age_ms)} ago`
    : 'nothing pending';
  const paused = Array.isArray(stats.paused) ? stats.paused : [];
  $('paused').textContent = paused.length === 0
    ? 'nothing paused'
    : `paused: ${paused.map((p) => (p.all ? 'every delivery' : String(p.type))).join(', ')}`;
  $('paused').classList.toggle('warn', paused.length > 0);
  if (!typesListed && Array.isArray(stats.types)) {
    typesListed = true;
    for (const select of [$('f-type'), $('pause-type')]) {
      for (const t of stats.types) select.appendChild(el('option', { value: String(t) }, String(t)));
    }
  }
}

function showRows(listed) {
  const entries = Array.isArray(listed.entries) ? listed.entries : [];
  fill($('rows'), entries.map((e) => el('tr', { class: `delivery ${String(e.state)}`, dataset: { id: String(e.id) } },
    el('td', { class: 'mono' }, when(e.received_at)),
    el('td', { class: `state ${String(e.state)}` }, String(e.state)),
    el('td', { class: 'num' }, String(e.attempts)),
    el('td', { class: 'mono' }, e.state === 'pending' ? when(e.next_attempt_at) : ''),
    el('td', null, e.type ? `${e.type}${e.typed ? '' : ' (drifted)'}` : '? (drifted)'),
    el('td', { class: 'mono' }, String(e.id)),
    el('td', { class: 'mono' }, e.lead || '–'),
    el('td', { class: 'error' }, e.conflict_of ? `conflicts with ${e.conflict_of}; ${e.last_error || ''}` : (e.last_error || '')),
  )));
  $('empty').hidden = entries.length > 0;
  const total = typeof listed.total === 'number' ? listed.total : entries.length;
  $('matching').textContent = total > entries.length
    ? `${plural(total, 'delivery matches', 'deliveries match')}; the latest ${entries.length} shown`
    : plural(total, 'delivery matches', 'deliveries match');
}

function connected(ok, why) {
  const conn = $('conn');
  conn.className = `conn ${ok ? 'live' : 'down'}`;
  conn.textContent = ok ? 'live' : `not reachable${why ? `: ${why}` : ''}`;
}

// ---------------------------------------------------------------- refreshing

let refreshing = false;
let again = false;

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const [stats, listed] = await Promise.all([
      read('/api/inbox/stats'),
      read(`/api/inbox/list?${query(filter())}`),
    ]);
    showStats(stats);
    showRows(listed);
    connected(true);
    $('updated').textContent = `updated ${when(Date.now())} UTC`;
  } catch (err) {
    connected(false, err.message);
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

// ---------------------------------------------------------------- changing

let pending = null;

function say(text) {
  $('said').textContent = text;
}

async function ask(kind) {
  const f = filter();
  say('');
  try {
    const counted = await change(`/api/inbox/${kind}`, { filter: f, dry_run: true });
    const n = counted.matched;
    if (n === 0) {
      say(kind === 'retry' ? 'no dead delivery matches (name a state to retry others)' : 'no done delivery matches (name dead to purge those)');
      return;
    }
    pending = { kind, filter: f };
    $('confirm-text').textContent = kind === 'retry'
      ? `Make ${plural(n, 'delivery', 'deliveries')} due again?`
      : `Remove ${plural(n, 'delivery', 'deliveries')} for good?`;
    $('confirm').hidden = false;
    $('confirm-yes').focus();
  } catch (err) {
    say(`not done: ${err.message}`);
  }
}

async function confirmed() {
  if (!pending) return;
  const { kind, filter: f } = pending;
  pending = null;
  $('confirm').hidden = true;
  try {
    const done = await change(`/api/inbox/${kind}`, { filter: f, dry_run: false });
    say(kind === 'retry'
      ? `${plural(done.retried, 'delivery', 'deliveries')} due again${done.spread_ms > 1000 ? `, spread over ${Math.round(done.spread_ms / 1000)}s` : ''}`
      : `${plural(done.removed, 'delivery', 'deliveries')} removed`);
  } catch (err) {
    say(`not done: ${err.message}`);
  }
  refresh();
}

async function pause(resume) {
  const type = $('pause-type').value || null;
  try {
    const done = await change(`/api/inbox/${resume ? 'resume' : 'pause'}`, { type });
    const what = type || 'every delivery';
    say(resume
      ? (done.changed ? `resumed: ${what}` : `${what} was not paused`)
      : (done.changed ? `paused: ${what}; deliveries are still stored` : `${what} was paused already`));
  } catch (err) {
    say(`not done: ${err.message}`);
  }
  refresh();
}

// ---------------------------------------------------------------- wiring

$('filters').addEventListener('submit', (event) => event.preventDefault());
for (const id of ['f-state', 'f-type', 'f-since', 'f-until']) $(id).addEventListener('change', refresh);
for (const id of ['f-lead', 'f-error']) {
  $(id).addEventListener('input', refresh);
  $(id).addEventListener('change', refresh);
}
for (const button of document.querySelectorAll('.count[data-state]')) {
  button.addEventListener('click', () => {
    $('f-state').value = button.dataset.state;
    refresh();
  });
}
$('retry').addEventListener('click', () => ask('retry'));
$('purge').addEventListener('click', () => ask('purge'));
$('confirm-yes').addEventListener('click', confirmed);
$('confirm-no').addEventListener('click', () => {
  pending = null;
  $('confirm').hidden = true;
  say('nothing changed');
});
$('pause').addEventListener('click', () => pause(false));
$('resume').addEventListener('click', () => pause(true));

refresh();
setInterval(refresh, EVERY_MS);
