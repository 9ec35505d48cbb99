//! An [axum](https://docs.rs/axum/0.8) handler that stores each delivery and answers:
//! [`store`]; and the probes an orchestrator asks, [`healthz`] and [`readyz`]. **Available
//! with the crate feature `axum` only.**
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::{extract::FromRef, routing::post, Router};
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//! use clinchpad_webhook_inbox::Inbox;
//!
//! #[derive(Clone)]
//! struct AppState {
//!     receiver: Receiver,
//!     inbox: Inbox,
//! }
//! impl FromRef<AppState> for Receiver {
//!     fn from_ref(state: &AppState) -> Receiver { state.receiver.clone() }
//! }
//! impl FromRef<AppState> for Inbox {
//!     fn from_ref(state: &AppState) -> Inbox { state.inbox.clone() }
//! }
//!
//! # let dir = std::env::temp_dir().join(format!("inbox-axum-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let url = format!("sqlite://{}/inbox.db", dir.display());
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! let inbox = Inbox::open(&url).await?.masking_keys_of(&receiver);
//! use clinchpad_webhook_inbox::axum::{healthz, readyz, store};
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(store))
//!     .route("/healthz", axum::routing::get(healthz))
//!     .route("/readyz", axum::routing::get(readyz))
//!     .with_state(AppState { receiver, inbox });
//! # let _ = app;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use ::axum::extract::State;
use ::axum::http::StatusCode;
use ::axum::response::{IntoResponse, Response};
use clinchpad_webhook::Delivery;

use crate::Inbox;

/// Stores the delivery, then answers: `204 No Content` once it is committed (new, or a
/// duplicate of one stored before), `503 Service Unavailable` when the database fails, so that
/// ClinchPad sees the failure instead of a 2xx for a delivery that was not kept. Never waits
/// for a handler: workers process what is stored. The delivery is taken tolerantly
/// ([`Delivery`]: one that does not fit the documentation is stored with its error); a
/// refused request gets the receiver's 400, 401 or 413.
///
/// The router's state provides the [`Receiver`](clinchpad_webhook::Receiver) and the
/// [`Inbox`] (`FromRef`).
pub async fn store(State(inbox): State<Inbox>, delivery: Delivery) -> Response {
    let started = std::time::Instant::now();
    let stored = inbox.store(&delivery).await;
    let response = match stored {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, crate::UNSTORED).into_response(),
    };
    crate::signal::answered(response.status().as_u16(), started.elapsed());
    response
}

/// Liveness: `200 OK` whenever the process answers.
pub async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Readiness: `200 OK` when the inbox can take deliveries ([`Inbox::ready`]: its database
/// answers, its schema is this version's), `503 Service Unavailable` otherwise, with a fixed
/// sentence: whoever asks learns nothing of the database.
pub async fn readyz(State(inbox): State<Inbox>) -> Response {
    match inbox.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, crate::NOT_READY).into_response(),
    }
}
