// JSON paths, written and read as the command writes them.

import { isObject, tryJSON } from './dom.js';

export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path as the command writes it: `activity.created_at`, `lead.extra[3]`, `lead["a.b"]`. */
export function writePath(segs) {
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
export function readPath(text) {
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
export function valueAt(root, segs) {
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
