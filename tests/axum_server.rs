//! The axum extractor over real HTTP: an axum router served by hyper on 127.0.0.1, and
//! hyper's client posting every fixture and every bad case of `tests/receivers/` to it.
#![cfg(feature = "axum")]

#[allow(dead_code)]
mod drifted;
#[macro_use]
mod receivers;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::axum::ClinchPadWebhook;
use clinchpad_webhook::{Delivery, HandshakeKey, Receiver};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use receivers::{keyed, AbortOnDrop, HandedOver, Served, LIMIT, PATH, TOLERANT_PATH};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The application's state: the receiver beside the application's own things.
#[derive(Clone)]
struct AppState {
    receiver: Receiver,
    received: mpsc::UnboundedSender<HandedOver>,
}

impl FromRef<AppState> for Receiver {
    fn from_ref(state: &AppState) -> Self {
        state.receiver.clone()
    }
}

/// The strict handler under test hands what it got to the test.
async fn receive(State(state): State<AppState>, webhook: ClinchPadWebhook) -> StatusCode {
    let ClinchPadWebhook { payload, body, .. } = webhook;
    state
        .received
        .send((Some(payload), None, body.to_vec()))
        .expect("the test is listening");
    StatusCode::NO_CONTENT
}

/// The tolerant handler under test hands what it got to the test.
async fn accept(State(state): State<AppState>, delivery: Delivery) -> StatusCode {
    let handed_over = (
        delivery.payload().cloned(),
        delivery.error().cloned(),
        delivery.body().to_vec(),
    );
    state
        .received
        .send(handed_over)
        .expect("the test is listening");
    StatusCode::NO_CONTENT
}

/// Serves the router on a free port of 127.0.0.1 until the test's runtime ends.
async fn start(receiver: Receiver) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(PATH, post(receive))
        .route(TOLERANT_PATH, post(accept))
        .with_state(AppState {
            receiver,
            received: sender,
        });
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                // A connection that ends badly (the 413 case may) is the client's business.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Served::new(address, received, Box::new(AbortOnDrop(server)))
}

the_receiver_suite!(start);
