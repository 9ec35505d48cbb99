//! A [tower](https://docs.rs/tower) layer: [`ReceiverLayer`] reads, limits, verifies and types
//! each request's body with a [`Receiver`], answers the refusals itself, and hands your
//! service the request with the [`Delivery`] (or, strict, the [`Payload`]) in its extensions.
//!
//! **Available with the crate feature `tower` only**:
//! `clinchpad-webhook = { version = "0.1", features = ["tower"] }`.
//!
//! It works on any `http::Request<B>` whose body is an [`http_body::Body`]: hyper's, axum's,
//! AWS Lambda's (`lambda_http`), and whatever else speaks `http` 1.x and tower. The behaviour
//! is the [`Receiver`]'s, the same as in the axum and actix-web extractors:
//!
//! - a request that is not a POST is answered 405 (with `Allow: POST`);
//! - a body over the receiver's limit 413, a wrong or missing key 401, a body that is not one
//!   JSON object (or, strict, does not fit the documentation) 400, each with the reason as
//!   text, in which no key appears;
//! - anything else reaches your service, its body still readable (the bytes as they came),
//!   with a [`Delivery`] in its extensions ([`ReceiverLayer::strict`]: a [`Payload`]).
//!
//! ```
//! use std::convert::Infallible;
//!
//! use bytes::Bytes;
//! use clinchpad_webhook::tower::ReceiverLayer;
//! use clinchpad_webhook::{Delivery, Receiver};
//! use http_body_util::Full;
//! use tower::{service_fn, Layer, ServiceExt};
//!
//! async fn hook(request: http::Request<Full<Bytes>>) -> Result<http::Response<Full<Bytes>>, Infallible> {
//!     let delivery = request.extensions().get::<Delivery>().expect("the layer put it there");
//!     let text = format!("{}", delivery.type_name().unwrap_or("?"));
//!     Ok(http::Response::new(Full::new(Bytes::from(text))))
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let receiver = Receiver::new("gfhkd1asfsa".parse()?);
//! let service = ReceiverLayer::new(receiver).layer(service_fn(hook));
//!
//! let body = std::fs::read("fixtures/lead_won.json")?;
//! let request = http::Request::post("/hooks/clinchpad").body(Full::new(Bytes::from(body)))?;
//! let response = service.clone().oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//!
//! let forged = http::Request::post("/").body(Full::new(Bytes::from_static(b"{}")))?;
//! assert_eq!(service.oneshot(forged).await?.status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! With axum, put it on the route (`.route_layer(ReceiverLayer::new(receiver))`) and take the
//! delivery with `Extension<Delivery>`; most users of axum want the extractors of
//! [`crate::axum`] instead, which need no layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use tower_layer::Layer;
use tower_service::Service;

#[cfg(doc)]
use crate::Payload;
use crate::{Delivery, Receiver, Rejection};

/// Puts a [`Receiver`] in front of a service: see the [module](self).
#[derive(Debug, Clone)]
pub struct ReceiverLayer {
    receiver: Arc<Receiver>,
    strict: bool,
}

impl ReceiverLayer {
    /// Tolerant, as [`Receiver::accept`]: a verified delivery that does not fit the
    /// documentation reaches the service with its error ([`Delivery::error`]).
    pub fn new(receiver: Receiver) -> Self {
        ReceiverLayer {
            receiver: Arc::new(receiver),
            strict: false,
        }
    }

    /// Strict, as [`Receiver::receive`]: a delivery that does not fit is refused (400), and
    /// the service finds a [`Payload`] in the extensions instead of a
    /// [`Delivery`].
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }
}

impl<S> Layer<S> for ReceiverLayer {
    type Service = ReceiverService<S>;

    fn layer(&self, inner: S) -> ReceiverService<S> {
        ReceiverService {
            inner,
            receiver: self.receiver.clone(),
            strict: self.strict,
        }
    }
}

/// The service [`ReceiverLayer`] makes.
#[derive(Debug, Clone)]
pub struct ReceiverService<S> {
    inner: S,
    receiver: Arc<Receiver>,
    strict: bool,
}

/// A response: a refusal of the layer's own, or the service's.
pub type ReceiverResponse<B> = Response<Either<Full<Bytes>, B>>;

/// What [`ReceiverService`] returns: a boxed future that can be sent between threads (as
/// multi-threaded runtimes, and `lambda_http`, need), so that a function can name its
/// service's type.
pub type ReceiverFuture<B, E> =
    Pin<Box<dyn Future<Output = Result<ReceiverResponse<B>, E>> + Send>>;

impl<S, B, ResBody> Service<Request<B>> for ReceiverService<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = ReceiverResponse<ResBody>;
    type Error = S::Error;
    type Future = ReceiverFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was made ready is the one called; its clone waits for next time.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let receiver = self.receiver.clone();
        let strict = self.strict;
        Box::pin(async move {
            let request = match read(request, &receiver, strict).await {
                Ok(request) => request,
                Err(refusal) => return Ok(refusal.map(Either::Left)),
            };
            let response = inner.call(request).await?;
            Ok(response.map(Either::Right))
        })
    }
}

/// The request with its body read and its delivery in the extensions, or the answer that
/// refuses it.
async fn read<B>(
    request: Request<B>,
    receiver: &Receiver,
    strict: bool,
) -> Result<Request<Full<Bytes>>, Response<Full<Bytes>>>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST {
        let mut answer = text(StatusCode::METHOD_NOT_ALLOWED, "deliveries are POSTed");
        answer
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return Err(answer);
    }
    let query = parts.uri.query();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse().ok());
    receiver.check_head(query, declared).map_err(refusal)?;
    let bytes = match Limited::new(body, receiver.body_limit()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => return Err(refusal(receiver.too_large())),
        Err(err) => return Err(refusal(Rejection::body_unreadable(err))),
    };
    let mut extensions = http::Extensions::new();
    if strict {
        extensions.insert(receiver.receive(query, &bytes).map_err(refusal)?);
    } else {
        extensions.insert::<Delivery>(receiver.accept(query, &bytes).map_err(refusal)?);
    }
    let mut request = Request::from_parts(parts, Full::new(bytes));
    request.extensions_mut().extend(extensions);
    Ok(request)
}

/// The answer to a refused request: its status, and its reason as text (with no key in it).
fn refusal(rejection: Rejection) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, &rejection.to_string())
}

fn text(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(Bytes::from(text.to_owned())));
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    answer
}
