//! `listen --ui`: a web view of the requests `listen` sees, on its own address.
//!
//! The view holds the newest requests (`--ui-keep`), each as the capture's [`Record`] and as
//! the [`entry`] the page shows, and tells the page of each new one as it comes (Server-Sent
//! Events). What it holds has no key in it: bodies, queries and headers are kept as `--save`
//! keeps them, and every entry is masked once more with every configured key before it is
//! held. The page, its script and its styles are in the binary ([`server`]).
//!
//! A browser gets in through a one-time link `listen` prints: it opens a session (a cookie the
//! page's script cannot read), and `listen` prints a fresh link for the next browser. Being
//! able to connect, as any process or user of the machine can on loopback, is not enough.

mod console;
mod entry;
pub mod history;
mod send;
mod server;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clinchpad_webhook::HandshakeKey;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::capture::{Record, VIEW_COOKIE, WRONG_KEY};
use crate::output::{shown, Output};

pub use send::{Target, Targets};

/// Where a request in the view comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Seen by this `listen`.
    Live,
    /// Read from the `--save` file at start-up.
    Saved,
    /// Read from the `--store` inbox at start-up.
    Stored,
}

/// One request in the view.
pub struct Item {
    pub id: u64,
    pub record: Record,
    /// The entry the page shows, as JSON text, masked.
    pub json: String,
}

/// How many sessions the view keeps: past it, the oldest ends (its browser opens a new link).
const MAX_SESSIONS: usize = 16;

/// The web view's state: the requests it holds, who may see them, and who to tell of new ones.
pub struct Ui {
    /// The secret of the one-time link, replaced as soon as it is used.
    link: Mutex<String>,
    /// The link without its secret: `http://ADDR/open?token=`.
    link_base: String,
    /// The sessions links opened, by their cookie's value, the oldest first.
    sessions: Mutex<VecDeque<String>>,
    /// Bound to a loopback address: it answers only to a `Host` that names the address (a
    /// page elsewhere that renames itself to 127.0.0.1, to read this one, is refused).
    loopback: bool,
    address: SocketAddr,
    keep: usize,
    config: Value,
    items: Mutex<VecDeque<Arc<Item>>>,
    next_id: AtomicU64,
    /// The id of the newest request, for the event streams to wait on.
    latest: watch::Sender<u64>,
    out: Arc<Output>,
    keys: Vec<HandshakeKey>,
    targets: Targets,
    /// The inbox its console (`/inbox`) shows and operates, with `--store` or `inbox ui`.
    inbox: Option<clinchpad_webhook_inbox::Inbox>,
    /// Served by `inbox ui`: the console is the page, and there are no requests to show.
    console_only: bool,
}

/// What `listen` says of its web view at start-up.
pub struct Opened {
    pub ui: Arc<Ui>,
    pub listener: TcpListener,
    /// The one-time link that opens the view in a browser.
    pub url: String,
}

/// How `listen` describes itself to the page.
pub struct Setup<'a> {
    pub receiver_url: &'a str,
    pub forward_url: Option<&'a str>,
    pub verified: bool,
    pub strict: bool,
    /// The inbox the console shows, if any.
    pub inbox: Option<clinchpad_webhook_inbox::Inbox>,
    /// The console alone (`inbox ui`), with no receiver.
    pub console_only: bool,
}

impl Ui {
    /// Binds `addr` for the view of at most `keep` requests.
    pub async fn open(
        addr: &str,
        keep: usize,
        setup: Setup<'_>,
        targets: Targets,
        keys: Vec<HandshakeKey>,
        out: Arc<Output>,
    ) -> Result<Opened, String> {
        let cannot = |err: std::io::Error| format!("--ui: cannot listen on {}: {err}", shown(addr));
        let listener = TcpListener::bind(addr).await.map_err(cannot)?;
        let address = listener.local_addr().map_err(cannot)?;
        let link = token()?;
        let loopback = address.ip().is_loopback();
        let link_base = format!("http://{address}/open?token=");
        let url = format!("{link_base}{link}");
        let config = json!({
            "receiver": setup.receiver_url,
            "forward": setup.forward_url,
            "targets": targets.described(),
            "wrong_key": WRONG_KEY,
            "verified": setup.verified,
            "strict": setup.strict,
            "keep": keep,
            "version": env!("CARGO_PKG_VERSION"),
            "inbox": setup.inbox.is_some(),
            "console_only": setup.console_only,
        });
        let ui = Arc::new(Ui {
            link: Mutex::new(link),
            link_base,
            sessions: Mutex::new(VecDeque::new()),
            loopback,
            address,
            keep: keep.max(1),
            config: out.redact_json(config),
            items: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(0),
            latest: watch::Sender::new(0),
            out,
            keys,
            targets,
            inbox: setup.inbox,
            console_only: setup.console_only,
        });
        Ok(Opened { ui, listener, url })
    }

    /// Whether the view is on a loopback address.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// Serves the page until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        server::serve(listener, self).await;
    }

    /// Adds a request to the view, the oldest going when it holds `keep`, and tells the
    /// page.
    pub fn push(&self, source: Source, record: Record) {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let keys: Vec<&str> = self.keys.iter().map(HandshakeKey::expose_secret).collect();
        let value = self
            .out
            .redact_json(entry::entry(id, source, &record, &keys));
        let json = serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned());
        let Ok(mut items) = self.items.lock() else {
            return;
        };
        items.push_back(Arc::new(Item { id, record, json }));
        while items.len() > self.keep {
            items.pop_front();
        }
        drop(items);
        self.latest.send_replace(id);
    }

    /// The requests held after the one with id `after`, oldest first.
    pub fn after(&self, after: u64) -> Vec<Arc<Item>> {
        let Ok(items) = self.items.lock() else {
            return Vec::new();
        };
        items
            .iter()
            .filter(|item| item.id > after)
            .cloned()
            .collect()
    }

    /// The request with id `id`, while the view holds it.
    pub fn get(&self, id: u64) -> Option<Arc<Item>> {
        let items = self.items.lock().ok()?;
        items.iter().find(|item| item.id == id).cloned()
    }

    /// A new session, for `given`, the secret of the one-time link: its cookie's value. The
    /// link is then used up, and a fresh one is printed for another browser, so that the owner
    /// always has one, and sees when a link was used. `None` for any other secret.
    fn open_session(&self, given: &str) -> Option<String> {
        let mut link = self.link.lock().ok()?;
        if !same(given, &link) {
            return None;
        }
        let (session, fresh) = match (token(), token()) {
            (Ok(session), Ok(fresh)) => (session, fresh),
            (Err(problem), _) | (_, Err(problem)) => {
                self.out.warn(&problem);
                return None;
            }
        };
        let mut sessions = self.sessions.lock().ok()?;
        if sessions.len() >= MAX_SESSIONS {
            sessions.pop_front();
        }
        sessions.push_back(session.clone());
        drop(sessions);
        self.out.say(&format!(
            "web view: its one-time link was just used to open it in a browser (if not by \
             you, stop this command); for another browser, open {}{fresh}",
            self.link_base
        ));
        *link = fresh;
        Some(session)
    }

    /// Whether `given` is the cookie of a session a link opened.
    fn has_session(&self, given: &str) -> bool {
        let Ok(sessions) = self.sessions.lock() else {
            return false;
        };
        // Every session compared, each in a time that does not tell how much of it matched.
        sessions
            .iter()
            .fold(false, |found, session| same(given, session) | found)
    }

    /// The name of the session's cookie: the port in it, since a browser sends a cookie for
    /// 127.0.0.1 to every port, and two views must not end each other's sessions.
    fn cookie_name(&self) -> String {
        format!("{VIEW_COOKIE}{}", self.address.port())
    }
}

/// Whether `given` is `secret`, in a time that does not tell how much of it matched.
fn same(given: &str, secret: &str) -> bool {
    given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// 128 random bits, as hex: a link's secret, or a session's cookie.
fn token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| format!("--ui: no random secret: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_compared_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
        assert!(!same("", "abc"));
    }
}
