//! Typed, verified ClinchPad webhook payloads.
//!
//! [ClinchPad](https://clinchpad.com) POSTs a JSON payload to your URL for every activity on a
//! lead. This crate turns the body bytes, taken from any HTTP framework, into a typed
//! [`Payload`], checks its handshake key in constant time, and explains every bad body with
//! the JSON path, line and column at fault. It does no I/O.
//!
//! # Parse and verify
//!
//! ```
//! use clinchpad_webhook::activity::{LeadMoved, NoteCreated};
//! use clinchpad_webhook::{parse_verified, ActivityKind, Error};
//!
//! fn handle(body: &[u8], key: &str) -> Result<String, Error> {
//!     let payload = parse_verified(body, key)?;
//!     let lead = &payload.lead;
//!     Ok(match &payload.activity.kind {
//!         ActivityKind::LeadMoved(LeadMoved { old_stage_name, new_stage_name }) => {
//!             format!("{} moved from {old_stage_name} to {new_stage_name}", lead.name)
//!         }
//!         ActivityKind::NoteCreated(NoteCreated { note_content }) => format!("note on {}: {note_content}", lead.name),
//!         // Types added by ClinchPad after this version parse too, with all their fields.
//!         ActivityKind::Unknown { type_name, fields } => format!("{type_name} with {} fields", fields.len()),
//!         other => format!("{} on {}", other.type_name(), lead.name),
//!     })
//! }
//!
//! let body = std::fs::read("fixtures/doc_example.json").unwrap();
//! assert_eq!(handle(&body, "gfhkd1asfsa").unwrap(), "note on Webhook T: Hello world!");
//! assert_eq!(handle(&body, "not the key"), Err(Error::WrongKey));
//! assert_eq!(handle(b"{\"lead\": 1}", "gfhkd1asfsa").unwrap_err().path(), Some("lead"));
//! ```
//!
//! In a receiver, build the expected key once at start-up with
//! [`HandshakeKey::from_env`], which fails closed: an unset or empty variable is an error
//! naming it, never a receiver that accepts everything. When the key arrives as a query
//! parameter instead of in the body, check it with [`verify_key`].
//!
//! # Types added after this version
//!
//! ClinchPad has added activity types before. A type this version does not know is not an
//! error: it parses into [`ActivityKind::Unknown`] with its wire name and every field, and
//! serializes back unchanged, so a receiver can log it, store it, or forward it.
//!
//! ```
//! use clinchpad_webhook::ActivityKind;
//!
//! let payload = clinchpad_webhook::parse(br#"{
//!     "activity": {"_id": "a1", "created_at": "2024-03-05T14:07:31Z",
//!                  "type": "deal:forecast_changed", "forecast": 12000},
//!     "lead": {"_id": "l1", "name": "Acme"}
//! }"#)?;
//! let ActivityKind::Unknown { type_name, fields } = &payload.activity.kind else {
//!     unreachable!("not a documented type")
//! };
//! assert_eq!(type_name, "deal:forecast_changed");
//! assert_eq!(fields["forecast"], 12000);
//! assert_eq!(payload.activity.kind.activity_type(), None);
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! # A struct per activity type
//!
//! Each documented type's fields are a struct of the [`activity`] module, which
//! [`ActivityKind`] wraps: a handler for one type takes that type's data, and
//! [`ActivityKind::get`] reaches it. [`ActivityData`] shows a table of handlers by type.
//!
//! ```
//! use clinchpad_webhook::activity::LeadMoved;
//! use clinchpad_webhook::Lead;
//!
//! fn on_moved(lead: &Lead, moved: &LeadMoved) -> String {
//!     format!("{} is now in {}", lead.name, moved.new_stage_name)
//! }
//!
//! let payload = clinchpad_webhook::parse(&std::fs::read("fixtures/lead_moved.json")?)?;
//! let moved = payload.activity.kind.get::<LeadMoved>().expect("a lead:moved payload");
//! assert_eq!(on_moved(&payload.lead, moved), "Acme Corp — Lead is now in Offer");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # In a web framework
//!
//! [`Receiver`] does what an endpoint does with a request, in code that knows no framework:
//! the body limit, the key from the body or a `handshake_key` query parameter (every copy must
//! match; several keys while the key changes), and a [`Rejection`] with its status (400, 401,
//! 413) for what it refuses. With the `axum` or `actix-web` feature, [`Delivery`] is an
//! extractor for the framework, and the `axum` and `actix` modules add the strict one,
//! `ClinchPadWebhook`, that hands the handler the payload and the raw body.
//!
//! # Lose no delivery: tolerant at the edge, strict in tests
//!
//! ClinchPad documents no retries: a delivery refused is a delivery lost. [`Receiver::accept`]
//! checks the key, the limit and the JSON as strictly as [`Receiver::receive`], but does not
//! refuse a verified body whose *shape* does not fit the documentation: it hands over a
//! [`Delivery`] with the error that says where, the body as it came, and what could be typed.
//!
//! ```
//! use clinchpad_webhook::{ActivityKind, HandshakeKey, Receiver};
//!
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! // A multi-valued field where the documentation has one value.
//! let body = std::fs::read("fixtures/drift/record_value_multiple.json")?;
//! let delivery = receiver.accept(None, &body)?;
//! assert_eq!(delivery.error().and_then(|err| err.path()), Some("activity.record_value"));
//! let payload = delivery.payload().unwrap();
//! assert!(matches!(payload.activity.kind, ActivityKind::Drifted { .. }));
//! assert_eq!(payload.lead.name, "Acme Corp — Record");
//! // `receive` refuses it, with the same error: for tests, and for what must fit.
//! assert_eq!(receiver.receive(None, &body).unwrap_err().error(), delivery.error());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Logging what a request carries
//!
//! A body is written by whoever finds the URL, and a key can arrive anywhere in it. A
//! [`Rejection`] from [`Receiver::receive`] is safe to log as it is: one bounded line, no
//! configured key. Text you take from a request yourself is not: escape it with [`escape_text`], so that it
//! cannot forge a log line or act on a terminal, and mask the keys with
//! [`Receiver::redact`].
//!
//! ```
//! use clinchpad_webhook::{escape_text, HandshakeKey, Receiver};
//!
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! let note = "call back\n[INFO] admin logged in; the key is gfhkd1asfsa";
//! let line = receiver.redact(&escape_text(note)).into_owned();
//! assert_eq!(line, r"call back\n[INFO] admin logged in; the key is ***");
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! # Features
//!
//! | feature | adds |
//! |---|---|
//! | `axum` | the `axum` module: an extractor for axum 0.8, and `IntoResponse` for [`Rejection`] |
//! | `actix-web` | the `actix` module: an extractor for actix-web 4, and `ResponseError` for [`Rejection`] |
//! | `tower` | the `tower` module: `ReceiverLayer`, for any service over `http::Request` (hyper, AWS Lambda, Workers) |
//! | `testing` | the `testing` module and `Payload::sample`: realistic payloads for your tests |
//! | `tracing` | a WARN event (target `clinchpad_webhook`) for each request [`Receiver`] refuses, with its status and why, and for each delivery it takes as drifted, with its path; never a key |
//! | `metrics` | the counters `clinchpad.webhook.refused` (by status) and `clinchpad.webhook.drifted`, through the `metrics` facade |
//!
//! None is on by default: the core depends only on `serde`, `serde_json`, `chrono`,
//! `thiserror` and `subtle`, and builds for `wasm32-unknown-unknown` (Cloudflare Workers)
//! as it is. The inbox turns on `tracing` and `metrics`.
//!
//! # Storing and deduplicating
//!
//! The `clinchpad-webhook-inbox` package stores every delivery once, on SQLite or PostgreSQL,
//! and processes it until it succeeds. Doing it yourself: `Serialize` writes the payload as
//! ClinchPad sends it, handshake key included, so that it reads back equal; to store, log or
//! forward a payload, check its key, then drop it with [`Payload::without_handshake_key`].
//! ClinchPad does not say whether it retries, and a delivery can arrive twice: store it once
//! per activity `_id`, checked after verification, with a unique constraint in your database,
//! answer 2xx for a duplicate, and process it only after it is stored.
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//!
//! /// Your storage: `Ok(true)` when the activity was new, `Ok(false)` when its id was stored
//! /// already (in SQL, the row count of `INSERT ... ON CONFLICT (activity_id) DO NOTHING`).
//! trait Store {
//!     fn insert_once(&self, activity_id: &str, payload_json: &str) -> Result<bool, String>;
//! }
//!
//! fn on_delivery(receiver: &Receiver, store: &impl Store, query: Option<&str>, body: &[u8]) -> u16 {
//!     let payload = match receiver.receive(query, body) {
//!         Ok(payload) => payload, // verified before its id is trusted
//!         Err(rejection) => return rejection.status(),
//!     };
//!     let id = payload.activity.id.clone();
//!     let Ok(json) = serde_json::to_string(&payload.without_handshake_key()) else {
//!         return 500;
//!     };
//!     match store.insert_once(id.as_str(), &json) {
//!         Ok(_new_or_duplicate) => 204, // a duplicate is still a delivery received
//!         Err(_) => 500,
//!     }
//! }
//!
//! /// A stand-in for a table with a unique constraint on `activity_id`.
//! struct Table(Mutex<HashMap<String, String>>);
//!
//! impl Store for Table {
//!     fn insert_once(&self, activity_id: &str, payload_json: &str) -> Result<bool, String> {
//!         let mut rows = self.0.lock().map_err(|err| err.to_string())?;
//!         Ok(rows.insert(activity_id.to_owned(), payload_json.to_owned()).is_none())
//!     }
//! }
//!
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! let table = Table(Mutex::new(HashMap::new()));
//! let body = std::fs::read("fixtures/doc_example.json")?;
//! assert_eq!(on_delivery(&receiver, &table, None, &body), 204);
//! assert_eq!(on_delivery(&receiver, &table, None, &body), 204); // the same delivery again
//! let rows = table.0.lock().unwrap();
//! assert_eq!(rows.len(), 1);
//! assert!(!rows.values().any(|json| json.contains("gfhkd1asfsa")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Testing your handler
//!
//! With the `testing` feature (as a dev-dependency), `Payload::sample` builds a realistic
//! payload of any type, `with_*` methods change it, and `to_wire_bytes` gives the body
//! ClinchPad would POST; `testing::samples()` yields one per documented type.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use clinchpad_webhook::{parse_verified, ActivityType, Payload};
//!
//! fn my_handler(body: &[u8]) -> Result<String, clinchpad_webhook::Error> {
//!     let payload = parse_verified(body, "s3cret")?;
//!     Ok(format!("{} on {}", payload.activity.kind.type_name(), payload.lead.name))
//! }
//!
//! let body = Payload::sample(ActivityType::LeadWon)
//!     .with_lead_name("Globex")
//!     .with_handshake_key("s3cret")
//!     .to_wire_bytes();
//! assert_eq!(my_handler(&body).unwrap(), "lead:won on Globex");
//! # }
//! ```
//!
//! # What is accepted
//!
//! Where ClinchPad's documentation is silent, the crate decides as follows:
//!
//! - **Unknown activity types** parse into [`ActivityKind::Unknown`], keeping the type name and
//!   every field. **Unknown fields** on every object are kept in its `extra` map and written
//!   back on serialization: `parse(&serde_json::to_vec(&payload)?)` gives an equal payload.
//! - **`null` is absent** for every optional value (`user`, `stage`, `pipe`, `size`,
//!   `photo_url`, `handshake_key`, the "(if applicable)" fields).
//! - **Numbers** (`lead_size`, `old_lead_size`, `product_quantity`, `product_price`, a lead's
//!   `size`) are JSON numbers or strings holding exactly a JSON number (`"1500"`, `"19.99"`);
//!   `"1,500"`, `"01500"` or `"NaN"` are errors. **`todo_done`** is a boolean or
//!   `"true"`/`"false"`.
//! - **`record_value`** and **`old_record_value`** are text; a JSON number or boolean keeps its
//!   JSON text exactly as [`parse`] found it in the body (`19.90` reads as `"19.90"`). The
//!   `Deserialize` impl, handed the number only, writes it as `serde_json` does (`"19.9"`).
//! - **Unknown fields** are [`serde_json::Value`]s: a number keeps its value, not its text
//!   (integers up to 64 bits exactly, others as the nearest `f64`: `19.90` is written back as
//!   `19.9`).
//! - **`todo_date`** and **`todo_time`** never fail a payload over their format: see
//!   [`TodoDate`] and [`TodoTime`] for the formats parsed; the original text is always kept.
//!   Only four-digit years are read as dates.
//! - **`created_at`** is RFC 3339 with any offset, converted to UTC, whose year must then be
//!   `0000`–`9999` (the years RFC 3339 can write), so that it is written back as a time that
//!   reads back equal.
//! - **Strict** where the contract is clear: missing or `null` required fields, a
//!   `created_at` that is not RFC 3339, values of the wrong JSON type, a key repeated in any
//!   object (two readers taking different copies is how a forged field gets through),
//!   trailing bytes and invalid UTF-8 are errors. [`Receiver::accept`] takes a verified body
//!   with such a shape error all the same, as a [`Delivery`] with the error; never one with a
//!   repeated key, trailing bytes or invalid UTF-8. Each [`Error`] says where, by
//!   [path](Error#paths), line and column, in one line of at most 400 bytes that is safe to log.
//! - **Serializing** writes what [`parse`] reads back equal, or fails with an error naming the
//!   field it cannot write (an `extra` key an object models, an [`ActivityKind::Unknown`] named
//!   like a documented type, a number that is not finite, ...).
//! - **Handshake keys** are compared in constant time and never printed. An empty key never
//!   passes a check: a [`HandshakeKey`] cannot be built empty from any source, and a
//!   [`ReceivedKey`] that is empty matches nothing.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The machinery, a folder for each role: reading JSON (first: its macros are used below), the
// handshake key, and the text the crate writes.
#[macro_use]
mod read;
mod key;
mod text;

// The public face: the model, reading and verifying, the receiver and its adapters.
pub mod activity;
#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
mod delivery;
mod error;
mod ids;
mod lead;
mod parse;
mod payload;
mod pipeline;
mod receiver;
mod rejection;
mod signal;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tower")]
pub mod tower;
mod user;

pub use activity::{Activity, ActivityData, ActivityKind, ActivityType, ParseActivityTypeError};
pub use delivery::Delivery;
pub use error::{Error, VarProblem};
pub use ids::{ActivityId, LeadId, PipeId, StageId, UserId};
pub use key::handshake::{ExpectedKey, HandshakeKey, ReceivedKey};
pub use key::strip::{strip_handshake_key, strip_handshake_key_from_query};
pub use key::verify::{verify, verify_key};
pub use lead::Lead;
pub use parse::{parse, parse_verified};
pub use payload::Payload;
pub use pipeline::{Pipe, Stage};
pub use read::parsed_text::{FromWireText, ParsedText, TodoDate, TodoTime};
pub use receiver::Receiver;
pub use rejection::Rejection;
pub use text::escape::escape_text;
pub use user::User;
