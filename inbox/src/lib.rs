//! The inbox: every ClinchPad delivery stored once, then processed until it succeeds.
//!
//! After a receiver answers 2xx, the delivery is the application's to keep. The inbox keeps
//! it in a table (SQLite for one process, PostgreSQL for several receivers and workers on
//! one database): [`Inbox::store`] writes it in one statement keyed on its activity id, so a
//! delivery that comes twice is stored once, and the receiver answers once it is committed;
//! a [`Worker`] then runs the application's handler on it, retrying with backoff until it
//! succeeds or is given up as dead, at least once even if a worker is killed mid-handler. A
//! delivery that does not fit the documentation is kept too, for a handler of its own or for
//! inspection. No handshake key is ever stored.
//!
//! Operating it: every store and attempt is a `tracing` span and event and a metric, with no
//! code of the application's ([`signal`]); [`Inbox::ready`] for a readiness probe; done
//! deliveries kept 30 days ([`InboxOptions::keep_done`]); deliveries chosen by a [`Filter`]
//! counted, listed, retried ([`Inbox::retry_matching`]) or purged ([`Inbox::purge`]);
//! processing paused by type ([`Inbox::pause`]) or held to a [`Limit`] ([`Worker::limit`]).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use clinchpad_webhook::{HandshakeKey, Payload, Receiver};
//! use clinchpad_webhook_inbox::{Inbox, Outcome, Stored};
//!
//! # let dir = std::env::temp_dir().join(format!("inbox-crate-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let url = format!("sqlite://{}/inbox.db", dir.display());
//! // At start-up: the schema is created or migrated.
//! let inbox = Inbox::open(&url).await?;
//!
//! // Per request: verify, store, answer 2xx.
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! let delivery = receiver.accept(None, &std::fs::read("../fixtures/note_created.json")?)?;
//! assert_eq!(inbox.store(&delivery).await?, Stored::New);
//!
//! // Elsewhere, a worker: `Err` is tried again later, with backoff.
//! let worker = inbox.worker(|payload: Payload| async move {
//!     // Stored with the keys masked; escaped, since whoever posts writes its text.
//!     println!("{}", clinchpad_webhook::escape_text(&payload.lead.name));
//!     Ok::<(), String>(())
//! });
//! assert!(matches!(worker.run_once().await?, Some(Outcome::Done { .. })));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "backfill")]
mod backfill;
mod clock;
mod db;
mod delivery_key;
mod entry;
mod error;
mod filter;
mod gate;
mod inbox;
mod masking;
mod operate;
mod outcome;
pub mod signal;
mod url;
mod worker;

#[cfg(feature = "backfill")]
pub use backfill::{Backfill, BackfillCause, BackfillError, BackfillReport, Reached};
/// ClinchPad's REST API client the backfill uses: `clinchpad_webhook_api`, re-exported.
#[cfg(feature = "backfill")]
pub use clinchpad_webhook_api as api;
pub use clock::{Clock, ManualClock, SystemClock};
pub use entry::{Entry, State, Stored};
pub use error::InboxError;
pub use filter::{Counts, Filter, Pause, Paused};
pub use gate::Limit;
pub use inbox::{Inbox, InboxOptions, KEEP_DONE};
pub use outcome::{Outcome, Report};
pub use url::redact_url;
pub use worker::{Handler, HandlerFuture, Worker};

/// The README's Rust examples, compiled and run as doctests so that they stay true: here, where
/// both this crate and the library are at hand, with every feature on (they show the framework
/// adapters, the test support and the inbox).
#[cfg(all(doctest, feature = "axum", feature = "actix-web", feature = "backfill"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// What to answer, with `503 Service Unavailable`, a request whose delivery could not be
/// stored: a fixed sentence, so that no detail of the database (a driver's message, a path)
/// reaches whoever sent the request. The adapters answer it; log the [`InboxError`] itself.
pub const UNSTORED: &str = "the delivery could not be stored; try again later";

/// What a readiness probe is answered, with `503 Service Unavailable`, when the inbox cannot
/// take deliveries ([`Inbox::ready`] failed): a fixed sentence, as for [`UNSTORED`].
pub const NOT_READY: &str =
    "not ready: the inbox cannot be reached, or its schema is not this version's\n";
