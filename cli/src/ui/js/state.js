// What the page holds: the command's settings, and the requests it has been given.

import { $, tryJSON } from './dom.js';

// Unreadable when the file is opened without the command (placeholders left): empty view.
export const initial = tryJSON($('initial').textContent).value || {};
export const config = initial.config || {};
export const KEEP = config.keep > 0 ? config.keep : 500;

/** id → { e: Entry, row: <li>, parsed: {ok, value} | undefined, hay: string | null } */
export const entries = new Map();
export const pinned = new Set();
export const typesSeen = new Set();
// Importers read these live but cannot assign them: they change through the two functions
// below.
export let selectedId = null;
export let latestId = 0;

export function setSelectedId(id) {
  selectedId = id;
}

export function setLatestId(id) {
  latestId = id;
}

export const list = $('list');
export const narrow = window.matchMedia('(max-width: 699px)');

/** The body read as JSON, once per entry. */
export function parsedBody(rec) {
  if (rec.parsed === undefined) {
    rec.parsed = typeof rec.e.body === 'string' ? tryJSON(rec.e.body) : { ok: false, value: undefined };
  }
  return rec.parsed;
}
