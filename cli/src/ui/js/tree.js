// The body: its JSON as a tree, with the error's place marked, and its raw text.

import { $, el, fill } from './dom.js';
import { IDENT, readPath, writePath } from './paths.js';
import { parsedBody } from './state.js';

/** Fills #tree and #raw; returns the tree node to highlight for the error, if any. */
export function renderBody(rec) {
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
export function revealInTree(node, whole) {
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
