//! A complete ClinchPad webhook receiver with actix-web: one line of log per activity.
//!
//! ```text
//! CLINCHPAD_HANDSHAKE_KEY=gfhkd1asfsa cargo run --example actix_receiver --features actix-web
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
//! The same receiver as `examples/axum_receiver.rs`, with the glue actix-web needs: the
//! [`Receiver`] in the app's data, and the extractor in the handler's arguments. It takes a
//! [`Delivery`], tolerant: a verified delivery whose shape does not fit the documentation is
//! logged with its error and answered 2xx (take `clinchpad_webhook::actix::ClinchPadWebhook`
//! instead to refuse it with 400).

use std::error::Error;

use actix_web::{web, App, HttpResponse, HttpServer};
use clinchpad_webhook::{Delivery, Receiver, Rejection};

mod common;

fn main() -> Result<(), Box<dyn Error>> {
    common::init_logging();
    // Read once, at start-up, failing closed; no key only when asked for by name.
    let receiver = web::Data::new(common::receiver_from_args()?);
    let bind = common::bind_address();

    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(receiver.clone())
                .route("/hooks/clinchpad", web::post().to(receive))
        })
        .workers(2)
        .bind(&bind)
        .map_err(|err| common::StartError(format!("cannot listen on {bind}: {err}")))?;
        for address in server.addrs() {
            tracing::info!("listening on http://{address}/hooks/clinchpad");
        }
        server.run().await?;
        Ok(())
    })
}

/// Logs the activity and answers at once; logs and returns a refusal.
async fn receive(
    receiver: web::Data<Receiver>,
    delivery: Result<Delivery, actix_web::Error>,
) -> HttpResponse {
    match delivery {
        Ok(delivery) => {
            common::log_delivery(&receiver, &delivery);
            HttpResponse::NoContent().finish()
        }
        Err(err) => {
            if let Some(rejection) = err.as_error::<Rejection>() {
                common::log_refused(rejection);
            }
            err.error_response()
        }
    }
}
