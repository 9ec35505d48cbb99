//! A ClinchPad webhook receiver on Cloudflare Workers: the library's tower layer in front of
//! a handler, on the `worker` crate's `http` types (no tokio). Build and deploy it with
//! `npx wrangler deploy`, after `npx wrangler secret put CLINCHPAD_HANDSHAKE_KEY`.

use std::convert::Infallible;

use bytes::Bytes;
use clinchpad_webhook::tower::{ReceiverLayer, ReceiverResponse};
use clinchpad_webhook::{escape_text, Delivery, HandshakeKey, Receiver};
use http_body_util::Full;
use tower::{service_fn, Layer, ServiceExt};
use worker::{console_error, console_log, event, Context, Env, HttpRequest};

#[event(fetch)]
async fn fetch(
    request: HttpRequest,
    env: Env,
    _ctx: Context,
) -> worker::Result<ReceiverResponse<Full<Bytes>>> {
    // Fails closed: without the secret (or with an empty one) every request is an error,
    // never a delivery taken without its key checked.
    let key = HandshakeKey::new(env.secret("CLINCHPAD_HANDSHAKE_KEY")?.to_string())
        .map_err(|err| worker::Error::RustError(err.to_string()))?;
    let service = ReceiverLayer::new(Receiver::new(key)).layer(service_fn(handle));
    Ok(service
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {}))
}

/// What to do with each delivery the layer takes: here, log it and answer 204.
async fn handle(
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    if let Some(delivery) = request.extensions().get::<Delivery>() {
        // What the body carries is escaped (no forged log line) and its keys masked.
        let loggable = |text: &str| delivery.redact(&escape_text(text)).into_owned();
        match (delivery.payload(), delivery.error()) {
            (Some(payload), None) => console_log!(
                "{} on {}",
                loggable(payload.activity.kind.type_name()),
                loggable(payload.lead.id.as_str())
            ),
            (_, error) => console_error!("kept a delivery that does not fit: {error:?}"),
        }
    }
    let mut answer = http::Response::new(Full::default());
    *answer.status_mut() = http::StatusCode::NO_CONTENT;
    Ok(answer)
}
