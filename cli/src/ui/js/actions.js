// What the page does with a request: replay it, edit and send it, copy it as curl, download it.

import { $, el, fill, isObject, setArea, tryJSON } from './dom.js';
import { answerView } from './format.js';
import { config, entries, parsedBody, selectedId } from './state.js';

/** The targets listen was started with: the page sends nowhere else. */
export function setupTargets() {
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

export function renderActions(rec) {
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
export async function send(edited, asClinchpad) {
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

export async function copyCurl() {
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
