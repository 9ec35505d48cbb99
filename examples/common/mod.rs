//! What the example receivers share: how they get their [`Receiver`] and their address, and
//! one line of log for every activity type.

use std::io::IsTerminal;

use clinchpad_webhook::activity::*;
use clinchpad_webhook::{escape_text, ActivityKind, Delivery, Payload, Receiver};

/// The environment variable holding the handshake key.
pub const KEY_VARIABLE: &str = "CLINCHPAD_HANDSHAKE_KEY";

/// Logs to standard output, in colour only on a terminal.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
}

/// The receiver the command line asks for, read once at start-up. The key comes from
/// [`KEY_VARIABLE`], failing closed when it is unset or empty; running without one takes the
/// explicit `--unverified`, and a warning.
pub fn receiver_from_args() -> Result<Receiver, StartError> {
    match std::env::args().nth(1).as_deref() {
        None => Receiver::from_env(KEY_VARIABLE).map_err(|err| {
            StartError(format!(
                "{err} (or pass --unverified to accept unsigned posts)"
            ))
        }),
        Some("--unverified") if std::env::var_os(KEY_VARIABLE).is_some() => Err(StartError(
            format!("--unverified and {KEY_VARIABLE} contradict each other: pick one"),
        )),
        Some("--unverified") => {
            tracing::warn!(
                "--unverified: accepting every valid payload without checking a handshake key"
            );
            Ok(Receiver::unverified())
        }
        Some(other) => Err(StartError(format!(
            "unknown argument {}: the only one is --unverified",
            escape_text(other)
        ))),
    }
}

/// Why a receiver cannot start. `main` returning `Err` prints `Error: ` and the error's
/// `Debug`, so its `Debug` is the message itself, as `clinchpad_webhook::Error`'s is.
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// The address to listen on: `BIND`, or `127.0.0.1:3000`.
pub fn bind_address() -> String {
    std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
}

/// Logs a delivery the receiver accepted: its text from the body escaped, so that a lead named
/// `"x\n[INFO] admin logged in"` cannot forge a line of the log, and any configured key's
/// text in it (a note quoting the key) masked. One that does not fit the documentation is
/// logged as a warning with its error, which says where; a real service would store its body
/// (`delivery.body_to_store()`) and the error here, to look at later.
pub fn log_delivery(receiver: &Receiver, delivery: &Delivery) {
    let loggable = |text: &str| receiver.redact(&escape_text(text)).into_owned();
    match (delivery.payload(), delivery.error()) {
        (Some(payload), None) => tracing::info!(
            activity = %loggable(payload.activity.id.as_str()),
            lead = %loggable(payload.lead.id.as_str()),
            "{}",
            loggable(&describe(payload))
        ),
        (_, error) => tracing::warn!(
            activity = %loggable(delivery.activity_id().unwrap_or("?")),
            r#type = %loggable(delivery.type_name().unwrap_or("?")),
            "accepted a delivery that does not fit the documentation: {}",
            error.map_or_else(String::new, ToString::to_string)
        ),
    }
}

/// Logs a request the receiver refused. The rejection never holds a key, so it can be logged
/// as it is.
pub fn log_refused(rejection: &clinchpad_webhook::Rejection) {
    tracing::warn!(status = rejection.status(), "refused: {rejection}");
}

/// One line for every activity type.
pub fn describe(payload: &Payload) -> String {
    let lead = &payload.lead.name;
    let who = payload
        .activity
        .user
        .as_ref()
        .map_or("someone", |user| user.name.as_str());
    match &payload.activity.kind {
        ActivityKind::LeadCreated(LeadCreated {}) => format!("{who} created lead {lead}"),
        ActivityKind::LeadMoved(LeadMoved {
            old_stage_name,
            new_stage_name,
        }) => format!("{who} moved {lead} from {old_stage_name} to {new_stage_name}"),
        ActivityKind::LeadNameChanged(LeadNameChanged { old_lead_name }) => {
            format!("{who} renamed {old_lead_name} to {lead}")
        }
        ActivityKind::LeadWon(LeadWon {}) => format!("{who} won {lead}"),
        ActivityKind::LeadLost(LeadLost {}) => format!("{who} lost {lead}"),
        ActivityKind::LeadAssigned(LeadAssigned {
            lead_assigned_to_name,
        }) => format!("{who} assigned {lead} to {lead_assigned_to_name}"),
        ActivityKind::LeadUnassigned(LeadUnassigned {
            old_lead_assigned_to_name,
        }) => format!("{who} unassigned {lead} from {old_lead_assigned_to_name}"),
        ActivityKind::LeadSizeChanged(LeadSizeChanged {
            lead_size,
            old_lead_size,
        }) => match old_lead_size {
            Some(old) => format!("{who} changed the value of {lead} from {old} to {lead_size}"),
            None => format!("{who} set the value of {lead} to {lead_size}"),
        },
        ActivityKind::LeadRestored(LeadRestored {}) => format!("{who} restored {lead}"),
        ActivityKind::TodoCreated(TodoCreated {
            todo_name,
            todo_type,
            todo_date,
            todo_time,
        }) => {
            let due = match (todo_date, todo_time) {
                (Some(date), Some(time)) => format!(", due {date} {time}"),
                (Some(date), None) => format!(", due {date}"),
                _ => String::new(),
            };
            format!("{who} added {todo_type} todo \"{todo_name}\" on {lead}{due}")
        }
        ActivityKind::TodoNameChanged(TodoNameChanged {
            todo_name,
            old_todo_name,
        }) => format!("{who} renamed todo \"{old_todo_name}\" to \"{todo_name}\" on {lead}"),
        ActivityKind::TodoTypeChanged(TodoTypeChanged {
            todo_name,
            todo_type,
            old_todo_type,
        }) => format!(
            "{who} changed todo \"{todo_name}\" from {old_todo_type} to {todo_type} on {lead}"
        ),
        ActivityKind::TodoDateChanged(TodoDateChanged {
            todo_name,
            todo_date,
            ..
        }) => format!("{who} moved todo \"{todo_name}\" to {todo_date} on {lead}"),
        ActivityKind::TodoTimeChanged(TodoTimeChanged {
            todo_name,
            todo_time,
            ..
        }) => format!("{who} moved todo \"{todo_name}\" to {todo_time} on {lead}"),
        ActivityKind::TodoDoneChanged(TodoDoneChanged {
            todo_name,
            todo_done,
        }) => {
            let state = if *todo_done { "done" } else { "not done" };
            format!("{who} marked todo \"{todo_name}\" {state} on {lead}")
        }
        ActivityKind::TodoDeleted(TodoDeleted { todo_name }) => {
            format!("{who} deleted todo \"{todo_name}\" on {lead}")
        }
        ActivityKind::NoteCreated(NoteCreated { note_content }) => {
            format!("{who} added a note on {lead}: {}", first_line(note_content))
        }
        ActivityKind::NoteUpdated(NoteUpdated { note_content }) => {
            format!(
                "{who} updated a note on {lead}: {}",
                first_line(note_content)
            )
        }
        ActivityKind::NoteDeleted(NoteDeleted { note_content }) => {
            format!(
                "{who} deleted a note on {lead}: {}",
                first_line(note_content)
            )
        }
        ActivityKind::AttachmentCreated(AttachmentCreated {
            attachment_filename,
            ..
        }) => format!("{who} attached {attachment_filename} to {lead}"),
        ActivityKind::AttachmentDeleted(AttachmentDeleted {
            attachment_filename,
        }) => format!("{who} deleted {attachment_filename} from {lead}"),
        ActivityKind::RecordCreated(RecordCreated {
            record_name,
            record_value,
        }) => format!("{who} set {record_name} = {record_value} on {lead}"),
        ActivityKind::RecordUpdated(RecordUpdated {
            record_name,
            record_value,
            ..
        }) => format!("{who} changed {record_name} to {record_value} on {lead}"),
        ActivityKind::RecordDeleted(RecordDeleted { record_name, .. }) => {
            format!("{who} removed {record_name} from {lead}")
        }
        ActivityKind::ContactAdded(ContactAdded { contact_name }) => {
            format!("{who} added contact {contact_name} to {lead}")
        }
        ActivityKind::ContactRemoved(ContactRemoved { contact_name }) => {
            format!("{who} removed contact {contact_name} from {lead}")
        }
        ActivityKind::ProductAdded(ProductAdded {
            product_name,
            product_quantity,
            product_price,
        }) => match product_price {
            Some(price) => {
                format!("{who} added {product_quantity} × {product_name} at {price} to {lead}")
            }
            None => format!("{who} added {product_quantity} × {product_name} to {lead}"),
        },
        ActivityKind::ProductRemoved(ProductRemoved {
            product_name,
            product_quantity,
        }) => format!("{who} removed {product_quantity} × {product_name} from {lead}"),
        ActivityKind::ZoneAdded(ZoneAdded { zone_name }) => {
            format!("{who} added zone {zone_name} to {lead}")
        }
        ActivityKind::ZoneRemoved(ZoneRemoved { zone_name }) => {
            format!("{who} removed zone {zone_name} from {lead}")
        }
        ActivityKind::SourceAdded(SourceAdded { source_name }) => {
            format!("{who} added source {source_name} to {lead}")
        }
        ActivityKind::SourceRemoved(SourceRemoved { source_name }) => {
            format!("{who} removed source {source_name} from {lead}")
        }
        ActivityKind::EmailReceived(EmailReceived { subject }) => {
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
