//! An [axum](https://docs.rs/axum/0.8) extractor: [`ClinchPadWebhook`] reads, parses and
//! verifies a ClinchPad webhook POST before your handler runs.
//!
//! # Set-up
//!
//! The extractor takes its settings, a [`WebhookConfig`], from the router's state. Build the
//! config once at start-up with [`WebhookConfig::from_env`], which fails closed: an unset or
//! empty variable stops the start-up with an error naming it, instead of accepting forged
//! posts. Then either make the config the state, or put it in your own state and implement
//! [`FromRef`] for it (or `#[derive(FromRef)]` with axum's `macros` feature).
//!
//! ```
//! use axum::{http::StatusCode, routing::post, Router};
//! use clinchpad_webhook::axum::{ClinchPadWebhook, WebhookConfig};
//! use clinchpad_webhook::ActivityKind;
//!
//! async fn hook(ClinchPadWebhook(payload): ClinchPadWebhook) -> StatusCode {
//!     if let ActivityKind::LeadWon {} = payload.activity.kind {
//!         println!("{} was won", payload.lead.name);
//!     }
//!     StatusCode::NO_CONTENT
//! }
//!
//! # std::env::set_var("CLINCHPAD_HANDSHAKE_KEY", "gfhkd1asfsa");
//! // At start-up: an unset or empty variable is an error here, not an open door.
//! let config = WebhookConfig::from_env("CLINCHPAD_HANDSHAKE_KEY")?;
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(config);
//! // axum::serve(listener, app).await?;
//! # let _ = app;
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! With state of your own:
//!
//! ```
//! use axum::{extract::{FromRef, State}, http::StatusCode, routing::post, Router};
//! use clinchpad_webhook::axum::{ClinchPadWebhook, WebhookConfig};
//! use clinchpad_webhook::HandshakeKey;
//!
//! #[derive(Clone)]
//! struct AppState {
//!     webhook: WebhookConfig,
//!     service_name: &'static str,
//! }
//!
//! impl FromRef<AppState> for WebhookConfig {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.webhook.clone()
//!     }
//! }
//!
//! // The body-reading extractor goes last, as always in axum.
//! async fn hook(State(app): State<AppState>, ClinchPadWebhook(payload): ClinchPadWebhook) -> StatusCode {
//!     println!("{}: {} on {}", app.service_name, payload.activity.kind.type_name(), payload.lead.name);
//!     StatusCode::NO_CONTENT
//! }
//!
//! let webhook = WebhookConfig::new(HandshakeKey::new("gfhkd1asfsa")?).with_body_limit(64 * 1024);
//! let app: Router = Router::new()
//!     .route("/hooks/clinchpad", post(hook))
//!     .with_state(AppState { webhook, service_name: "crm-sync" });
//! # let _ = app;
//! # Ok::<(), clinchpad_webhook::Error>(())
//! ```
//!
//! # What the extractor does
//!
//! 1. Looks for `handshake_key` in the query string. With a key configured, a query copy that
//!    does not match is rejected at once, before the body is read.
//! 2. Reads the body, up to [`WebhookConfig::body_limit`] bytes (default
//!    [`WebhookConfig::DEFAULT_BODY_LIMIT`], 1 MiB). A larger body is refused with
//!    `413 Payload Too Large`, from its `Content-Length` before reading when it has one.
//!    axum's `DefaultBodyLimit` does not apply: this limit does.
//! 3. Parses it with [`parse`]. The `Content-Type` header is not looked at:
//!    ClinchPad's is not documented, and the body is checked strictly anyway.
//! 4. With a key configured, checks the key with [`verify`] / [`verify_key`] (constant-time).
//!
//! # Where the key comes from
//!
//! ClinchPad documents the key as the body field `handshake_key` but also says it is
//! "included as a parameter", so a `handshake_key` query parameter is accepted too. **Every
//! copy the request carries must match**: the body field, and each `handshake_key` query
//! parameter. One matching copy is enough, and a request with none is `401`. Two copies that
//! disagree are never a delivery from ClinchPad, which knows one key; they are what a request
//! looks like when someone has edited one copy, so letting either copy win would be a guess.
//!
//! # Without a key
//!
//! [`WebhookConfig::unverified`] parses and accepts every valid payload and checks no key:
//! anyone who knows the URL can post. Use it only when no handshake key is set in ClinchPad,
//! and choose it explicitly (a flag, a setting of its own), never as the fallback when the key
//! is missing; [`Payload::handshake_key`](crate::Payload::handshake_key) still holds a body key
//! if one came.
//!
//! # Rejections
//!
//! A failed extraction answers with [`WebhookRejection`] (plain text; never a key):
//!
//! | status | variant | when |
//! |---|---|---|
//! | 400 | [`InvalidPayload`](WebhookRejection::InvalidPayload) | not a valid payload; the text has the error's path, line and column |
//! | 400 | [`BodyUnreadable`](WebhookRejection::BodyUnreadable) | the body could not be read (client gone, broken chunked encoding) |
//! | 401 | [`Unauthorized`](WebhookRejection::Unauthorized) | key missing or wrong |
//! | 413 | [`PayloadTooLarge`](WebhookRejection::PayloadTooLarge) | body over the limit |
//!
//! To log rejections, take `Result<ClinchPadWebhook, WebhookRejection>` in the handler:
//!
//! ```
//! use axum::response::{IntoResponse, Response};
//! use clinchpad_webhook::axum::{ClinchPadWebhook, WebhookRejection};
//!
//! async fn hook(webhook: Result<ClinchPadWebhook, WebhookRejection>) -> Response {
//!     match webhook {
//!         Ok(ClinchPadWebhook(payload)) => {
//!             println!("{}", payload.activity.kind.type_name());
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
//! The feature needs the Rust version that the axum 0.8 release in use needs, which for recent
//! releases is above this crate's own minimum.

use std::error::Error as StdError;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use ::axum::body::{to_bytes, Body};
use ::axum::extract::{FromRef, FromRequest, Request};
use ::axum::http::{header, HeaderMap, StatusCode};
use ::axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;

use crate::{parse, verify, verify_key, Error, HandshakeKey, Payload};

/// The name of the key, as a body field and as a query parameter.
const KEY_FIELD: &str = "handshake_key";

/// Extractor for a parsed, verified ClinchPad webhook payload.
///
/// Its settings come from the router's state through [`WebhookConfig`]: `S` must give a
/// `WebhookConfig` by [`FromRef`]. See the [module docs](self) for what is checked and in what
/// order. It consumes the body, so it goes last among a handler's arguments.
///
/// ```
/// # use axum::http::StatusCode;
/// use clinchpad_webhook::axum::ClinchPadWebhook;
///
/// async fn hook(ClinchPadWebhook(payload): ClinchPadWebhook) -> StatusCode {
///     println!("{} on {}", payload.activity.kind.type_name(), payload.lead.name);
///     StatusCode::NO_CONTENT
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ClinchPadWebhook(pub Payload);

impl ClinchPadWebhook {
    /// The payload.
    pub fn into_inner(self) -> Payload {
        self.0
    }
}

impl Deref for ClinchPadWebhook {
    type Target = Payload;

    fn deref(&self) -> &Payload {
        &self.0
    }
}

/// Settings of the [`ClinchPadWebhook`] extractor: the expected handshake key, if any, and the
/// body size limit. Build it once at start-up and hand it to the router as state, or as part
/// of your state via [`FromRef`]. Cloning it is cheap.
///
/// `Debug` shows whether a key is set, never the key.
///
/// ```
/// use clinchpad_webhook::axum::WebhookConfig;
/// use clinchpad_webhook::{Error, HandshakeKey};
///
/// // At start-up: the key from the environment, or an error naming the variable. Running
/// // without a key is a decision of its own, made explicitly (here, a flag).
/// fn webhook_config(unverified: bool) -> Result<WebhookConfig, Error> {
///     if unverified {
///         Ok(WebhookConfig::unverified())
///     } else {
///         WebhookConfig::from_env("CLINCHPAD_HANDSHAKE_KEY")
///     }
/// }
///
/// let config = WebhookConfig::new(HandshakeKey::new("gfhkd1asfsa")?).with_body_limit(64 * 1024);
/// assert_eq!(config.body_limit(), 64 * 1024);
/// assert!(config.key().is_some());
/// assert!(!format!("{config:?}").contains("gfhkd1asfsa"));
/// assert_eq!(WebhookConfig::unverified().body_limit(), WebhookConfig::DEFAULT_BODY_LIMIT);
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookConfig {
    key: Option<Arc<HandshakeKey>>,
    body_limit: usize,
}

impl WebhookConfig {
    /// The default body limit: 1 MiB.
    ///
    /// A ClinchPad payload is about 1 KB; only free text (a note's content, an email's
    /// subject, names) can make it grow. 1 MiB leaves three orders of magnitude of room for a
    /// long note while bounding what one request can make the server buffer; it is half of
    /// axum's own default for `Json` and `Bytes`.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

    /// Checks every payload's handshake key against `key`.
    pub fn new(key: HandshakeKey) -> Self {
        WebhookConfig {
            key: Some(Arc::new(key)),
            body_limit: Self::DEFAULT_BODY_LIMIT,
        }
    }

    /// Checks every payload's handshake key against the key in the environment variable
    /// `variable`; fails closed, with [`Error::KeyNotConfigured`] naming the variable, when it
    /// is not set or is empty (see [`HandshakeKey::from_env`]).
    ///
    /// ```
    /// use clinchpad_webhook::axum::WebhookConfig;
    ///
    /// # std::env::remove_var("CLINCHPAD_HANDSHAKE_KEY_MISSPELLED");
    /// let err = WebhookConfig::from_env("CLINCHPAD_HANDSHAKE_KEY_MISSPELLED").unwrap_err();
    /// assert!(err.to_string().contains(r#""CLINCHPAD_HANDSHAKE_KEY_MISSPELLED" is not set"#));
    /// ```
    pub fn from_env(variable: &str) -> Result<Self, Error> {
        HandshakeKey::from_env(variable).map(WebhookConfig::new)
    }

    /// Checks no key: every valid payload is accepted, whoever sent it. Only for a webhook
    /// with no handshake key set in ClinchPad.
    pub fn unverified() -> Self {
        WebhookConfig {
            key: None,
            body_limit: Self::DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets the largest body accepted, in bytes; a larger one is `413 Payload Too Large`.
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// The expected key, or `None` for an [unverified](WebhookConfig::unverified) config.
    pub fn key(&self) -> Option<&HandshakeKey> {
        self.key.as_deref()
    }

    /// The largest body accepted, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

/// Why [`ClinchPadWebhook`] refused a request. As a response it is the status below with a
/// plain-text reason; neither the `Display` text, the response nor `Debug` ever holds a key.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// `400 Bad Request`: the body is not a valid payload. The error has the JSON path, line
    /// and column at fault, and so has the response.
    InvalidPayload(Error),
    /// `401 Unauthorized`: a key is configured, and the request carries none
    /// ([`Error::MissingKey`]) or a copy that does not match ([`Error::WrongKey`]).
    Unauthorized(Error),
    /// `413 Payload Too Large`: the body is longer than the configured limit.
    PayloadTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// `400 Bad Request`: reading the body failed (the client went away, broken chunked
    /// encoding).
    BodyUnreadable(::axum::Error),
}

impl WebhookRejection {
    /// The response's status code.
    ///
    /// ```
    /// use axum::http::StatusCode;
    /// use clinchpad_webhook::{axum::WebhookRejection, Error};
    ///
    /// assert_eq!(WebhookRejection::Unauthorized(Error::WrongKey).status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(WebhookRejection::PayloadTooLarge { limit: 10 }.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::InvalidPayload(_) | WebhookRejection::BodyUnreadable(_) => {
                StatusCode::BAD_REQUEST
            }
            WebhookRejection::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebhookRejection::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

/// A key error becomes [`Unauthorized`](WebhookRejection::Unauthorized), any other
/// [`InvalidPayload`](WebhookRejection::InvalidPayload).
impl From<Error> for WebhookRejection {
    fn from(err: Error) -> Self {
        if err.is_key_error() {
            WebhookRejection::Unauthorized(err)
        } else {
            WebhookRejection::InvalidPayload(err)
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::InvalidPayload(err) => {
                write!(f, "invalid ClinchPad webhook payload: {err}")
            }
            WebhookRejection::Unauthorized(Error::MissingKey) => f.write_str(
                "handshake key missing: send it as the `handshake_key` body field or query parameter",
            ),
            WebhookRejection::Unauthorized(_) => {
                f.write_str("handshake key does not match the expected key")
            }
            WebhookRejection::PayloadTooLarge { limit } => {
                write!(f, "request body is larger than the limit of {limit} bytes")
            }
            WebhookRejection::BodyUnreadable(err) => {
                write!(f, "could not read the request body: {err}")
            }
        }
    }
}

impl StdError for WebhookRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            WebhookRejection::InvalidPayload(err) | WebhookRejection::Unauthorized(err) => {
                Some(err)
            }
            WebhookRejection::BodyUnreadable(err) => Some(err),
            WebhookRejection::PayloadTooLarge { .. } => None,
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for ClinchPadWebhook
where
    WebhookConfig: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookConfig::from_ref(state);
        let expected = config.key();
        let (parts, body) = req.into_parts();

        // Every query copy must match; a wrong one is refused before the body is read.
        let query_keys = query_keys(parts.uri.query());
        if let Some(expected) = expected {
            for key in &query_keys {
                verify_key(Some(key), expected)?;
            }
        }

        let body = read_body(&parts.headers, body, config.body_limit).await?;
        let payload = parse(&body)?;

        if let Some(expected) = expected {
            // The body copy, when there is one, must match too; with none, the query copies
            // checked above are enough, and a request with no copy at all is refused.
            if payload.handshake_key.is_some() || query_keys.is_empty() {
                verify(&payload, expected)?;
            }
        }
        Ok(ClinchPadWebhook(payload))
    }
}

/// Every `handshake_key` value in the query string, decoded as a form.
fn query_keys(query: Option<&str>) -> Vec<String> {
    let Some(query) = query else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == KEY_FIELD)
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// Reads at most `limit` bytes; refuses a longer body from its `Content-Length` when it has
/// one, without reading it.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<::axum::body::Bytes, WebhookRejection> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(WebhookRejection::PayloadTooLarge { limit });
    }
    to_bytes(body, limit).await.map_err(|err| {
        if is_length_limit(&err) {
            WebhookRejection::PayloadTooLarge { limit }
        } else {
            WebhookRejection::BodyUnreadable(err)
        }
    })
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

    use ::axum::body::{Bytes, HttpBody};
    use ::axum::http::header::CONTENT_TYPE;
    use http_body_util::BodyExt;

    use super::*;

    const KEY: &str = "gfhkd1asfsa";

    fn body_with_key(key: Option<&str>) -> String {
        let key = key.map_or(String::new(), |key| {
            format!(r#", "handshake_key": {}"#, serde_json::json!(key))
        });
        format!(
            r#"{{"activity": {{"_id": "a1", "created_at": "2024-03-05T14:07:31Z", "type": "lead:won"}},
                "lead": {{"_id": "l1", "name": "Acme"}}{key}}}"#
        )
    }

    fn request(query: &str, body: impl Into<Body>) -> Request {
        Request::post(format!("/hook{query}"))
            .body(body.into())
            .unwrap()
    }

    async fn extract(
        config: &WebhookConfig,
        req: Request,
    ) -> Result<ClinchPadWebhook, WebhookRejection> {
        ClinchPadWebhook::from_request(req, config).await
    }

    fn keyed() -> WebhookConfig {
        WebhookConfig::new(HandshakeKey::new(KEY).unwrap())
    }

    fn assert_key_error(result: Result<ClinchPadWebhook, WebhookRejection>, want: Error) {
        match result {
            Err(WebhookRejection::Unauthorized(err)) => assert_eq!(err, want),
            other => panic!("expected {want:?}, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_copy_of_the_key_must_match() {
        let config = keyed();
        let ok = |query: &'static str, key: Option<&'static str>| {
            let config = config.clone();
            async move { extract(&config, request(query, body_with_key(key))).await }
        };
        // One copy, in either place.
        assert!(ok("", Some(KEY)).await.is_ok());
        assert!(ok("?handshake_key=gfhkd1asfsa", None).await.is_ok());
        // Both copies right, or the same copy twice in the query.
        assert!(ok("?handshake_key=gfhkd1asfsa", Some(KEY)).await.is_ok());
        assert!(
            ok("?handshake_key=gfhkd1asfsa&handshake_key=gfhkd1asfsa", None)
                .await
                .is_ok()
        );
        // Any wrong copy fails, whichever place is right.
        assert_key_error(ok("?handshake_key=wrong", Some(KEY)).await, Error::WrongKey);
        assert_key_error(
            ok("?handshake_key=gfhkd1asfsa", Some("wrong")).await,
            Error::WrongKey,
        );
        assert_key_error(
            ok("?handshake_key=gfhkd1asfsa&handshake_key=x", None).await,
            Error::WrongKey,
        );
        assert_key_error(ok("?handshake_key=", None).await, Error::WrongKey);
        assert_key_error(ok("", Some("")).await, Error::WrongKey);
        // No copy.
        assert_key_error(ok("", None).await, Error::MissingKey);
        assert_key_error(ok("?other=gfhkd1asfsa", None).await, Error::MissingKey);
    }

    #[tokio::test]
    async fn a_wrong_query_key_is_refused_before_the_body_is_read() {
        let result = extract(&keyed(), request("?handshake_key=nope", "not json")).await;
        assert_key_error(result, Error::WrongKey);
    }

    #[tokio::test]
    async fn query_keys_are_form_decoded() {
        let key = "a b+c/d&e=f ü";
        let config = WebhookConfig::new(HandshakeKey::new(key).unwrap());
        let query = "?handshake_key=a+b%2Bc%2Fd%26e%3Df%20%C3%BC&x=1";
        assert!(extract(&config, request(query, body_with_key(None)))
            .await
            .is_ok());
        assert!(extract(&config, request("", body_with_key(Some(key))))
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn unverified_parses_and_checks_no_key() {
        let config = WebhookConfig::unverified();
        let payload = extract(&config, request("", body_with_key(None)))
            .await
            .unwrap();
        assert_eq!(payload.lead.name, "Acme");
        let payload = extract(
            &config,
            request("?handshake_key=x", body_with_key(Some("y"))),
        )
        .await
        .unwrap();
        assert_eq!(payload.handshake_key.as_ref().unwrap().expose_secret(), "y");
        let err = extract(&config, request("", "[]")).await.unwrap_err();
        assert!(
            matches!(err, WebhookRejection::InvalidPayload(_)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn invalid_payload_is_400_with_the_errors_position() {
        let body = "{\"activity\": {\"_id\": 5}}";
        let rejection = extract(&keyed(), request("", body)).await.unwrap_err();
        let err = crate::parse(body.as_bytes()).unwrap_err();
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let text = response_text(response).await;
        assert!(text.contains(&err.to_string()), "{text}");
        assert!(text.contains("activity._id") && text.contains("line 1, column"));
    }

    #[tokio::test]
    async fn content_type_is_not_looked_at() {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "nonsense",
        ] {
            let mut req = request("", body_with_key(Some(KEY)));
            req.headers_mut()
                .insert(CONTENT_TYPE, content_type.parse().unwrap());
            assert!(extract(&keyed(), req).await.is_ok(), "{content_type}");
        }
    }

    #[tokio::test]
    async fn the_body_limit_holds_with_and_without_content_length() {
        let body = body_with_key(Some(KEY));
        let exact = keyed().with_body_limit(body.len());
        assert!(extract(&exact, request("", body.clone())).await.is_ok());

        let short = keyed().with_body_limit(body.len() - 1);
        // No Content-Length: the body is streamed until the limit is passed.
        let err = extract(&short, request("", body.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookRejection::PayloadTooLarge { limit } if limit == body.len() - 1)
        );
        assert_eq!(err.into_response().status(), StatusCode::PAYLOAD_TOO_LARGE);

        // A declared length over the limit is refused without reading the body.
        let mut req = request("", Body::new(FailingBody));
        req.headers_mut()
            .insert(header::CONTENT_LENGTH, "1048577".parse().unwrap());
        let err = extract(&keyed(), req).await.unwrap_err();
        assert!(matches!(
            err,
            WebhookRejection::PayloadTooLarge {
                limit: WebhookConfig::DEFAULT_BODY_LIMIT
            }
        ));

        // The default limit, streamed.
        let big = vec![b' '; WebhookConfig::DEFAULT_BODY_LIMIT + 1];
        let err = extract(&keyed(), request("", big)).await.unwrap_err();
        assert!(matches!(err, WebhookRejection::PayloadTooLarge { .. }));
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
                "connection reset",
            ))))
        }
    }

    #[tokio::test]
    async fn a_failed_read_is_400() {
        let err = extract(&keyed(), request("", Body::new(FailingBody)))
            .await
            .unwrap_err();
        assert!(
            matches!(err, WebhookRejection::BodyUnreadable(_)),
            "{err:?}"
        );
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response_text(response).await.contains("connection reset"));
    }

    #[tokio::test]
    async fn no_rejection_shows_a_key() {
        let cases = [
            ("?handshake_key=gfhkd1asfsb", body_with_key(Some(KEY))),
            ("", body_with_key(Some("gfhkd1asfsb"))),
            ("", body_with_key(None)),
            ("?handshake_key=gfhkd1asfsb", "[]".to_owned()),
        ];
        for (query, body) in cases {
            let rejection = extract(&keyed(), request(query, body)).await.unwrap_err();
            let debug = format!("{rejection:?}");
            let display = rejection.to_string();
            let response = response_text(rejection.into_response()).await;
            for text in [debug, display, response] {
                assert!(!text.contains("gfhkd1asfs"), "{text}");
            }
        }
        assert!(!format!("{:?}", keyed()).contains(KEY));
    }

    async fn response_text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
