// The web view of `clinchpad-webhook listen --ui`: a live list of the requests the command
// sees, and the detail of one (summary, error, JSON tree, raw body, headers, the app's
// answer), with replay, edit-and-send, copy as curl, fixture download and a diff.
//
// Served under a strict Content-Security-Policy: no inline code, no eval. Every string that
// comes from a request reaches the DOM as text (textContent / text nodes / inert attributes),
// never as markup: bodies are written by whoever sent them.
//
// This is the entry: it wires the page's controls and starts it. The rest is in ./js/, as
// ES modules (strict, and run once the page is read), served as they are written: no build.

import { copyCurl, send, setupTargets } from './js/actions.js';
import { select } from './js/detail.js';
import { $ } from './js/dom.js';
import { addEntry, refreshList, togglePin } from './js/list.js';
import { connect } from './js/live.js';
import { config, entries, initial, list, selectedId } from './js/state.js';
import { revealInTree } from './js/tree.js';

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

if (config.inbox) $('to-inbox').hidden = false;
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
