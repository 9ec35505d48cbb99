//! The axum extractor over real HTTP: an axum router served by hyper on 127.0.0.1, and
//! hyper's client posting every fixture and every bad case of `tests/receivers/` to it.
#![cfg(feature = "axum")]

#[allow(dead_code)]
mod drifted;
mod receivers;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::axum::ClinchPadWebhook;
use clinchpad_webhook::{Delivery, HandshakeKey, Receiver};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use receivers::{keyed, HandedOver, Served, LIMIT, PATH, TOLERANT_PATH};
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
    let ClinchPadWebhook { payload, body } = webhook;
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

/// Stops the accepting task when the test is done with the server.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test]
async fn every_fixture_reaches_the_handler_typed() {
    receivers::every_fixture_reaches_the_handler_typed(start(keyed()).await).await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_the_server_goes_on() {
    let server = start(keyed().with_body_limit(LIMIT)).await;
    receivers::bad_requests_are_refused_and_the_server_goes_on(server).await;
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    receivers::the_default_limit_is_one_mebibyte(start(keyed()).await).await;
}

#[tokio::test]
async fn without_a_configured_key_payloads_are_parsed_but_not_verified() {
    let server = start(Receiver::unverified()).await;
    receivers::without_a_configured_key_payloads_are_parsed_but_not_verified(server).await;
}

#[tokio::test]
async fn either_of_two_keys_passes() {
    let server = start(keyed().with_key(HandshakeKey::new("next-key").unwrap())).await;
    receivers::either_of_two_keys_passes(server).await;
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn every_sample_reaches_the_handler_typed() {
    receivers::every_sample_reaches_the_handler_typed(start(keyed()).await).await;
}

#[tokio::test]
async fn drifted_deliveries_are_taken_tolerantly_and_refused_strictly() {
    let server = start(keyed()).await;
    receivers::drifted_deliveries_are_taken_tolerantly_and_refused_strictly(server).await;
}
