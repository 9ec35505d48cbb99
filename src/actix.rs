//! [actix-web](https://docs.rs/actix-web/4) extractors: a [`Delivery`] that a [`Receiver`]
//! has read, limited, verified and typed as far as it fits (tolerant), or a
//! [`ClinchPadWebhook`] whose payload fits (strict), with the raw body.
//!
//! **Available with the crate feature `actix-web` only**:
//! `clinchpad-webhook = { version = "0.1", features = ["actix-web"] }`.
//!
//! The extractors are thin adapters: they find the [`Receiver`] in the app's data, read the
//! query string and the body within the receiver's limit, and call [`Receiver::accept`]
//! ([`Delivery`]) or [`Receiver::receive`] ([`ClinchPadWebhook`]). Everything else (the keys,
//! where they may come from, the statuses) is the receiver's, the same as with the `axum`
//! feature.
//!
//! # Tolerant or strict
//!
//! Take a [`Delivery`] in a receiver that faces ClinchPad: a verified delivery whose shape
//! drifted from the documentation is handed over with its error instead of being refused,
//! since a refused delivery is lost. Keep what is not fully typed (the body without its key,
//! and the error) and answer 2xx. Take a [`ClinchPadWebhook`] where a body that does not fit
//! should be refused with 400.
//!
//! ```
//! use actix_web::HttpResponse;
//! use clinchpad_webhook::{escape_text, Delivery};
//!
//! async fn hook(delivery: Delivery) -> HttpResponse {
//!     match (delivery.payload(), delivery.error()) {
//!         // What the body says, escaped and with the receiver's keys masked.
//!         (Some(payload), None) => println!("{}", delivery.redact(&escape_text(&payload.lead.name))),
//!         // Store `delivery.body_to_store()` and the error, to look at later.
//!         (_, error) => eprintln!("kept a delivery that does not fit: {error:?}"),
//!     }
//!     HttpResponse::NoContent().finish()
//! }
//! ```
//!
//! # Set-up
//!
//! Put the receiver in the app's data, as a plain value (`App::app_data(receiver)`) or as
//! `web::Data<Receiver>`. Build it once at start-up with [`Receiver::from_env`], which fails
//! closed: an unset or empty variable stops the start-up with an error naming it.
//!
//! ```no_run
//! use actix_web::{web, App, HttpResponse, HttpServer};
//! use clinchpad_webhook::{actix::ClinchPadWebhook, escape_text, Receiver};
//!
//! async fn hook(webhook: ClinchPadWebhook) -> HttpResponse {
//!     let line = format!("{} on {}", webhook.activity.kind.type_name(), webhook.lead.name);
//!     println!("{}", webhook.redact(&escape_text(&line)));
//!     HttpResponse::NoContent().finish()
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?;
//!     actix_web::rt::System::new().block_on(
//!         HttpServer::new(move || {
//!             App::new()
//!                 .app_data(receiver.clone())
//!                 .route("/hooks/clinchpad", web::post().to(hook))
//!         })
//!         .bind("127.0.0.1:3000")?
//!         .run(),
//!     )?;
//!     Ok(())
//! }
//! ```
//!
//! # Rejections
//!
//! A refused request is answered with the [`Rejection`]'s status (400, 401 or 413) and its
//! text, which never holds a key; actix-web's `PayloadConfig` does not apply, the receiver's
//! limit does. An app with no [`Receiver`] in its data is answered `500`, with a text that
//! says so. To log rejections, take `Result<ClinchPadWebhook, actix_web::Error>` and look for
//! the [`Rejection`] in the error:
//!
//! ```
//! use actix_web::{HttpResponse, ResponseError};
//! use clinchpad_webhook::{actix::ClinchPadWebhook, Rejection};
//!
//! async fn hook(webhook: Result<ClinchPadWebhook, actix_web::Error>) -> HttpResponse {
//!     match webhook {
//!         Ok(webhook) => HttpResponse::NoContent().finish(),
//!         Err(err) => {
//!             if let Some(rejection) = err.as_error::<Rejection>() {
//!                 eprintln!("refused a webhook: {rejection}"); // never holds a key
//!             }
//!             err.error_response()
//!         }
//!     }
//! }
//! ```
//!
//! # Testing a route
//!
//! A request through the app, with no server: actix-web's `test` module.
//!
//! ```
//! use actix_web::{http::StatusCode, test, web, App, HttpResponse};
//! use clinchpad_webhook::{actix::ClinchPadWebhook, HandshakeKey, Receiver};
//!
//! async fn hook(webhook: ClinchPadWebhook) -> HttpResponse {
//!     HttpResponse::Ok().body(webhook.lead.name.clone())
//! }
//!
//! actix_web::rt::System::new().block_on(async {
//!     let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa").unwrap());
//!     let app = test::init_service(
//!         App::new().app_data(receiver).route("/hooks/clinchpad", web::post().to(hook)),
//!     )
//!     .await;
//!     let post = |body: Vec<u8>| test::TestRequest::post().uri("/hooks/clinchpad").set_payload(body).to_request();
//!
//!     let delivery = std::fs::read("fixtures/lead_won.json").unwrap();
//!     let response = test::call_service(&app, post(delivery)).await;
//!     assert_eq!(response.status(), StatusCode::OK);
//!
//!     let response = test::call_service(&app, post(b"{}".to_vec())).await;
//!     assert_eq!(response.status(), StatusCode::BAD_REQUEST);
//! });
//! ```

use std::future::{poll_fn, Future};
use std::ops::Deref;
use std::pin::Pin;

use ::actix_web::dev::Payload as Body;
use ::actix_web::http::{header, StatusCode};
use ::actix_web::web::{Bytes, BytesMut, Data};
use ::actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_core::Stream;

use crate::{Delivery, Payload, Receiver, Rejection};

/// Extractor for a ClinchPad delivery: the payload, read and checked by the [`Receiver`] in
/// the app's data, and the raw body it was read from (for an audit log, or to forward the
/// delivery as it came).
///
/// ```
/// use actix_web::HttpResponse;
/// use clinchpad_webhook::{actix::ClinchPadWebhook, escape_text};
///
/// async fn hook(webhook: ClinchPadWebhook) -> HttpResponse {
///     let (payload, body) = (&webhook.payload, &webhook.body);
///     let line = format!("{} on {} ({} bytes)", payload.activity.kind.type_name(), payload.lead.name, body.len());
///     println!("{}", webhook.redact(&escape_text(&line))); // escaped, and the keys masked
///     HttpResponse::NoContent().finish()
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
/// with the crate feature `actix-web` only.**
impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// Strict: a body whose shape does not fit is refused (400). See [`Receiver::receive`].
impl FromRequest for ClinchPadWebhook {
    type Error = ::actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, body: &mut Body) -> Self::Future {
        let request = Read::start(req, body);
        Box::pin(async move {
            let (receiver, query, body) = request.finish().await?;
            let payload = receiver.receive(Some(&query), &body)?;
            Ok(ClinchPadWebhook {
                payload,
                body,
                keys: receiver.masking(),
            })
        })
    }
}

/// Tolerant: a verified body whose shape does not fit is handed over with its error. See
/// [`Receiver::accept`].
impl FromRequest for Delivery {
    type Error = ::actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, body: &mut Body) -> Self::Future {
        let request = Read::start(req, body);
        Box::pin(async move {
            let (receiver, query, body) = request.finish().await?;
            Ok(receiver.accept_body(Some(&query), Vec::from(body))?)
        })
    }
}

/// What an extractor takes from the request before its future runs.
struct Read {
    receiver: Option<Receiver>,
    query: String,
    declared: Option<u64>,
    body: Body,
}

impl Read {
    fn start(req: &HttpRequest, body: &mut Body) -> Self {
        let receiver = req.app_data::<Receiver>().cloned().or_else(|| {
            req.app_data::<Data<Receiver>>()
                .map(|data| Receiver::clone(data))
        });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse().ok());
        Read {
            receiver,
            query: req.query_string().to_owned(),
            declared,
            body: body.take(),
        }
    }

    /// The receiver, the query string and the body, read within the receiver's limit:
    /// refused from the head when it declares a longer body or carries a wrong
    /// `handshake_key` query parameter, and as soon as the body passes the limit.
    async fn finish(mut self) -> Result<(Receiver, String, Bytes), ::actix_web::Error> {
        let Some(receiver) = self.receiver else {
            return Err(::actix_web::error::ErrorInternalServerError(
                "the ClinchPad webhook extractor needs a Receiver in the app's data",
            ));
        };
        receiver.check_head(Some(&self.query), self.declared)?;
        let mut read = BytesMut::new();
        while let Some(chunk) = poll_fn(|cx| Pin::new(&mut self.body).poll_next(cx)).await {
            let chunk = chunk.map_err(Rejection::body_unreadable)?;
            if read.len() + chunk.len() > receiver.body_limit() {
                return Err(receiver.too_large().into());
            }
            read.extend_from_slice(&chunk);
        }
        Ok((receiver, self.query, read.freeze()))
    }
}
