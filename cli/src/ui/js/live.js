// Live updates: each request the command sees, as it comes, over an event stream.

import { $, tryJSON } from './dom.js';
import { addEntry, refreshList } from './list.js';
import { entries, latestId } from './state.js';

function setConn(state) {
  const conn = $('conn');
  conn.className = `conn ${state}`;
  conn.textContent = { live: 'live', reconnecting: 'reconnecting…', offline: 'offline' }[state];
  conn.title = state === 'offline' ? 'the event stream closed: reload the page to reconnect' : '';
}

export function connect() {
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
