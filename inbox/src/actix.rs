//! [actix-web](https://docs.rs/actix-web/4) for the inbox: [`routes`], its routes and their
//! data to configure an app or a scope with, or its handlers one by one: [`store`], which
//! stores each delivery and answers, and the probes an orchestrator asks, [`healthz`] and
//! [`readyz`]. **Available with the crate feature `actix-web` only.**
//!
//! ```
//! use actix_web::{web, App};
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//! use clinchpad_webhook_inbox::Inbox;
//!
//! fn app(receiver: Receiver, inbox: Inbox) -> App<
//!     impl actix_web::dev::ServiceFactory<
//!         actix_web::dev::ServiceRequest,
//!         Config = (),
//!         Response = actix_web::dev::ServiceResponse,
//!         Error = actix_web::Error,
//!         InitError = (),
//!     >,
//! > {
//!     // POST /hooks/clinchpad stores; /hooks/clinchpad/healthz and /readyz answer probes.
//!     App::new().service(
//!         web::scope("/hooks/clinchpad")
//!             .configure(clinchpad_webhook_inbox::actix::routes(receiver, inbox)),
//!     )
//! }
//! ```
//!
//! The handlers alone, with the [`Receiver`] and the [`Inbox`] as the app's data:
//!
//! ```
//! use actix_web::{web, App};
//! use clinchpad_webhook::{HandshakeKey, Receiver};
//! use clinchpad_webhook_inbox::Inbox;
//!
//! fn app(receiver: Receiver, inbox: Inbox) -> App<
//!     impl actix_web::dev::ServiceFactory<
//!         actix_web::dev::ServiceRequest,
//!         Config = (),
//!         Response = actix_web::dev::ServiceResponse,
//!         Error = actix_web::Error,
//!         InitError = (),
//!     >,
//! > {
//!     App::new()
//!         .app_data(receiver)
//!         .app_data(web::Data::new(inbox))
//!         .route("/hooks/clinchpad", web::post().to(clinchpad_webhook_inbox::actix::store))
//!         .route("/healthz", web::get().to(clinchpad_webhook_inbox::actix::healthz))
//!         .route("/readyz", web::get().to(clinchpad_webhook_inbox::actix::readyz))
//! }
//! ```

use ::actix_web::{web, HttpResponse};
use clinchpad_webhook::{Delivery, Receiver};

use crate::Inbox;

/// The routes of [`store`] and the probes, with the data they take, for
/// [`App::configure`](actix_web::App::configure) or a scope's `configure`: `POST` at the
/// scope's own path stores, `GET healthz` and `GET readyz` under it answer. The twin of the
/// `axum` feature's `router`.
pub fn routes(receiver: Receiver, inbox: Inbox) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(receiver)
            .app_data(web::Data::new(inbox))
            .route("", web::post().to(store))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz));
    }
}

/// Stores the delivery, then answers: `204 No Content` once it is committed (new, or a
/// duplicate of one stored before), `503 Service Unavailable` when the database fails. Never
/// waits for a handler. The app's data provides the
/// [`Receiver`] and the [`Inbox`] (as `web::Data<Inbox>`). See
/// the `axum` feature's `store`, which this mirrors.
pub async fn store(inbox: web::Data<Inbox>, delivery: Delivery) -> HttpResponse {
    let started = std::time::Instant::now();
    let response = match inbox.store(&delivery).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body(crate::UNSTORED),
    };
    crate::signal::answered(response.status().as_u16(), started.elapsed());
    response
}

/// Liveness: `200 OK` whenever the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// Readiness: `200 OK` when the inbox can take deliveries ([`Inbox::ready`]), `503 Service
/// Unavailable` with a fixed sentence otherwise. See the `axum` feature's `readyz`.
pub async fn readyz(inbox: web::Data<Inbox>) -> HttpResponse {
    match inbox.ready().await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready\n"),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body(crate::NOT_READY),
    }
}
