//! `GET /healthz` and `GET /readyz`: whether listen runs, and whether it can take deliveries
//! (with `--store`, its inbox's database answers and its schema is this version's). Probes
//! are answered before anything else, and neither printed nor recorded: an orchestrator asks
//! every few seconds.

use hyper::{Method, StatusCode};

use super::State;

/// Liveness: listen answers.
pub(super) const HEALTHZ: &str = "/healthz";
/// Readiness: listen can store what it takes.
pub(super) const READYZ: &str = "/readyz";

/// The answer to a probe, or `None` for a request that is not one (or when deliveries are
/// received at the probe's path itself).
pub(super) async fn probe(
    state: &State,
    method: &Method,
    path: &str,
) -> Option<(StatusCode, &'static str)> {
    if method != Method::GET || path == state.path {
        return None;
    }
    match path {
        HEALTHZ => Some((StatusCode::OK, "ok\n")),
        READYZ => Some(match &state.store {
            // The database's own words stay here: whoever asks may be anyone.
            Some(inbox) => match inbox.ready().await {
                Ok(()) => (StatusCode::OK, "ready\n"),
                Err(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    clinchpad_webhook_inbox::NOT_READY,
                ),
            },
            None => (StatusCode::OK, "ready\n"),
        }),
        _ => None,
    }
}
