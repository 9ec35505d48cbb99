//! [axum](https://docs.rs/axum/0.8) extractors: a [`Delivery`] that a [`Receiver`] has read,
//! limited, verified and typed as far as it fits (tolerant), or a [`ClinchPadWebhook`] whose
//! payload fits (strict), with the raw body.
//!
//! **Available with the crate feature `axum` only**:
//! `clinchpad-webhook = { version = "0.1", features = ["axum"] }`.
//!
//! The extractors are thin adapters: all they do is read the request's query string and body
//! within the receiver's limit and call [`Receiver::accept`] ([`Delivery`]) or
//! [`Receiver::receive`] ([`ClinchPadWebhook`]). Everything else (the keys, where they may
//! come from, the statuses) is the [`Receiver`]'s, the same in every framework.
//!
//! # Tolerant or strict
//!
//! Take a [`Delivery`] in a receiver that faces ClinchPad: a verified delivery whose shape
//! drifted from the documentation is handed over with its error instead of being refused,
//! since a refused delivery is lost. Keep what is not fully typed (the body without its key,
//! and the error) and answer 2xx:
//!
//! ```
//! use axum::{http::StatusCode, routing::post, Router};
//! use clinchpad_webhook::{escape_text, Delivery, Receiver};
//!
//! async fn hook(delivery: Delivery) -> StatusCode {
//!     match (delivery.payload(), delivery.error()) {
//!         // What the body says, escaped and with the receiver's keys masked.
//!         (Some(payload), None) => println!("{}", delivery.redact(&escape_text(&payload.lead.name))),
//!         (_, Some(error)) => {
//!             // Store `delivery.body_to_store()` and the error, to look at later.
//!             eprintln!("kept a delivery that does not fit: {error}");
//!         }
//!         (None, None) => unreachable!("a delivery without a payload has an error"),
//!     }
//!     StatusCode::NO_CONTENT
//! }
//!
//! # std::env::set_var("CLINCHPAD_HANDSHAKE_KEY", "gfhkd1asfsa");
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?);
//! # let _ = app;
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! Take a [`ClinchPadWebhook`] where a body that does not fit should be refused with 400: in
//! tests, or behind a receiver of your own that keeps what it refuses.
//!
//! # Set-up
//!
//! The extractor takes its [`Receiver`] from the router's state: make the receiver the
//! state, or put it in your own state and implement [`FromRef`] for it (or
//! `#[derive(FromRef)]` with axum's `macros` feature). Build it once at start-up with
//! [`Receiver::from_env`], which fails closed: an unset or empty variable stops the start-up
//! with an error naming it.
//!
//! ```
//! use axum::{http::StatusCode, routing::post, Router};
//! use clinchpad_webhook::axum::ClinchPadWebhook;
//! use clinchpad_webhook::{activity::LeadWon, escape_text, Receiver};
//!
//! async fn hook(webhook: ClinchPadWebhook) -> StatusCode {
//!     if let Some(LeadWon {}) = webhook.payload.activity.kind.get() {
//!         println!("{} was won", webhook.redact(&escape_text(&webhook.payload.lead.name)));
//!     }
//!     StatusCode::NO_CONTENT
//! }
//!
//! # std::env::set_var("CLINCHPAD_HANDSHAKE_KEY", "gfhkd1asfsa");
//! let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?;
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(receiver);
//! // axum::serve(listener, app).await?;
//! # let _ = app;
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! With state of your own:
//!
//! ```
//! use axum::{extract::{FromRef, State}, http::StatusCode, routing::post, Router};
//! use clinchpad_webhook::{axum::ClinchPadWebhook, escape_text};
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     webhook: Receiver,
//!     service_name: &'static str,
//! }
//!
//! impl FromRef<AppState> for Receiver {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.webhook.clone()
//!     }
//! }
//!
//! // The body-reading extractor goes last, as always in axum.
//! async fn hook(State(app): State<AppState>, webhook: ClinchPadWebhook) -> StatusCode {
//!     let line = format!("{} on {}", webhook.activity.kind.type_name(), webhook.lead.name);
//!     println!("{}: {}", app.service_name, webhook.redact(&escape_text(&line)));
//!     StatusCode::NO_CONTENT
//! }
//!
//! let webhook = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?).with_body_limit(64 * 1024);
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(AppState { webhook, service_name: "crm-sync" });
//! # let _ = app;
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! # Rejections
//!
//! A refused request is answered with the [`Rejection`]'s status (400, 401 or 413) and its
//! text, which never holds a key. A body over the limit is refused from its `Content-Length`
//! before it is read, and a wrong `handshake_key` query parameter before the body is read.
//! axum's `DefaultBodyLimit` does not apply: the receiver's limit does. To log rejections,
//! take `Result<ClinchPadWebhook, Rejection>`:
//!
//! ```
//! use axum::response::{IntoResponse, Response};
//! use clinchpad_webhook::{axum::ClinchPadWebhook, escape_text, Rejection};
//!
//! async fn hook(webhook: Result<ClinchPadWebhook, Rejection>) -> Response {
//!     match webhook {
//!         Ok(webhook) => {
//!             println!("{}", webhook.redact(&escape_text(webhook.activity.kind.type_name())));
//!             axum::http::StatusCode::NO_CONTENT.into_response()
//!         }
//!         Err(rejection) => {
//!             eprintln!("refused a webhook: {rejection}"); // never holds a key
//!             rejection.into_response()
//!         }
//!     }
//! }
//! ```
//!
//! # Testing a route
//!
//! A request through the router, with no server: `tower`'s `oneshot`, which needs `tower`
//! with its `util` feature among your dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! tower = { version = "0.5", features = ["util"] }
//! tokio = { version = "1", features = ["macros", "rt"] }
//! ```
//!
//! ```
//! use axum::{body::Body, http::{Request, StatusCode}, routing::post, Router};
//! use clinchpad_webhook::{axum::ClinchPadWebhook, HandshakeKey, Receiver};
//! use tower::ServiceExt;
//!
//! async fn hook(webhook: ClinchPadWebhook) -> StatusCode {
//!     assert_eq!(webhook.body.len(), std::fs::read("fixtures/lead_won.json").unwrap().len());
//!     StatusCode::NO_CONTENT
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let app = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(Receiver::new(HandshakeKey::new("gfhkd1asfsa").unwrap()));
//! let request = |body: Vec<u8>| Request::post("/hooks/clinchpad").body(Body::from(body)).unwrap();
//!
//! let delivery = std::fs::read("fixtures/lead_won.json").unwrap();
//! let response = app.clone().oneshot(request(delivery)).await.unwrap();
//! assert_eq!(response.status(), StatusCode::NO_CONTENT);
//!
//! let forged = std::fs::read_to_string("fixtures/lead_won.json").unwrap().replace("gfhkd1asfsa", "guess");
//! let response = app.oneshot(request(forged.into_bytes())).await.unwrap();
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! # });
//! ```
//!
//! The feature needs the Rust version that the axum 0.8 release in use needs, which for recent
//! releases is above this crate's own minimum.

use std::error::Error as StdError;
use std::ops::Deref;

use ::axum::body::{to_bytes, Bytes};
use ::axum::extract::{FromRef, FromRequest, Request};
use ::axum::http::{header, StatusCode, Uri};
use ::axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;

use crate::{Delivery, Payload, Receiver, Rejection};

/// Extractor for a ClinchPad delivery: the payload, read and checked by the [`Receiver`] in
/// the router's state, and the raw body it was read from (for an audit log, or to forward the
/// delivery as it came). It consumes the body, so it goes last among a handler's arguments.
///
/// ```
/// # use axum::http::StatusCode;
/// use clinchpad_webhook::{axum::ClinchPadWebhook, escape_text};
///
/// async fn hook(webhook: ClinchPadWebhook) -> StatusCode {
///     let (payload, body) = (&webhook.payload, &webhook.body);
///     let line = format!("{} on {} ({} bytes)", payload.activity.kind.type_name(), payload.lead.name, body.len());
///     println!("{}", webhook.redact(&escape_text(&line))); // escaped, and the keys masked
///     StatusCode::NO_CONTENT
/// }
/// ```
#[derive(Clone, PartialEq)]
pub struct ClinchPadWebhook {
    /// The payload, verified unless the receiver is [unverified](Receiver::unverified).
    pub payload: Payload,
    /// The request's body, exactly as it came, key included: to keep it (an audit log),
    /// remove the key with [`strip_handshake_key`](crate::strip_handshake_key). The
    /// extractor's `Debug` shows only its length.
    pub body: Bytes,
    /// The receiver's keys, masked in its `Debug`.
    keys: crate::key::redact::Masking,
}

/// The payload (whose `Debug` hides its key) and the body's length: never the body, which
/// holds the key as it came. Every key of the receiver is masked wherever the payload quotes
/// it (a note, a name, an id).
impl std::fmt::Debug for ClinchPadWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = crate::key::redact::WebhookDebug(&self.payload, self.body.len());
        self.keys.debug(f, &shown)
    }
}

impl ClinchPadWebhook {
    /// `text` with every key of the receiver masked (`***`), however it is written: for
    /// logging what the payload carries, after [`escape_text`](crate::escape_text). See
    /// [`Delivery::redact`].
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        crate::key::redact::redact(text, self.keys.texts())
    }
}

impl Deref for ClinchPadWebhook {
    type Target = Payload;

    fn deref(&self) -> &Payload {
        &self.payload
    }
}

/// Answers with the rejection's status and its text (plain text; never a key). **Available
/// with the crate feature `axum` only.**
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (status, self.to_string()).into_response()
    }
}

/// Strict: a body whose shape does not fit is refused (400). See [`Receiver::receive`].
impl<S> FromRequest<S> for ClinchPadWebhook
where
    Receiver: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejection> {
        let receiver = Receiver::from_ref(state);
        let (uri, body) = read(req, &receiver).await?;
        let payload = receiver.receive(uri.query(), &body)?;
        Ok(ClinchPadWebhook {
            payload,
            body,
            keys: receiver.masking(),
        })
    }
}

/// Tolerant: a verified body whose shape does not fit is handed over with its error. See
/// [`Receiver::accept`].
impl<S> FromRequest<S> for Delivery
where
    Receiver: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejection> {
        let receiver = Receiver::from_ref(state);
        let (uri, body) = read(req, &receiver).await?;
        receiver.accept_body(uri.query(), Vec::from(body))
    }
}

/// The request's URI and its body, read within the receiver's limit: refused from its head
/// when it declares a longer body or carries a wrong `handshake_key` query parameter, and as
/// soon as the body passes the limit.
async fn read(req: Request, receiver: &Receiver) -> Result<(Uri, Bytes), Rejection> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse().ok());
    receiver.check_head(parts.uri.query(), declared)?;
    let body = to_bytes(body, receiver.body_limit()).await.map_err(|err| {
        if is_length_limit(&err) {
            receiver.too_large()
        } else {
            Rejection::body_unreadable(err)
        }
    })?;
    Ok((parts.uri, body))
}

/// Whether a body error is a length limit being hit, here or in an outer layer.
fn is_length_limit(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use ::axum::body::{Body, HttpBody};
    use http_body_util::BodyExt;

    use super::*;
    use crate::HandshakeKey;

    const KEY: &str = "gfhkd1asfsa";

    fn body() -> String {
        format!(
            r#"{{"activity": {{"_id": "a1", "created_at": "2024-03-05T14:07:31Z", "type": "lead:won"}},
                "lead": {{"_id": "l1", "name": "Acme"}}, "handshake_key": "{KEY}"}}"#
        )
    }

    fn request(query: &str, body: impl Into<Body>) -> Request {
        Request::post(format!("/hook{query}"))
            .body(body.into())
            .unwrap()
    }

    async fn extract(receiver: &Receiver, req: Request) -> Result<ClinchPadWebhook, Rejection> {
        ClinchPadWebhook::from_request(req, receiver).await
    }

    fn keyed() -> Receiver {
        Receiver::new(HandshakeKey::new(KEY).unwrap())
    }

    #[tokio::test]
    async fn the_handler_gets_the_payload_and_the_body_as_it_came() {
        let webhook = extract(&keyed(), request("", body())).await.unwrap();
        assert_eq!(webhook.payload.lead.name, "Acme");
        assert_eq!(webhook.body, body().as_bytes());
        assert_eq!(webhook.lead.name, "Acme");
    }

    #[tokio::test]
    async fn the_query_string_reaches_the_receiver() {
        let no_key = body().replace(r#", "handshake_key": "gfhkd1asfsa""#, "");
        assert!(extract(
            &keyed(),
            request("?handshake_key=gfhkd1asfsa", no_key.clone())
        )
        .await
        .is_ok());
        let err = extract(&keyed(), request("", no_key)).await.unwrap_err();
        assert_eq!(err.status(), 401);
        // A wrong query key is refused before the body is read.
        let err = extract(
            &keyed(),
            request("?handshake_key=x", Body::new(FailingBody)),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 401);
    }

    #[tokio::test]
    async fn the_body_limit_holds_with_and_without_content_length() {
        let exact = keyed().with_body_limit(body().len());
        assert!(extract(&exact, request("", body())).await.is_ok());

        // No Content-Length: the body is streamed until the limit is passed.
        let short = keyed().with_body_limit(body().len() - 1);
        let err = extract(&short, request("", body())).await.unwrap_err();
        assert!(matches!(err, Rejection::PayloadTooLarge { limit } if limit == body().len() - 1));
        assert_eq!(err.into_response().status(), StatusCode::PAYLOAD_TOO_LARGE);

        // A declared length over the limit is refused without reading the body.
        let mut req = request("", Body::new(FailingBody));
        req.headers_mut()
            .insert(header::CONTENT_LENGTH, "1048577".parse().unwrap());
        let err = extract(&keyed(), req).await.unwrap_err();
        assert_eq!(err.status(), 413);
    }

    /// A body whose reading fails.
    struct FailingBody;

    impl HttpBody for FailingBody {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset\nforged line",
            ))))
        }
    }

    #[tokio::test]
    async fn a_failed_read_is_400_in_one_line() {
        let err = extract(&keyed(), request("", Body::new(FailingBody)))
            .await
            .unwrap_err();
        assert!(matches!(err, Rejection::BodyUnreadable(_)), "{err:?}");
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            text.contains("connection reset") && !text.contains('\n'),
            "{text}"
        );
    }
}
