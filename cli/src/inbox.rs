//! `inbox`: what the inbox keeps, for people and scripts; retrying and replaying from it.

use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clinchpad_webhook::HandshakeKey;
use clinchpad_webhook_inbox::{Entry, Inbox, InboxError, State};
use serde_json::json;

use crate::capture::{self, Places};
use crate::client::{self, usage, Delivery};
use crate::output::{shown, shown_short, Output, Style};
use crate::{InboxArgs, InboxCommand, InboxState};

pub async fn run(args: InboxArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let Some(url) = args.store else {
        return usage(out, "which inbox? pass --store URL or set CLINCHPAD_INBOX");
    };
    // Only `retry` changes the inbox, so only it may create or migrate one: looking at a
    // mistyped URL must not leave an empty inbox there.
    let opened = match args.command {
        InboxCommand::Retry { .. } => Inbox::open(&url).await,
        _ => Inbox::connect(&url).await,
    };
    let inbox = match opened {
        Ok(inbox) => inbox,
        Err(InboxError::NoInbox) => {
            return usage(out, &format!("no inbox at {}", shown_store(&url)));
        }
        Err(err) => {
            return usage(
                out,
                &format!("cannot open the inbox at {}: {err}", shown_store(&url)),
            )
        }
    };
    let done = match args.command {
        InboxCommand::List { state, limit } => {
            list(&inbox, state.map(State::from), limit, out).await
        }
        InboxCommand::Show { id } => show(&inbox, &id, out).await,
        InboxCommand::Retry { id, dead } => retry(&inbox, id.as_deref(), dead, out).await,
        InboxCommand::Replay { id, to, sending } => {
            let key = key.as_ref().map(HandshakeKey::expose_secret);
            return replay(&inbox, &id, &to, key, &sending, out).await;
        }
    };
    match done {
        Ok(code) => code,
        Err(err) => {
            out.warn(&err.to_string());
            ExitCode::from(1)
        }
    }
}

impl From<InboxState> for State {
    fn from(state: InboxState) -> State {
        match state {
            InboxState::Pending => State::Pending,
            InboxState::Running => State::Running,
            InboxState::Done => State::Done,
            InboxState::Dead => State::Dead,
        }
    }
}

/// A store's URL as messages show it: every credential masked, whatever its shape.
pub fn shown_store(url: &str) -> String {
    shown(&clinchpad_webhook_inbox::redact_url(url))
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |at| at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    )
}

async fn list(
    inbox: &Inbox,
    state: Option<State>,
    limit: u32,
    out: &Output,
) -> Result<ExitCode, clinchpad_webhook_inbox::InboxError> {
    let entries = inbox.list(state, limit).await?;
    if out.json {
        for entry in &entries {
            out.print_json(&json!({
                "id": entry.key,
                "type": entry.activity_type,
                "lead": entry.lead_id,
                "state": entry.state,
                "attempts": entry.attempts,
                "received_at": entry.received_at,
                "typed": entry.typed,
                "last_error": entry.last_error,
                "conflict_of": entry.conflict_of,
                "verified": entry.verified,
                "recovered_at": entry.recovered_at,
            }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    if entries.is_empty() {
        text.push_str("no deliveries\n");
    } else {
        let _ = writeln!(
            text,
            "{:<23}  {:<7}  {:>5}  {:<20}  {:<24}  {:<24}  last error",
            "received (UTC)", "state", "tries", "type", "id", "lead"
        );
    }
    for entry in &entries {
        let state = format!("{:<7}", entry.state.as_str());
        let style = match entry.state {
            State::Done => Style::Good,
            State::Dead => Style::Bad,
            State::Pending | State::Running => Style::Warn,
        };
        let kind = match (&entry.activity_type, entry.typed) {
            (Some(kind), true) => shown_short(kind, 20),
            (Some(kind), false) => shown_short(&format!("{kind} (drifted)"), 20),
            (None, _) => "? (drifted)".to_owned(),
        };
        let _ = writeln!(
            text,
            "{:<23}  {}  {:>5}  {:<20}  {:<24}  {:<24}  {}",
            time(entry.received_at),
            out.paint(style, &state),
            entry.attempts,
            kind,
            shown_short(&entry.key, 24),
            shown_short(entry.lead_id.as_deref().unwrap_or("-"), 24),
            match &entry.conflict_of {
                Some(first) => format!(
                    "conflicts with {} (same id, another body); {}",
                    shown_short(first, 24),
                    shown_short(entry.last_error.as_deref().unwrap_or(""), 60)
                ),
                None if entry.recovered_at.is_some() && entry.last_error.is_none() => {
                    "(recovered by backfill)".to_owned()
                }
                None => shown_short(entry.last_error.as_deref().unwrap_or(""), 80),
            },
        );
    }
    out.print(&text);
    Ok(ExitCode::SUCCESS)
}

async fn show(
    inbox: &Inbox,
    id: &str,
    out: &Output,
) -> Result<ExitCode, clinchpad_webhook_inbox::InboxError> {
    let Some(entry) = inbox.get(id).await? else {
        out.warn(&format!("no delivery {} in the inbox", shown(id)));
        return Ok(ExitCode::from(1));
    };
    if out.json {
        out.print_json(&entry);
        return Ok(ExitCode::SUCCESS);
    }
    out.print(&describe(&entry));
    Ok(ExitCode::SUCCESS)
}

/// Everything the inbox keeps of a delivery, for people.
fn describe(entry: &Entry) -> String {
    let mut text = String::new();
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(text, "{:<11} {value}", format!("{label}:"));
    };
    line("id", &shown(&entry.key));
    line(
        "type",
        &shown(entry.activity_type.as_deref().unwrap_or("? (not readable)")),
    );
    line("lead", &shown(entry.lead_id.as_deref().unwrap_or("-")));
    if let Some(first) = &entry.conflict_of {
        line(
            "conflicts",
            &format!(
                "with {}: the same activity id came before with another body",
                shown(first)
            ),
        );
    }
    line(
        "key",
        match entry.verified {
            Some(true) => "checked: the receiver verified its handshake key",
            Some(false) => "NOT checked: taken by a receiver that checks no key",
            None => "not recorded (stored by an earlier version)",
        },
    );
    if let Some(at) = entry.recovered_at {
        line(
            "recovered",
            &format!(
                "{} UTC, from ClinchPad's REST API by a backfill: its lead as it was then, not when it happened",
                time(at)
            ),
        );
    }
    let tries = match entry.attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    line("state", &format!("{} ({tries})", entry.state));
    line("received", &format!("{} UTC", time(entry.received_at)));
    if let Some(at) = entry.created_at {
        line("happened", &format!("{} UTC", time(at)));
    }
    match entry.state {
        State::Pending => line("due", &format!("{} UTC", time(entry.next_attempt_at))),
        State::Running => line(
            "claimed to",
            &format!("{} UTC", time(entry.next_attempt_at)),
        ),
        State::Done | State::Dead => {
            if let Some(at) = entry.finished_at {
                line("finished", &format!("{} UTC", time(at)));
            }
        }
    }
    if let Some(error) = &entry.last_error {
        line("last error", &shown(error));
    }
    if let Some(drift) = &entry.drift {
        line("drifted", &shown(drift));
    }
    // The body, pretty when it is JSON, every line escaped.
    let body = serde_json::from_str::<serde_json::Value>(&entry.body)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| entry.body.clone());
    text.push_str("body:\n");
    for body_line in body.lines() {
        let _ = writeln!(text, "  {}", shown(body_line));
    }
    text
}

async fn retry(
    inbox: &Inbox,
    id: Option<&str>,
    dead: bool,
    out: &Output,
) -> Result<ExitCode, clinchpad_webhook_inbox::InboxError> {
    if dead {
        let count = inbox.retry_dead().await?;
        out.print(&format!("{count} dead delivery(ies) due again now\n"));
        return Ok(ExitCode::SUCCESS);
    }
    let id = id.unwrap_or_default();
    if inbox.retry(id).await? {
        out.print(&format!("{} is due again now\n", shown(id)));
        Ok(ExitCode::SUCCESS)
    } else {
        out.warn(&format!(
            "no delivery {} to retry: not in the inbox, or a worker has it now",
            shown(id)
        ));
        Ok(ExitCode::from(1))
    }
}

async fn replay(
    inbox: &Inbox,
    id: &str,
    to: &str,
    key: Option<&str>,
    sending: &crate::SendingArgs,
    out: &Output,
) -> ExitCode {
    let entry = match inbox.get(id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => {
            out.warn(&format!("no delivery {} in the inbox", shown(id)));
            return ExitCode::from(1);
        }
        Err(err) => {
            out.warn(&err.to_string());
            return ExitCode::from(1);
        }
    };
    if key.is_none() {
        out.warn(&format!(
            "no key given (--key or {}): the delivery is sent without one",
            crate::KEY_VARIABLE
        ));
    }
    let (body, query) =
        capture::with_key(entry.body.as_bytes(), "", key, Places::from(sending.key_in));
    let delivery = Delivery {
        source: format!("inbox:{}", shown(&entry.key)),
        label: entry.activity_type.clone().unwrap_or_else(|| "?".into()),
        body,
        query,
    };
    client::post_all(to, vec![delivery], 0, sending.ca_cert.as_deref(), out).await
}
