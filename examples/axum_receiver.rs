//! A complete ClinchPad webhook receiver with axum: one line of log per activity.
//!
//! ```text
//! CLINCHPAD_HANDSHAKE_KEY=gfhkd1asfsa cargo run --example axum_receiver --features axum
//! curl -i --data-binary @fixtures/lead_moved.json http://127.0.0.1:3000/hooks/clinchpad
//! ```
//!
//! - `CLINCHPAD_HANDSHAKE_KEY`: the handshake key set in ClinchPad. Required: unset, empty or
//!   misspelled, the receiver refuses to start and says which variable to set.
//! - `--unverified`: run without a key, accepting every valid payload from anyone who knows
//!   the URL; only for a webhook with no handshake key set in ClinchPad. A warning says so at
//!   start-up. It cannot be combined with `CLINCHPAD_HANDSHAKE_KEY`.
//! - `BIND`: the address to listen on, `127.0.0.1:3000` by default.
//!
//! The handler answers `204 No Content` as soon as the payload is logged: do slow work (a
//! database, another API) in a spawned task or a queue, so that ClinchPad never waits on it.
//! A refused request is logged and answered with the extractor's 400, 401 or 413.

use std::error::Error;
use std::io::IsTerminal;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::axum::{ClinchPadWebhook, WebhookConfig, WebhookRejection};
use clinchpad_webhook::{ActivityKind, Payload};
use tokio::net::TcpListener;
use tracing::{info, warn};

/// The environment variable holding the handshake key.
const KEY_VARIABLE: &str = "CLINCHPAD_HANDSHAKE_KEY";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    // Read the key once, at start-up, failing closed; no key only when asked for by name.
    let config = match std::env::args().nth(1).as_deref() {
        None => WebhookConfig::from_env(KEY_VARIABLE)
            .map_err(|err| format!("{err} (or pass --unverified to accept unsigned posts)"))?,
        Some("--unverified") if std::env::var_os(KEY_VARIABLE).is_some() => {
            return Err(
                format!("--unverified and {KEY_VARIABLE} contradict each other: pick one").into(),
            )
        }
        Some("--unverified") => {
            warn!("--unverified: accepting every valid payload without checking a handshake key");
            WebhookConfig::unverified()
        }
        Some(other) => {
            return Err(format!("unknown argument {other:?}: the only one is --unverified").into())
        }
    };
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());

    let app = Router::new()
        .route("/hooks/clinchpad", post(receive))
        .with_state(config);
    let listener = TcpListener::bind(&bind)
        .await
        .map_err(|err| format!("cannot listen on {bind}: {err}"))?;
    info!(
        "listening on http://{}/hooks/clinchpad",
        listener.local_addr()?
    );
    serve(listener, app).await;
    Ok(())
}

/// Logs the activity and answers at once; logs and returns a refusal.
async fn receive(webhook: Result<ClinchPadWebhook, WebhookRejection>) -> Response {
    match webhook {
        Ok(ClinchPadWebhook(payload)) => {
            info!(
                activity = %payload.activity.id,
                lead = %payload.lead.id,
                "{}",
                describe(&payload)
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(rejection) => {
            // The rejection never holds a key, so it can be logged as it is.
            warn!(status = rejection.status().as_u16(), "refused: {rejection}");
            rejection.into_response()
        }
    }
}

/// One line for every activity type.
fn describe(payload: &Payload) -> String {
    let lead = &payload.lead.name;
    let who = payload
        .activity
        .user
        .as_ref()
        .map_or("someone", |user| user.name.as_str());
    match &payload.activity.kind {
        ActivityKind::LeadCreated {} => format!("{who} created lead {lead}"),
        ActivityKind::LeadMoved {
            old_stage_name,
            new_stage_name,
        } => format!("{who} moved {lead} from {old_stage_name} to {new_stage_name}"),
        ActivityKind::LeadNameChanged { old_lead_name } => {
            format!("{who} renamed {old_lead_name} to {lead}")
        }
        ActivityKind::LeadWon {} => format!("{who} won {lead}"),
        ActivityKind::LeadLost {} => format!("{who} lost {lead}"),
        ActivityKind::LeadAssigned {
            lead_assigned_to_name,
        } => format!("{who} assigned {lead} to {lead_assigned_to_name}"),
        ActivityKind::LeadUnassigned {
            old_lead_assigned_to_name,
        } => format!("{who} unassigned {lead} from {old_lead_assigned_to_name}"),
        ActivityKind::LeadSizeChanged {
            lead_size,
            old_lead_size,
        } => match old_lead_size {
            Some(old) => format!("{who} changed the value of {lead} from {old} to {lead_size}"),
            None => format!("{who} set the value of {lead} to {lead_size}"),
        },
        ActivityKind::LeadRestored {} => format!("{who} restored {lead}"),
        ActivityKind::TodoCreated {
            todo_name,
            todo_type,
            todo_date,
            todo_time,
        } => {
            let due = match (todo_date, todo_time) {
                (Some(date), Some(time)) => format!(", due {date} {time}"),
                (Some(date), None) => format!(", due {date}"),
                _ => String::new(),
            };
            format!("{who} added {todo_type} todo \"{todo_name}\" on {lead}{due}")
        }
        ActivityKind::TodoNameChanged {
            todo_name,
            old_todo_name,
        } => format!("{who} renamed todo \"{old_todo_name}\" to \"{todo_name}\" on {lead}"),
        ActivityKind::TodoTypeChanged {
            todo_name,
            todo_type,
            old_todo_type,
        } => format!(
            "{who} changed todo \"{todo_name}\" from {old_todo_type} to {todo_type} on {lead}"
        ),
        ActivityKind::TodoDateChanged {
            todo_name,
            todo_date,
            ..
        } => format!("{who} moved todo \"{todo_name}\" to {todo_date} on {lead}"),
        ActivityKind::TodoTimeChanged {
            todo_name,
            todo_time,
            ..
        } => format!("{who} moved todo \"{todo_name}\" to {todo_time} on {lead}"),
        ActivityKind::TodoDoneChanged {
            todo_name,
            todo_done,
        } => {
            let state = if *todo_done { "done" } else { "not done" };
            format!("{who} marked todo \"{todo_name}\" {state} on {lead}")
        }
        ActivityKind::TodoDeleted { todo_name } => {
            format!("{who} deleted todo \"{todo_name}\" on {lead}")
        }
        ActivityKind::NoteCreated { note_content } => {
            format!("{who} added a note on {lead}: {}", first_line(note_content))
        }
        ActivityKind::NoteUpdated { note_content } => {
            format!(
                "{who} updated a note on {lead}: {}",
                first_line(note_content)
            )
        }
        ActivityKind::NoteDeleted { note_content } => {
            format!(
                "{who} deleted a note on {lead}: {}",
                first_line(note_content)
            )
        }
        ActivityKind::AttachmentCreated {
            attachment_filename,
            ..
        } => format!("{who} attached {attachment_filename} to {lead}"),
        ActivityKind::AttachmentDeleted {
            attachment_filename,
        } => format!("{who} deleted {attachment_filename} from {lead}"),
        ActivityKind::RecordCreated {
            record_name,
            record_value,
        } => format!("{who} set {record_name} = {record_value} on {lead}"),
        ActivityKind::RecordUpdated {
            record_name,
            record_value,
            ..
        } => format!("{who} changed {record_name} to {record_value} on {lead}"),
        ActivityKind::RecordDeleted { record_name, .. } => {
            format!("{who} removed {record_name} from {lead}")
        }
        ActivityKind::ContactAdded { contact_name } => {
            format!("{who} added contact {contact_name} to {lead}")
        }
        ActivityKind::ContactRemoved { contact_name } => {
            format!("{who} removed contact {contact_name} from {lead}")
        }
        ActivityKind::ProductAdded {
            product_name,
            product_quantity,
            product_price,
        } => match product_price {
            Some(price) => {
                format!("{who} added {product_quantity} × {product_name} at {price} to {lead}")
            }
            None => format!("{who} added {product_quantity} × {product_name} to {lead}"),
        },
        ActivityKind::ProductRemoved {
            product_name,
            product_quantity,
        } => format!("{who} removed {product_quantity} × {product_name} from {lead}"),
        ActivityKind::ZoneAdded { zone_name } => format!("{who} added zone {zone_name} to {lead}"),
        ActivityKind::ZoneRemoved { zone_name } => {
            format!("{who} removed zone {zone_name} from {lead}")
        }
        ActivityKind::SourceAdded { source_name } => {
            format!("{who} added source {source_name} to {lead}")
        }
        ActivityKind::SourceRemoved { source_name } => {
            format!("{who} removed source {source_name} from {lead}")
        }
        ActivityKind::EmailReceived { subject } => {
            format!("email \"{subject}\" added to {lead}")
        }
        // A type ClinchPad added after this version of the crate: every field is kept.
        ActivityKind::Unknown { type_name, fields } => {
            format!("{type_name} on {lead} ({} fields)", fields.len())
        }
        // `ActivityKind` is non-exhaustive: a later version of the crate may name more types.
        other => format!("{} on {lead}", other.type_name()),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
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
