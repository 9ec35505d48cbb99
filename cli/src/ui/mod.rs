//! `listen --ui`: a web view of the requests `listen` sees, on its own address.
//!
//! The view holds the newest requests (`--ui-keep`), each as the capture's [`Record`] and as
//! the [`entry`] the page shows, and tells the page of each new one as it comes (Server-Sent
//! Events). What it holds has no key in it: bodies, queries and headers are kept as `--save`
//! keeps them, and every entry is masked once more with every configured key before it is
//! held. The page, its script and its styles are in the binary ([`server`]).

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

use crate::capture::Record;
use crate::output::{shown, Output};

pub use send::Targets;

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

/// The web view's state: the requests it holds, and who to tell of new ones.
pub struct Ui {
    /// Asked of every API call and event stream, and, off loopback, of the page too.
    token: String,
    /// Bound to a loopback address: the page opens without the token, for a `Host` that
    /// names the address only (a page elsewhere that renames itself to 127.0.0.1, to read
    /// this one, is refused).
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
}

/// What `listen` says of its web view at start-up.
pub struct Opened {
    pub ui: Arc<Ui>,
    pub listener: TcpListener,
    /// The address to open, with the token when the page needs it.
    pub url: String,
}

/// How `listen` describes itself to the page.
pub struct Setup<'a> {
    pub receiver_url: &'a str,
    pub forward_url: Option<&'a str>,
    pub verified: bool,
    pub strict: bool,
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
        let token = token()?;
        let loopback = address.ip().is_loopback();
        let url = match loopback {
            true => format!("http://{address}/"),
            false => format!("http://{address}/?token={token}"),
        };
        let config = json!({
            "receiver": setup.receiver_url,
            "forward": setup.forward_url,
            "verified": setup.verified,
            "strict": setup.strict,
            "keep": keep,
            "version": env!("CARGO_PKG_VERSION"),
        });
        let ui = Arc::new(Ui {
            token,
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
        });
        Ok(Opened { ui, listener, url })
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
}

/// 128 random bits, as hex: the view's token.
fn token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| format!("--ui: no random token: {err}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
