//! One request, from its head to its answer, in the order it goes.
//!
//! [`handle`] reads its head and has [`receive`] read its body and give it to the receiver,
//! which takes it or refuses it (an inbox stores a taken one before it is answered); it then
//! passes an accepted one on, answers, and records it, whatever became of it.

use std::convert::Infallible;
use std::sync::Arc;

use chrono::Utc;
use clinchpad_webhook::{Delivery, Error, Payload, Rejection};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use super::drain::{until_drained, InFlight, DROPPED};
use super::forward::forward;
use super::health::probe;
use super::record::{record, Seen};
use super::State;
use crate::capture::{self, KeyCheck, KeySeen};
use crate::connections::Slot;
use crate::mask;
use crate::output::shown;

/// One request: counted in flight until it is answered, and recorded whatever became of it.
pub(super) async fn handle(
    state: Arc<State>,
    slot: Arc<Slot>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _in_flight = InFlight::enter(&state.in_flight);
    if let Some((status, text)) = probe(&state, request.method(), request.uri().path()).await {
        let response = text_response(status, text.to_owned());
        return Ok(response.unwrap_or_else(|_| Response::new(Full::default())));
    }
    let mut drained = state.drain_over.subscribe();
    let received_at = Utc::now();
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let in_query = clinchpad_webhook::strip_handshake_key_from_query(&query).len() != query.len();
    let mut seen = Seen {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        body: None,
        declared,
        headers: capture::headers_to_keep(
            parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            &state.key_texts(),
        ),
        outcome: Err(Refusal::Ignored(StatusCode::NOT_FOUND, String::new())),
        key: KeySeen {
            in_query,
            ..KeySeen::default()
        },
        forwarded: None,
        stored: None,
        dropped: false,
    };
    if seen.path != state.path {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::NOT_FOUND,
            format!(
                "no receiver at {}: deliveries go to {}",
                shown(&capture::path_to_keep(&seen.path, &state.key_texts())),
                shown(&state.path)
            ),
        ));
    } else if parts.method != Method::POST {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::METHOD_NOT_ALLOWED,
            "deliveries are POSTed".into(),
        ));
    } else {
        seen.outcome =
            match until_drained(&mut drained, receive(&state, &slot, &mut seen, body)).await {
                Some(outcome) => outcome,
                None => {
                    seen.dropped = true;
                    Err(Refusal::Ignored(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "listen stopped before the body was read".into(),
                    ))
                }
            };
    }
    if let (Ok(_), Some((client, url)), false) = (&seen.outcome, &state.forward, seen.dropped) {
        let content_type = parts.headers.get(CONTENT_TYPE);
        match until_drained(&mut drained, forward(client, url, &seen, content_type)).await {
            Some(forwarded) => seen.forwarded = Some(forwarded),
            None => seen.dropped = true,
        }
    }
    let response = match (&seen.outcome, seen.dropped) {
        (_, true) => text_response(StatusCode::SERVICE_UNAVAILABLE, DROPPED.to_owned()),
        (Ok(_), false) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::default()),
        (Err(refusal), false) => text_response(
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST),
            refusal.answer(),
        ),
    };
    record(&state, &seen);
    let response = response.unwrap_or_else(|_| Response::new(Full::default()));
    answered(&parts.method, response.status(), started.elapsed());
    Ok(response)
}

/// Reads the body within the limit and hands it to the receiver: to `accept`, or with
/// `--strict` to `receive`.
async fn receive(
    state: &State,
    slot: &Arc<Slot>,
    seen: &mut Seen,
    body: Incoming,
) -> Result<Taken, Refusal> {
    let receiver = &state.receiver;
    receiver
        .check_head(Some(&seen.query), seen.declared)
        .map_err(|rejection| refused(state, seen, rejection))?;
    let bytes = match Limited::new(body, receiver.body_limit()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(refused(state, seen, receiver.too_large()))
        }
        Err(err) => return Err(Refusal::Rejected(Rejection::body_unreadable(err))),
    };
    // Read whole: from here its connection is not closed to make room for another.
    let _in_hand = slot.in_hand();
    seen.key.in_body = clinchpad_webhook::strip_handshake_key(&bytes)
        .is_some_and(|kept| kept.len() != bytes.len());
    seen.body = Some(bytes.clone());
    // Stored (when there is an inbox) before it is answered.
    let (taken, stored) = if state.strict {
        match receiver.receive(Some(&seen.query), &bytes) {
            Ok(payload) => {
                let stored = match &state.store {
                    Some(inbox) => Some(inbox.store_payload(&payload, receiver).await),
                    None => None,
                };
                (Taken::from(payload), stored)
            }
            Err(rejection) => return Err(refused(state, seen, rejection)),
        }
    } else {
        match receiver.accept(Some(&seen.query), &bytes) {
            Ok(delivery) => {
                let stored = match &state.store {
                    Some(inbox) => Some(inbox.store(&delivery).await),
                    None => None,
                };
                (Taken::from(delivery), stored)
            }
            Err(rejection) => return Err(refused(state, seen, rejection)),
        }
    };
    if receiver.is_verified() {
        seen.key.check = KeyCheck::Matched;
    }
    match stored {
        None => Ok(taken),
        Some(Ok(stored)) => {
            seen.stored = Some(stored);
            Ok(taken)
        }
        Some(Err(err)) => Err(Refusal::Unstored(err.to_string())),
    }
}

/// The rejection, with what it says of the key noted. A request refused for something else
/// after its body was read (a body that is not JSON, or with `--strict` one that does not fit,
/// which the receiver reads before the key) has its key copies checked here, while there are
/// keys to check them against: a replay must not take a wrong key for one never looked at.
fn refused(state: &State, seen: &mut Seen, rejection: Rejection) -> Refusal {
    seen.key.check = match (rejection.error(), &seen.body) {
        (Some(Error::WrongKey), _) => KeyCheck::Wrong,
        (Some(Error::MissingKey), _) => KeyCheck::Missing,
        (_, Some(body)) if !state.keys.is_empty() => {
            seen.key.in_body |= !mask::key_values(body).is_empty();
            capture::check_copies(&seen.query, body, &state.keys)
        }
        _ => KeyCheck::Unchecked,
    };
    Refusal::Rejected(rejection)
}

/// A delivery the receiver took: typed, or, unless `--strict`, drifted from the documentation
/// and taken with its error (as `Receiver::accept` takes it).
pub(super) struct Taken {
    pub(super) payload: Option<Payload>,
    /// Why it is not fully typed.
    pub(super) drift: Option<Error>,
    pub(super) activity_id: Option<String>,
    pub(super) type_name: Option<String>,
}

impl From<Payload> for Taken {
    fn from(payload: Payload) -> Self {
        Taken {
            activity_id: Some(payload.activity.id.as_str().to_owned()),
            type_name: Some(payload.activity.kind.type_name().to_owned()),
            payload: Some(payload),
            drift: None,
        }
    }
}

impl From<Delivery> for Taken {
    fn from(delivery: Delivery) -> Self {
        Taken {
            drift: delivery.error().cloned(),
            activity_id: delivery.activity_id().map(str::to_owned),
            type_name: delivery.type_name().map(str::to_owned),
            payload: delivery.into_payload(),
        }
    }
}

/// Why a request was not accepted.
pub(super) enum Refusal {
    /// As the receiver refused it.
    Rejected(Rejection),
    /// Not a POST to the path.
    Ignored(StatusCode, String),
    /// Taken, but the inbox could not store it: answered 503, so that the sender sees it.
    Unstored(String),
}

impl Refusal {
    pub(super) fn status(&self) -> u16 {
        match self {
            Refusal::Rejected(rejection) => rejection.status(),
            Refusal::Ignored(status, _) => status.as_u16(),
            Refusal::Unstored(_) => StatusCode::SERVICE_UNAVAILABLE.as_u16(),
        }
    }

    /// What is shown and saved of it.
    pub(super) fn text(&self) -> String {
        match self {
            Refusal::Rejected(rejection) => rejection.to_string(),
            Refusal::Ignored(_, text) => text.clone(),
            Refusal::Unstored(error) => format!("not stored in the inbox: {error}"),
        }
    }

    /// What the sender is answered: the text, but for a delivery the inbox could not store,
    /// which is answered a fixed sentence (the database's trouble is shown here, not sent).
    fn answer(&self) -> String {
        match self {
            Refusal::Unstored(_) => clinchpad_webhook_inbox::UNSTORED.to_owned(),
            other => other.text(),
        }
    }
}

/// The request's duration, by method and status, for `--metrics` (nothing without it).
fn answered(method: &Method, status: StatusCode, elapsed: std::time::Duration) {
    let method = match *method {
        Method::POST => "POST",
        Method::GET => "GET",
        _ => "other",
    };
    metrics::histogram!(
        "http.server.request.duration",
        "http.request.method" => method,
        "http.response.status_code" => status.as_u16().to_string()
    )
    .record(elapsed.as_secs_f64());
}

fn text_response(status: StatusCode, text: String) -> hyper::http::Result<Response<Full<Bytes>>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(text)))
}
