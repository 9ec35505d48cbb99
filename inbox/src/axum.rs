//! [axum](https://docs.rs/axum/0.8) for the inbox: [`router`], a router of its own state to
//! nest or merge into an application's, or its handlers one by one: [`store`], which stores
//! each delivery and answers, and the probes an orchestrator asks, [`healthz`] and
//! [`readyz`]. **Available with the crate feature `axum` only.**
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::Router;
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//! use clinchpad_webhook_inbox::Inbox;
//!
//! # let dir = std::env::temp_dir().join(format!("inbox-axum-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let url = format!("sqlite://{}/inbox.db", dir.display());
//! let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
//! let inbox = Inbox::open(&url).await?.masking_keys_of(&receiver);
//! // POST /hooks/clinchpad stores; /hooks/clinchpad/healthz and /readyz answer probes.
//! let app: Router = Router::new()
//!     .nest("/hooks/clinchpad", clinchpad_webhook_inbox::axum::router(receiver, inbox));
//! # let _ = app;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! The handlers alone, in a router whose state gives a [`Receiver`] and an [`Inbox`]
//! (`FromRef`):
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
//! # let dir = std::env::temp_dir().join(format!("inbox-axum-doc2-{}", std::process::id()));
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

use ::axum::extract::{FromRef, State};
use ::axum::http::StatusCode;
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{get, post};
use ::axum::Router;
use clinchpad_webhook::{Delivery, Receiver};

use crate::Inbox;

/// A router that stores each delivery and answers the probes, with a state of its own (so the
/// application's needs no `FromRef`): `POST /` [`store`]s, `GET /healthz` and `GET /readyz`
/// answer ([`healthz`], [`readyz`]). Nest it at the webhook's path
/// (`.nest("/hooks/clinchpad", router(receiver, inbox))`), or merge it, into a router of
/// any state.
pub fn router<S>(receiver: Receiver, inbox: Inbox) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", post(store))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Stores { receiver, inbox })
}

/// The state of [`router`]: what its handlers take.
#[derive(Clone)]
struct Stores {
    receiver: Receiver,
    inbox: Inbox,
}

impl FromRef<Stores> for Receiver {
    fn from_ref(stores: &Stores) -> Receiver {
        stores.receiver.clone()
    }
}

impl FromRef<Stores> for Inbox {
    fn from_ref(stores: &Stores) -> Inbox {
        stores.inbox.clone()
    }
}

/// Stores the delivery, then answers: `204 No Content` once it is committed (new, or a
/// duplicate of one stored before), `503 Service Unavailable` when the database fails, so that
/// ClinchPad sees the failure instead of a 2xx for a delivery that was not kept. Never waits
/// for a handler: workers process what is stored. The delivery is taken tolerantly
/// ([`Delivery`]: one that does not fit the documentation is stored with its error); a
/// refused request gets the receiver's 400, 401 or 413.
///
/// The router's state provides the [`Receiver`] and the
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
