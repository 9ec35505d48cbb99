//! A complete ClinchPad webhook receiver with axum: one line of log per activity.
//!
//! ```text
//! CLINCHPAD_HANDSHAKE_KEY=gfhkd1asfsa cargo run --example axum_receiver --features axum
//! cargo run -p clinchpad-webhook-cli -- send http://127.0.0.1:3000/hooks/clinchpad fixtures/lead_moved.json
//! ```
//!
//! - `CLINCHPAD_HANDSHAKE_KEY`: the handshake key set in ClinchPad. Required: unset, empty or
//!   misspelled, the receiver refuses to start and says which variable to set.
//! - `--unverified`: run without a key, accepting every valid payload from anyone who knows
//!   the URL; only for a webhook with no handshake key set in ClinchPad. A warning says so at
//!   start-up. It cannot be combined with `CLINCHPAD_HANDSHAKE_KEY`.
//! - `BIND`: the address to listen on, `127.0.0.1:3000` by default.
//!
//! The handler answers `204 No Content` as soon as the delivery is logged: do slow work (a
//! database, another API) in a spawned task or a queue, so that ClinchPad never waits on it.
//! It takes a [`Delivery`], tolerant: a verified delivery whose shape does not fit the
//! documentation is logged with its error and answered 2xx, never lost. (Take
//! `clinchpad_webhook::axum::ClinchPadWebhook` instead to refuse it with 400.) A refused
//! request is logged and answered with the extractor's 400, 401 or 413.

use std::error::Error;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::{Delivery, Receiver, Rejection};
use tokio::net::TcpListener;
use tracing::{info, warn};

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    common::init_logging();
    // Read once, at start-up, failing closed; no key only when asked for by name.
    let receiver = common::receiver_from_args()?;
    let bind = common::bind_address();

    let app = Router::new()
        .route("/hooks/clinchpad", post(receive))
        .with_state(receiver);
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|err| common::StartError(format!("cannot listen on {bind}: {err}")))?;
    info!(
        "listening on http://{}/hooks/clinchpad",
        listener.local_addr()?
    );
    serve(listener, app).await;
    Ok(())
}

/// Logs the activity and answers at once; logs and returns a refusal.
async fn receive(
    State(receiver): State<Receiver>,
    delivery: Result<Delivery, Rejection>,
) -> Response {
    match delivery {
        Ok(delivery) => {
            common::log_delivery(&receiver, &delivery);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => {
            common::log_refused(&rejection);
            rejection.into_response()
        }
    }
}

/// Serves `app` until the process is stopped.
///
/// With axum's default features (`tokio`, `http1`) this is `axum::serve(listener, app).await`.
/// This crate's `axum` feature keeps axum's features off, so the example serves with hyper,
/// which is what `axum::serve` does too.
async fn serve(listener: TcpListener, app: Router) {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;

    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                warn!("accept failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(err) = connection.await {
                tracing::debug!("connection ended: {err}");
            }
        });
    }
}
