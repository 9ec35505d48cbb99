//! The inbox for people and scripts: deliveries listed by filter, one shown whole, and how
//! many there are in each state.

use std::fmt::Write as _;
use std::process::ExitCode;

use clinchpad_webhook_inbox::{Entry, Filter, Inbox, InboxError, Pause, State};
use serde_json::json;

use super::time;
use crate::output::{shown, shown_short, Output, Style};

pub async fn list(
    inbox: &Inbox,
    filter: &Filter,
    limit: u32,
    out: &Output,
) -> Result<ExitCode, InboxError> {
    let entries = inbox.list_matching(filter, limit).await?;
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

pub async fn show(inbox: &Inbox, id: &str, out: &Output) -> Result<ExitCode, InboxError> {
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

/// How many deliveries are in each state, the oldest pending one's age, and what is paused.
pub async fn stats(inbox: &Inbox, out: &Output) -> Result<ExitCode, InboxError> {
    let counts = inbox.counts().await?;
    let paused = inbox.paused().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let oldest_age = counts
        .oldest_pending_received_at
        .map(|at| now.saturating_sub(at).max(0));
    if out.json {
        let paused: Vec<_> = paused
            .iter()
            .map(|paused| {
                let kind = match &paused.pause {
                    Pause::All => None,
                    Pause::Type(kind) => Some(kind.as_str()),
                    _ => None,
                };
                json!({"all": kind.is_none(), "type": kind, "since": paused.since})
            })
            .collect();
        out.print_json(&json!({
            "pending": counts.pending,
            "running": counts.running,
            "done": counts.done,
            "dead": counts.dead,
            "oldest_pending_age_ms": oldest_age,
            "paused": paused,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    let rows = [
        ("pending", counts.pending, Style::Warn),
        ("running", counts.running, Style::Warn),
        ("done", counts.done, Style::Good),
        ("dead", counts.dead, Style::Bad),
    ];
    for (name, count, style) in rows {
        let style = if count == 0 { Style::Dim } else { style };
        let _ = write!(
            text,
            "{}  {count:>9}",
            out.paint(style, &format!("{name:<7}"))
        );
        if name == "pending" {
            if let Some(age) = oldest_age {
                let _ = write!(text, "  (the oldest received {} ago)", age_text(age));
            }
        }
        text.push('\n');
    }
    match paused.is_empty() {
        true => text.push_str("paused   nothing\n"),
        false => {
            for paused in &paused {
                let _ = writeln!(
                    text,
                    "paused   {} (since {} UTC)",
                    match &paused.pause {
                        Pause::All => "every delivery".to_owned(),
                        other => other.to_string(),
                    },
                    time(paused.since)
                );
            }
        }
    }
    out.print(&text);
    Ok(ExitCode::SUCCESS)
}

/// An age for people: `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
fn age_text(ms: i64) -> String {
    let seconds = ms / 1000;
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}
