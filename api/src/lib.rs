//! ClinchPad's REST API, as far as a webhook receiver needs it: to recover the deliveries
//! that never arrived.
//!
//! ClinchPad documents no retry of a failed webhook delivery; its REST API still lists every
//! activity. This crate is a small client of that API ([`Client`]: `GET /activities`,
//! `/activities/:id` and `/leads/:id`, within a budget of the hourly limit, 429 and 5xx asked
//! again, the [`ApiKey`] never shown) and the mapping of a REST activity to the body the
//! webhook would have sent ([`webhook_body`]), marked [`Recovered`]. The inbox's backfill
//! (`clinchpad_webhook_inbox::Inbox::backfill`, feature `backfill`) is built on them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use clinchpad_webhook_api::{webhook_body, ActivitiesQuery, ApiKey, Client};
//!
//! let client = Client::new(ApiKey::from_env("CLINCHPAD_API_KEY")?)?;
//! for activity in client.activities(&ActivitiesQuery::first_page()).await? {
//!     let Some(lead_id) = activity.lead_id() else { continue };
//!     let lead = client.lead(lead_id).await?;
//!     let body = webhook_body(&activity, lead.as_ref(), chrono::Utc::now())?;
//!     let payload = clinchpad_webhook::parse(&serde_json::to_vec(&body)?)?;
//!     println!("{} on {}", payload.activity.kind.type_name(), payload.lead.id);
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod budget;
mod client;
mod error;
mod key;
mod mapping;
mod model;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use budget::{DEFAULT_BUDGET, HOURLY_LIMIT};
pub use client::{ActivitiesQuery, Client, ClientBuilder, DEFAULT_BASE_URL};
pub use error::ApiError;
pub use key::{ApiKey, EmptyApiKey};
pub use mapping::{webhook_body, Recovered, Unmappable, RECOVERED};
pub use model::{object_id_time, RestActivity, RestLead};
