// The web view of `clinchpad-webhook listen --ui`: a live list of the requests the command
// sees, and the detail of one (summary, error, JSON tree, raw body, headers, the app's
// answer), with replay, edit-and-send, copy as curl, fixture download and a diff.
//
// Served under a strict Content-Security-Policy: no inline code, no eval. Every string that
// comes from a request reaches the DOM as text (textContent / text nodes / inert attributes),
// never as markup: bodies are written by whoever sent them.
'use strict';

(() => {
  // ---------------------------------------------------------------- small DOM helpers

  const $ = (id) => document.getElementById(id);

  /** An element. `props`: class, dataset, or plain attributes (only inert ones are ever
   *  given data). Children that are not nodes become text nodes: nothing parses markup. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value == null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    return add(node, children);
  }

  function add(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Replaces what `node` holds with `children`. */
  function fill(node, ...children) {
    node.replaceChildren();
    return add(node, children);
  }

  /** Sets a textarea's text so that both `.value` and `.textContent` read it back. */
  function setArea(area, text) {
    area.textContent = text;
    area.value = text;
  }

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  /** JSON.parse that says whether it could: { ok, value }. */
  function tryJSON(text) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (_) {
      return { ok: false, value: undefined };
    }
  }

  // ---------------------------------------------------------------- state

  // Unreadable when the file is opened without the command (placeholders left): empty view.
  const initial = tryJSON($('initial').textContent).value || {};
  const config = initial.config || {};
  const KEEP = config.keep > 0 ? config.keep : 500;

  /** id → { e: Entry, row: <li>, parsed: {ok, value} | undefined, hay: string | null } */
  const entries = new Map();
  const pinned = new Set();
  const typesSeen = new Set();
  let selectedId = null;
  let latestId = 0;

  const list = $('list');
  const narrow = window.matchMedia('(max-width: 699px)');

  /** The body read as JSON, once per entry. */
  function parsedBody(rec) {
    if (rec.parsed === undefined) {
      rec.parsed = typeof rec.e.body === 'string' ? tryJSON(rec.e.body) : { ok: false, value: undefined };
    }
    return rec.parsed;
  }

  // ---------------------------------------------------------------- formatting

  // verdict → [the word shown, its tone (colour class)]
  const VERDICTS = {
    accepted: ['accepted', 'ok'], drifted: ['accepted · drift', 'warn'], refused: ['refused', 'bad'],
    unstored: ['unstored', 'bad'], dropped: ['dropped', 'bad'], ignored: ['ignored', 'muted'],
  };

  function badge(verdict) {
    const [word, tone] = VERDICTS[verdict] || [String(verdict || '?'), 'muted'];
    return el('span', { class: `badge ${tone}`, dataset: { verdict: String(verdict) } }, word);
  }

  /** "key in body ✓", "key in query ✗ wrong", "no key", with a tone for its colour. A
   *  delivery read from the inbox says only whether its key was checked, never "no key". */
  function keyText(key, inbox) {
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
  function shortTime(raw) {
    const d = toDate(raw);
    if (!d) return String(raw == null ? '—' : raw);
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    if (d.toDateString() === new Date().toDateString()) return time;
    return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  }

  /** A <time> in the viewer's zone, the raw value on hover; the raw value when unreadable. */
  function timeNode(raw) {
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
  function shown(value) {
    if (value === undefined) return el('span', { class: 'muted' }, '—');
    if (value === null) return el('span', { class: 'j-null' }, 'null');
    if (typeof value === 'string') return value;
    if (isObject(value) && typeof value.name === 'string') {
      // A stage, pipe or user: its name, the rest on hover.
      return el('span', { title: JSON.stringify(value) }, value.name);
    }
    return el('span', { class: 'mono' }, JSON.stringify(value));
  }

  // ---------------------------------------------------------------- JSON paths

  const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

  /** A path as the command writes it: `activity.created_at`, `lead.extra[3]`, `lead["a.b"]`. */
  function writePath(segs) {
    let out = '';
    for (const seg of segs) {
      if (typeof seg === 'number') out += `[${seg}]`;
      else if (IDENT.test(seg)) out += (out ? '.' : '') + seg;
      else out += `[${JSON.stringify(seg)}]`;
    }
    return out;
  }

  /** Reads a path from the start of `text`: bare keys joined by `.`, `[n]` indexes, and
   *  `["json"]` keys. Stops at anything else (such as the `:` of a filter); returns the
   *  segments and where it stopped, or null when the text does not start with a path. */
  function readPath(text) {
    const segs = [];
    let i = 0;
    while (i < text.length) {
      const rest = text.slice(i);
      let m;
      if (rest[0] === '[' && rest[1] === '"') {
        let j = 2;
        while (j < rest.length && rest[j] !== '"') j += rest[j] === '\\' ? 2 : 1;
        const key = tryJSON(rest.slice(1, j + 1));
        if (rest[j + 1] !== ']' || !key.ok) return null;
        segs.push(key.value);
        i += j + 2;
      } else if ((m = /^\[(\d+)\]/.exec(rest))) {
        segs.push(Number(m[1]));
        i += m[0].length;
      } else if ((m = (segs.length ? /^\.([^.[\]:\s"]+)/ : /^([^.[\]:\s"]+)/).exec(rest))) {
        segs.push(m[1]);
        i += m[0].length;
      } else {
        break;
      }
    }
    return { segs, end: i };
  }

  /** The value at `segs` in `root`: { found, value }. */
  function valueAt(root, segs) {
    let at = root;
    for (const seg of segs) {
      const ok = typeof seg === 'number'
        ? Array.isArray(at) && seg < at.length
        : isObject(at) && Object.prototype.hasOwnProperty.call(at, seg);
      if (!ok) return { found: false };
      at = at[seg];
    }
    return { found: true, value: at };
  }

  // ---------------------------------------------------------------- the list

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
  function addEntry(e) {
    if (!e || typeof e.id !== 'number' || entries.has(e.id)) return false;
    const rec = { e, row: null, parsed: undefined, hay: null };
    rec.row = buildRow(rec);
    entries.set(e.id, rec);
    latestId = Math.max(latestId, e.id);
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
  function refreshList() {
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

  function togglePin(id) {
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

  function showPin(on) {
    const pin = $('pin');
    pin.textContent = on ? '★ pinned' : '☆ pin';
    pin.setAttribute('aria-pressed', String(on));
    pin.classList.toggle('on', on);
  }

  // ---------------------------------------------------------------- the detail

  function select(id) {
    const rec = entries.get(id);
    if (!rec || id === selectedId) return;
    for (const [r, on] of [[entries.get(selectedId), false], [rec, true]]) {
      if (!r) continue;
      r.row.classList.toggle('selected', on);
      r.row.setAttribute('aria-current', String(on));
    }
    selectedId = id;
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

  /** A delivery's state in the inbox, in words and colour: "pending · 2 attempts". */
  function inboxTag(inbox) {
    if (!isObject(inbox)) return null;
    const tone = { done: 'ok', dead: 'bad', pending: 'warn', running: 'warn' }[inbox.state] || 'muted';
    const tries = inbox.attempts === 1 ? '1 attempt' : `${inbox.attempts} attempts`;
    const words = `${inbox.state} · ${tries}${inbox.conflict_of != null ? ' · conflict' : ''}`;
    return el('span', { class: `badge ${tone} inbox-state`, title: inbox.last_error || '' }, words);
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

  /** An answer from an app: where, status, time, body or error. Text only. */
  function answerView(a, label) {
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

  // ---------------------------------------------------------------- body: tree and raw

  /** Fills #tree and #raw; returns the tree node to highlight for the error, if any. */
  function renderBody(rec) {
    const e = rec.e;
    const tree = $('tree');
    $('raw').textContent = e.body == null ? '' : e.body;
    const meta = [];
    if (e.body_length != null) meta.push(`${e.body_length} bytes`);
    if (e.body_withheld) meta.push(`not kept: ${e.body_withheld}`);
    $('body-meta').textContent = meta.join(' · ');
    if (e.body == null) {
      fill(tree, el('p', { class: 'note' }, e.body_withheld ? `The body was not kept: ${e.body_withheld}.` : 'No body was read.'));
      return null;
    }
    const p = parsedBody(rec);
    if (!p.ok) {
      fill(tree, el('p', { class: 'note' }, 'The body is not JSON: see the raw text below.'));
      return null;
    }
    // The error's place: the node at its path, or the deepest one that exists (a member
    // that is missing points at the object it is missing from).
    const target = e.error && e.error.path != null ? readPath(e.error.path) : null;
    const ctx = { target: target && target.end === e.error.path.length ? target.segs : null, best: null, bestLen: -1, count: 0 };
    fill(tree, jsonNode(null, p.value, [], 0, ctx));
    if (ctx.best) {
      ctx.best.classList.add('error-node');
      if (ctx.bestLen < ctx.target.length) ctx.best.classList.add('error-near');
      ctx.best.title = ctx.bestLen < ctx.target.length
        ? `the error is at ${e.error.path}, which is not in the body: this is where it would be`
        : e.error.message || 'the error is here';
    }
    return ctx.best;
  }

  /** One value of the tree. Objects and arrays are <details>, open up to a depth (all of a
   *  small body). Each node carries its path in data-path. */
  function jsonNode(key, value, segs, depth, ctx) {
    ctx.count++;
    const label = key === null ? null
      : typeof key === 'number' ? el('span', { class: 'j-index' }, `${key}: `)
      : el('span', { class: 'j-key' }, IDENT.test(key) ? key : JSON.stringify(key), ': ');
    let node;
    const container = value !== null && typeof value === 'object';
    const keys = container ? (Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)) : [];
    if (!container || keys.length === 0) {
      node = el('div', { class: 'j-leaf' }, label, scalar(value));
    } else {
      const arr = Array.isArray(value);
      node = el('details', { class: 'j-node' },
        el('summary', null, label, el('span', { class: 'j-brace' }, arr ? '[' : '{'),
          el('span', { class: 'j-count' }, ` ${keys.length} ${arr ? (keys.length === 1 ? 'item' : 'items') : (keys.length === 1 ? 'key' : 'keys')} `),
          el('span', { class: 'j-brace' }, arr ? ']' : '}')));
      node.open = depth < 3 || ctx.count < 150;
      const kids = el('div', { class: 'j-kids' });
      for (const k of keys) kids.appendChild(jsonNode(k, value[k], segs.concat([k]), depth + 1, ctx));
      node.appendChild(kids);
    }
    node.dataset.path = writePath(segs);
    if (ctx.target && segs.length > ctx.bestLen && segs.length <= ctx.target.length
        && segs.every((s, i) => s === ctx.target[i])) {
      ctx.best = node;
      ctx.bestLen = segs.length;
    }
    return node;
  }

  function scalar(value) {
    if (Array.isArray(value)) return el('span', { class: 'j-brace' }, '[]');
    if (value !== null && typeof value === 'object') return el('span', { class: 'j-brace' }, '{}');
    if (typeof value === 'string') return el('span', { class: 'j-str' }, JSON.stringify(value));
    if (typeof value === 'number') return el('span', { class: 'j-num' }, String(value));
    if (typeof value === 'boolean') return el('span', { class: 'j-bool' }, String(value));
    return el('span', { class: 'j-null' }, 'null');
  }

  /** Opens the node's parents and scrolls it into view: inside the tree's own box only
   *  (so the summary stays in sight), or the whole pane when asked. */
  function revealInTree(node, whole) {
    for (let p = node.parentElement; p && p.id !== 'tree'; p = p.parentElement) {
      if (p.tagName === 'DETAILS') p.open = true;
    }
    if (node.tagName === 'DETAILS') node.open = true;
    const tree = $('tree');
    const target = node.tagName === 'DETAILS' ? node.firstElementChild : node;
    const offset = target.getBoundingClientRect().top - tree.getBoundingClientRect().top;
    tree.scrollTop += offset - tree.clientHeight / 3;
    if (whole) {
      target.scrollIntoView({ block: 'center' });
      node.classList.remove('flash');
      void node.offsetWidth; // restart the animation
      node.classList.add('flash');
    }
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

  // ---------------------------------------------------------------- actions

  /** The targets listen was started with: the page sends nowhere else. */
  function setupTargets() {
    const targets = Array.isArray(config.targets) ? config.targets : [];
    fill($('replay-target'), targets.map((t) =>
      el('option', { value: String(t.id) }, `${t.name} (${t.url})`)));
  }

  /** What "Replay as it came" sends, in words: the key as the request had it. */
  function replayWords(e) {
    const key = (e.replay || {}).key;
    const check = (e.key || {}).check;
    let words;
    if (key === 'configured') words = 'with the configured key, where the request had its key (it matched)';
    else if (key === 'wrong') words = 'with a wrong key, expect 401';
    else if (check === 'missing') words = 'without a key, as it had none: expect 401';
    else if (config.verified) words = 'without a key (its key was not checked here): expect 401 where keys are checked';
    else words = 'without a key (listen checks none)';
    let text = `Replay sends it as it came: ${words}.`;
    if ((e.replay || {}).as_clinchpad) {
      text += ' Send as ClinchPad would: signed with the configured key, in the body.';
    }
    return text;
  }

  function renderActions(rec) {
    const e = rec.e;
    const p = parsedBody(rec);
    setArea($('edit-body'), p.ok ? JSON.stringify(p.value, null, 2) : (e.body || ''));
    setArea($('curl-text'), curlFor(rec));
    $('copy-note').textContent = '';
    $('send-result').replaceChildren();
    setBusy(false);
    $('replay-key').textContent = replayWords(e);
    $('clinchpad-send').hidden = !(e.replay || {}).as_clinchpad;
    const link = $('download-fixture');
    const kept = e.body != null;
    if (kept) link.href = `/api/deliveries/${encodeURIComponent(e.id)}/fixture`;
    else link.removeAttribute('href');
    link.classList.toggle('disabled', !kept);
    link.setAttribute('aria-disabled', String(!kept));
    link.title = kept ? 'the body without its key, as a fixture file' : 'this request’s body was not kept';
  }

  /** Disables the send buttons while sending; Replay also when there is no body to send
   *  (an edited one can still be). */
  function setBusy(busy) {
    const rec = entries.get(selectedId);
    const replay = $('replay-button');
    replay.disabled = busy || !rec || rec.e.body == null;
    replay.title = rec && rec.e.body == null ? 'the body was not kept: nothing to replay' : '';
    $('clinchpad-send').disabled = replay.disabled;
    $('edit-send').disabled = busy;
  }

  /** Asks the command to send the selected request as it came (with the edited body when
   *  `edited`), or as ClinchPad would (`asClinchpad`: offered only where its key matched). */
  async function send(edited, asClinchpad) {
    const rec = entries.get(selectedId);
    if (!rec) return;
    const asked = { id: rec.e.id, to: $('replay-target').value };
    const result = $('send-result');
    const label = asClinchpad ? `#${rec.e.id} as ClinchPad would`
      : `${edited ? 'edited' : 'replay of'} #${rec.e.id}`;
    if (edited) asked.body = $('edit-body').value;
    if (asClinchpad) asked.as_clinchpad = true;
    setBusy(true);
    fill(result, el('p', { class: 'muted' }, `${label}: sending…`));
    try {
      const res = await fetch('/api/send', {
        method: 'POST',
        headers: { 'X-Clinchpad-Page': '1', 'Content-Type': 'application/json' },
        body: JSON.stringify(asked),
        cache: 'no-store',
      });
      const data = tryJSON(await res.text()).value; // not JSON: the status says enough
      if (!res.ok || !data) {
        const why = data && data.error ? data.error : res.statusText || 'no answer';
        fill(result, el('p', { class: 'err-msg' }, `${label}: not sent (${res.status}): ${why}`));
      } else {
        fill(result, answerView(data, label));
      }
    } catch (err) {
      fill(result, el('p', { class: 'err-msg' }, `${label}: could not reach the command: ${err.message}`));
    } finally {
      setBusy(false);
    }
  }

  const KEY_VAR = '$CLINCHPAD_HANDSHAKE_KEY';
  /** Single-quoted for the shell: nothing in it expands. */
  const sq = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  /** The inside of a double-quoted shell word: escapes what would expand. */
  const dqInner = (s) => s.replace(/[\\"$`]/g, '\\$&');

  /** The request as a curl command, as it came, as the page's replay sends it: the key
   *  taken from $CLINCHPAD_HANDSHAKE_KEY where it had its key and it matched, a wrong key
   *  where it had a wrong one, none where it had none. */
  function curlFor(rec) {
    const e = rec.e;
    const p = parsedBody(rec);
    const base = config.receiver || 'http://127.0.0.1:8080/';
    let url = e.query ? `${base}${base.includes('?') ? '&' : '?'}${e.query}` : base;
    const key = e.key || {};
    const resent = (e.replay || {}).key;
    const hasKey = resent === 'configured' || resent === 'wrong';
    // What stands for the key: the variable, double-quoted so that the shell expands it, or
    // the wrong key, a bare word of letters, digits and dashes.
    const keyWord = resent === 'wrong'
      ? String(config.wrong_key || 'wrong').replace(/[^A-Za-z0-9_-]/g, '')
      : `"${KEY_VAR}"`;
    const wantBody = hasKey && (key.in_body || !key.in_query);
    const canBody = e.body != null && p.ok && isObject(p.value);
    // A body that is not a JSON object cannot hold the key: the query carries it then.
    const inQuery = hasKey && (key.in_query || (wantBody && !canBody));
    let data = null;
    if (e.body != null) {
      data = sq(e.body);
      if (wantBody && canBody) {
        // Insert the member before the last `}`; the key sits outside the single quotes
        // (…"handshake_key": "'"$VAR"'"…) so that the shell expands it.
        const text = e.body;
        let cut = text.lastIndexOf('}');
        while (cut > 0 && /\s/.test(text[cut - 1])) cut--;
        const multiline = text.includes('\n');
        const sep = Object.keys(p.value).length ? (multiline ? ',\n  ' : ', ') : '';
        const head = `${text.slice(0, cut)}${sep}"handshake_key": "`;
        data = `${sq(head)}${keyWord}${sq(`"${text.slice(cut)}`)}`;
      }
    }
    const urlArg = inQuery
      ? `"${dqInner(`${url}${url.includes('?') ? '&' : '?'}handshake_key=`)}"${keyWord}`
      : sq(url);
    const lines = [`curl -X POST ${urlArg}`, `-H 'Content-Type: application/json'`];
    if (data !== null) lines.push(`--data-binary ${data}`);
    return lines.join(' \\\n  ');
  }

  async function copyCurl() {
    const rec = entries.get(selectedId);
    if (!rec) return;
    const area = $('curl-text');
    setArea(area, curlFor(rec));
    const note = $('copy-note');
    note.textContent = '';
    try {
      if (!navigator.clipboard || !navigator.clipboard.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(area.value);
      note.textContent = 'copied — set CLINCHPAD_HANDSHAKE_KEY in the shell first';
    } catch (_) {
      // No clipboard here (plain http off loopback, or refused): leave it selected.
      area.focus();
      area.select();
      note.textContent = 'selected below: copy it with the keyboard';
    }
  }

  // ---------------------------------------------------------------- diff

  /** The body as path → JSON text of each leaf (empty objects and arrays are leaves). */
  function flatten(value, segs, out) {
    const container = value !== null && typeof value === 'object';
    const keys = container ? (Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)) : [];
    if (!keys.length) out.set(writePath(segs), JSON.stringify(value));
    for (const k of keys) flatten(value[k], segs.concat([k]), out);
    return out;
  }

  function renderDiff(rec) {
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

  // ---------------------------------------------------------------- live updates

  function setConn(state) {
    const conn = $('conn');
    conn.className = `conn ${state}`;
    conn.textContent = { live: 'live', reconnecting: 'reconnecting…', offline: 'offline' }[state];
    conn.title = state === 'offline' ? 'the event stream closed: reload the page to reconnect' : '';
  }

  function connect() {
    if (typeof EventSource === 'undefined') {
      setConn('offline');
      return;
    }
    // `after`: the page already holds what it was served with; on a reconnection the
    // browser's Last-Event-ID tells the server where it stopped.
    const source = new EventSource(`/events?after=${latestId}`);
    source.addEventListener('open', () => setConn('live'));
    source.addEventListener('error', () => {
      setConn(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
    });
    source.addEventListener('delivery', (event) => {
      const entry = tryJSON(event.data).value;
      if (!addEntry(entry)) return;
      entries.get(entry.id).row.classList.add('fresh'); // a short highlight (CSS)
      refreshList();
    });
  }

  // ---------------------------------------------------------------- wiring

  list.addEventListener('click', (event) => {
    const row = event.target.closest('.row');
    if (!row) return;
    const id = Number(row.dataset.id);
    if (event.target.closest('.pin-toggle')) togglePin(id);
    else select(id);
  });

  list.addEventListener('keydown', (event) => {
    const row = event.target.closest('.row');
    if (!row || event.target !== row) return; // the pin button handles its own keys
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(Number(row.dataset.id));
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next) {
        next.focus();
        select(Number(next.dataset.id));
      }
    }
  });

  list.addEventListener('animationend', (event) => {
    if (event.target.classList) event.target.classList.remove('fresh');
  });

  document.addEventListener('keydown', (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (event.key === '/' && !typing) {
      event.preventDefault();
      $('filter-text').focus();
    }
  });

  $('pin').addEventListener('click', () => togglePin(selectedId));
  $('filter-type').addEventListener('change', refreshList);
  $('filter-verdict').addEventListener('change', refreshList);
  // `change` too: a field cleared by a script or WebDriver may fire only that.
  $('filter-text').addEventListener('input', refreshList);
  $('filter-text').addEventListener('change', refreshList);
  $('replay-button').addEventListener('click', () => send(false, false));
  $('clinchpad-send').addEventListener('click', () => send(false, true));
  $('edit-send').addEventListener('click', () => send(true, false));
  $('copy-curl').addEventListener('click', copyCurl);
  $('detail').addEventListener('click', (event) => {
    const go = event.target.closest('[data-go]');
    if (go) {
      const id = Number(go.dataset.go);
      if (entries.has(id)) {
        select(id);
        entries.get(id).row.scrollIntoView({ block: 'nearest' });
      }
    } else if (event.target.closest('#show-in-tree')) {
      const node = $('tree').querySelector('.error-node');
      if (node) revealInTree(node, true);
    }
  });

  // ---------------------------------------------------------------- start

  $('receiver').textContent = config.receiver || '';
  $('forward').hidden = !config.forward;
  $('forward').textContent = config.forward ? `→ ${config.forward}` : '';
  // Only what is out of the ordinary is shown: no key check, or --strict.
  const mode = [config.verified === false ? 'unverified: no key check' : null, config.strict ? 'strict' : null];
  $('mode').textContent = mode.filter(Boolean).join(' · ');
  $('mode').hidden = !$('mode').textContent;
  if (config.version) document.querySelector('h1').title = `version ${config.version}`;

  setupTargets();
  for (const entry of Array.isArray(initial.entries) ? initial.entries : []) addEntry(entry);
  refreshList();
  connect();
})();
