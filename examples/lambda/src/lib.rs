//! A ClinchPad webhook receiver on AWS Lambda, behind API Gateway (REST or HTTP API) or a
//! function URL: the library's tower layer in front of a handler, run by `lambda_http`.
//!
//! The layer answers what it refuses itself (401 for a wrong or missing key, 400 for a body
//! that is not one JSON object, 413 over the limit, 405 for anything but a POST); every
//! delivery it takes reaches [`handle`] with its [`Delivery`], typed or drifted.

use bytes::Bytes;
use clinchpad_webhook::tower::{ReceiverFuture, ReceiverLayer, ReceiverResponse};
use clinchpad_webhook::{escape_text, Delivery, Receiver};
use http_body_util::Full;
use lambda_http::{http, Error, Request, Service};
use tower::{service_fn, Layer};

/// The function's service: `lambda_http::run(receiver_service(receiver))`.
pub fn receiver_service(
    receiver: Receiver,
) -> impl Service<
    Request,
    Response = ReceiverResponse<Full<Bytes>>,
    Error = Error,
    Future = ReceiverFuture<Full<Bytes>, Error>,
> + Clone {
    ReceiverLayer::new(receiver).layer(service_fn(handle))
}

/// The handler: what to do with each delivery. Here it logs it (to CloudWatch) and answers
/// 204; keep a drifted one (its body without its key, and its error) to look at later.
pub async fn handle(
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<Full<Bytes>>, Error> {
    let delivery = request
        .extensions()
        .get::<Delivery>()
        .ok_or("no delivery")?;
    match (delivery.payload(), delivery.error()) {
        (Some(_), None) => println!("{}", log_line(delivery)),
        (_, error) => eprintln!("kept a delivery that does not fit: {error:?}"),
    }
    Ok(http::Response::builder()
        .status(204)
        .body(Full::default())?)
}

/// The line logged for a delivery: what its body carries escaped (no forged log line) and
/// the receiver's keys masked (a lead named after the key shows `***`).
pub fn log_line(delivery: &Delivery) -> String {
    let loggable = |text: &str| delivery.redact(&escape_text(text)).into_owned();
    match delivery.payload() {
        Some(payload) => format!(
            "{} on {}",
            loggable(payload.activity.kind.type_name()),
            loggable(&payload.lead.name)
        ),
        None => loggable(delivery.type_name().unwrap_or("?")),
    }
}
