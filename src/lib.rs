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
//! use clinchpad_webhook::{parse_verified, ActivityKind, Error};
//!
//! fn handle(body: &[u8], key: &str) -> Result<String, Error> {
//!     let payload = parse_verified(body, key)?;
//!     let lead = &payload.lead;
//!     Ok(match &payload.activity.kind {
//!         ActivityKind::LeadMoved { old_stage_name, new_stage_name } => {
//!             format!("{} moved from {old_stage_name} to {new_stage_name}", lead.name)
//!         }
//!         ActivityKind::NoteCreated { note_content } => format!("note on {}: {note_content}", lead.name),
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
//! When the key arrives as a query parameter instead of in the body, check it with
//! [`verify_key`].
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
//!   `size`) are JSON numbers or strings holding a JSON-style number (`"1500"`, `"19.99"`);
//!   `"1,500"` or `"NaN"` are errors. **`todo_done`** is a boolean or `"true"`/`"false"`.
//! - **`record_value`** and **`old_record_value`** are text; a JSON number or boolean keeps its
//!   JSON text (`42` reads as `"42"`).
//! - **`todo_date`** and **`todo_time`** never fail a payload over their format: see
//!   [`TodoDate`] and [`TodoTime`] for the formats parsed; the original text is always kept.
//! - **Strict** where the contract is clear: missing or `null` required fields, a
//!   `created_at` that is not RFC 3339, values of the wrong JSON type, a key repeated in any
//!   object (two readers taking different copies is how a forged field gets through),
//!   trailing bytes and invalid UTF-8 are errors.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod reader;
mod activity;
#[cfg(feature = "axum")]
pub mod axum;
mod error;
mod extra;
mod handshake;
mod ids;
mod lead;
mod parse;
mod parsed_text;
mod payload;
mod pipeline;
#[cfg(feature = "testing")]
pub mod testing;
mod user;
mod verify;
mod wire;

pub use activity::{Activity, ActivityKind, ActivityType, ParseActivityTypeError};
pub use error::Error;
pub use handshake::HandshakeKey;
pub use ids::{ActivityId, LeadId, PipeId, StageId, UserId};
pub use lead::Lead;
pub use parse::{parse, parse_verified};
pub use parsed_text::{FromWireText, ParsedText, TodoDate, TodoTime};
pub use payload::Payload;
pub use pipeline::{Pipe, Stage};
pub use user::User;
pub use verify::{verify, verify_key};
