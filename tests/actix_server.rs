//! The actix-web extractor over real HTTP: an actix-web server on 127.0.0.1, and hyper's
//! client posting every fixture and every bad case of `tests/receivers/` to it.
#![cfg(feature = "actix-web")]

#[allow(dead_code)]
mod drifted;
mod receivers;

use std::sync::mpsc as sync_mpsc;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use clinchpad_webhook::actix::ClinchPadWebhook;
use clinchpad_webhook::{Delivery, HandshakeKey, Receiver};
use receivers::{keyed, HandedOver, Served, LIMIT, PATH, PATIENCE, TOLERANT_PATH};
use tokio::sync::mpsc;

/// The strict handler under test hands what it got to the test.
async fn receive(
    received: web::Data<mpsc::UnboundedSender<HandedOver>>,
    webhook: ClinchPadWebhook,
) -> HttpResponse {
    let ClinchPadWebhook { payload, body, .. } = webhook;
    received
        .send((Some(payload), None, body.to_vec()))
        .expect("the test is listening");
    HttpResponse::NoContent().finish()
}

/// The tolerant handler under test hands what it got to the test.
async fn accept(
    received: web::Data<mpsc::UnboundedSender<HandedOver>>,
    delivery: Delivery,
) -> HttpResponse {
    let handed_over = (
        delivery.payload().cloned(),
        delivery.error().cloned(),
        delivery.body().to_vec(),
    );
    received.send(handed_over).expect("the test is listening");
    HttpResponse::NoContent().finish()
}

/// Serves an app with `receiver` in its data (as `web::Data` when `as_data`), on a free port
/// of 127.0.0.1, in a thread of its own (actix-web runs its own runtime) until the test is done
/// with it.
fn start(receiver: Receiver, as_data: bool) -> Served {
    serve(Some((receiver, as_data)))
}

/// [`start`], or an app with no receiver in its data.
fn serve(receiver: Option<(Receiver, bool)>) -> Served {
    let (sender, received) = mpsc::unbounded_channel();
    let (started, start) = sync_mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let app = App::new().app_data(web::Data::new(sender.clone()));
                let app = match &receiver {
                    Some((receiver, true)) => app.app_data(web::Data::new(receiver.clone())),
                    Some((receiver, false)) => app.app_data(receiver.clone()),
                    None => app,
                };
                app.route(PATH, web::post().to(receive))
                    .route(TOLERANT_PATH, web::post().to(accept))
            })
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
            let address = server.addrs()[0];
            let server = server.run();
            started.send((address, server.handle())).unwrap();
            server.await
        })
    });
    let (address, handle) = start.recv_timeout(PATIENCE).expect("the server starts");
    Served::new(address, received, Box::new(StopOnDrop(handle)))
}

/// Stops the server when the test is done with it.
struct StopOnDrop(ServerHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let handle = self.0.clone();
        // Dropped inside the test's runtime, where no other may block: stop from a thread.
        let stopping = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        });
        let _ = stopping.join();
    }
}

#[tokio::test]
async fn every_fixture_reaches_the_handler_typed() {
    receivers::every_fixture_reaches_the_handler_typed(start(keyed(), false)).await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_the_server_goes_on() {
    let server = start(keyed().with_body_limit(LIMIT), false);
    receivers::bad_requests_are_refused_and_the_server_goes_on(server).await;
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    receivers::the_default_limit_is_one_mebibyte(start(keyed(), true)).await;
}

#[tokio::test]
async fn without_a_configured_key_payloads_are_parsed_but_not_verified() {
    let server = start(Receiver::unverified(), true);
    receivers::without_a_configured_key_payloads_are_parsed_but_not_verified(server).await;
}

#[tokio::test]
async fn either_of_two_keys_passes() {
    let server = start(
        keyed().with_key(HandshakeKey::new("next-key").unwrap()),
        false,
    );
    receivers::either_of_two_keys_passes(server).await;
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn every_sample_reaches_the_handler_typed() {
    receivers::every_sample_reaches_the_handler_typed(start(keyed(), true)).await;
}

#[tokio::test]
async fn an_app_without_a_receiver_answers_500_saying_so() {
    let mut server = serve(None);
    let (status, text) = server
        .post("", None, receivers::fixture("lead_won.json"))
        .await;
    assert_eq!(status.as_u16(), 500);
    assert!(text.contains("Receiver"), "{text}");
    server.assert_nothing_handed_over();
}

#[tokio::test]
async fn drifted_deliveries_are_taken_tolerantly_and_refused_strictly() {
    let server = start(keyed(), true);
    receivers::drifted_deliveries_are_taken_tolerantly_and_refused_strictly(server).await;
}
