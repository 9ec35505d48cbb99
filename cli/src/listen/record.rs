//! What is recorded of a request: shown as text or JSON, saved, and put in the web view.
//!
//! [`Seen`] is what became of it; [`record`] counts it, prints it as a line of text or of
//! JSON, saves it (`--save`) and puts it in the web view (`--ui`), never with a key.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use clinchpad_webhook::Rejection;
use clinchpad_webhook_inbox::Stored;
use hyper::body::Bytes;
use hyper::StatusCode;
use serde_json::json;

use super::drain::DROPPED;
use super::request::{Refusal, Taken};
use super::State;
use crate::capture::{self, Forwarded, KeySeen, Record};
use crate::output::{clock, shown, Output, Style};
use crate::show;
use crate::ui::Source;

/// What became of one request.
pub(super) struct Seen {
    pub(super) received_at: DateTime<Utc>,
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: String,
    /// The body, when it was read.
    pub(super) body: Option<Bytes>,
    pub(super) declared: Option<u64>,
    /// The headers, with `***` for any value that holds a key.
    pub(super) headers: Vec<(String, String)>,
    pub(super) outcome: Result<Taken, Refusal>,
    pub(super) key: KeySeen,
    pub(super) forwarded: Option<Forwarded>,
    /// What the inbox said, when there is one and the delivery was taken.
    pub(super) stored: Option<Stored>,
    /// Not answered when `listen` stopped: answered 503 and counted as dropped.
    pub(super) dropped: bool,
}

/// The status and verdict a request is shown and saved with.
fn verdict(seen: &Seen) -> (u16, &'static str) {
    match &seen.outcome {
        _ if seen.dropped => (StatusCode::SERVICE_UNAVAILABLE.as_u16(), "dropped"),
        Ok(Taken { drift: Some(_), .. }) => (204, "drifted"),
        Ok(_) => (204, "accepted"),
        Err(refusal @ Refusal::Rejected(_)) => (refusal.status(), "refused"),
        Err(refusal @ Refusal::Ignored(..)) => (refusal.status(), "ignored"),
        Err(refusal @ Refusal::Unstored(_)) => (refusal.status(), "unstored"),
    }
}

/// Shows the request, and saves it.
pub(super) fn record(state: &State, seen: &Seen) {
    state.seen.fetch_add(1, Ordering::SeqCst);
    let forward_failed = seen
        .forwarded
        .as_ref()
        .is_some_and(|f| !f.status.is_some_and(|s| (200..300).contains(&s)));
    if seen.dropped {
        state.dropped.fetch_add(1, Ordering::SeqCst);
    } else if seen.outcome.is_err() || forward_failed {
        state.failed.fetch_add(1, Ordering::SeqCst);
    }
    let (status, verdict) = verdict(seen);
    if verdict == "drifted" {
        state.drifted.fetch_add(1, Ordering::SeqCst);
    }
    let keys = state.key_texts();
    let query = capture::query_to_keep(&seen.query, &keys);
    let path = capture::path_to_keep(&seen.path, &keys);
    let out = &state.out;
    if out.json {
        out.print_json(&json_line(seen, status, verdict, &path, &query));
    } else {
        out.print(&text(state, seen, status, verdict, &path, &query));
    }
    if state.save.is_none() && state.ui.is_none() {
        return;
    }
    let (body, body_withheld) = match &seen.body {
        None => (None, None),
        Some(bytes) => match capture::body_to_keep(bytes, &keys) {
            Ok(text) => (Some(text), None),
            Err(reason) => (None, Some(reason)),
        },
    };
    let line = Record {
        received_at: seen.received_at,
        method: seen.method.clone(),
        path,
        query,
        body,
        body_length: seen.body.as_ref().map(|b| b.len() as u64),
        declared_length: seen.body.is_none().then_some(seen.declared).flatten(),
        body_withheld,
        key: seen.key,
        verdict: verdict.to_owned(),
        status,
        error: match &seen.outcome {
            _ if seen.dropped => Some(DROPPED.to_owned()),
            Ok(taken) => taken.drift.as_ref().map(ToString::to_string),
            Err(refusal) => Some(refusal.text()),
        },
        activity_type: seen
            .outcome
            .as_ref()
            .ok()
            .and_then(|taken| taken.type_name.clone()),
        forwarded: seen.forwarded.as_ref().map(|f| Forwarded {
            status: f.status,
            error: f.error.clone(),
            ms: f.ms,
            body: f.body.clone(),
        }),
        stored: seen.stored.map(|stored| match stored {
            Stored::New => capture::Stored::New,
            Stored::Conflict => capture::Stored::Conflict,
            _ => capture::Stored::Duplicate,
        }),
        headers: seen.headers.clone(),
        inbox: None,
    };
    if let Some(save) = &state.save {
        save_line(out, save, &line);
    }
    if let Some(ui) = &state.ui {
        ui.push(Source::Live, line);
    }
}

/// Appends `line` to the `--save` file.
fn save_line(out: &Output, save: &Mutex<File>, line: &Record) {
    // The same masking as what is printed: no configured key in any field.
    let written = out
        .json_line(line)
        .map_err(|err| err.to_string())
        .and_then(|line| {
            let mut file = save.lock().map_err(|err| err.to_string())?;
            // One write per line, flushed, so that a stop never leaves half a line.
            writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .map_err(|err| err.to_string())
        });
    if let Err(err) = written {
        out.warn(&format!("cannot write to the --save file: {err}"));
    }
}

/// The request for people: one line, the caret under a bad body's error, details with -v.
fn text(state: &State, seen: &Seen, status: u16, verdict: &str, path: &str, query: &str) -> String {
    let out = &state.out;
    let verdict_style = match verdict {
        "accepted" => Style::Good,
        "drifted" | "dropped" => Style::Warn,
        _ => Style::Bad,
    };
    let mut line = format!(
        "{}  {} {:<8}  ",
        out.paint(Style::Dim, &clock(seen.received_at)),
        out.status(status),
        out.paint(verdict_style, verdict)
    );
    let mut details = String::new();
    match &seen.outcome {
        Ok(taken) => {
            match &taken.payload {
                Some(payload) => line.push_str(&show::gist(payload)),
                None => line.push_str(&shown(taken.type_name.as_deref().unwrap_or("?"))),
            }
            if let Some(err) = &taken.drift {
                // Taken, not as documented: where it does not fit, under the line.
                details.push_str(&format!("    {}\n", show::error_line(err, false)));
                if let Some(body) = &seen.body {
                    details.push_str(&show::caret(body, &state.key_texts(), err, 0, "    "));
                }
            }
            if let (true, Some(payload)) = (out.verbose, &taken.payload) {
                for summary_line in show::summary(payload).lines() {
                    details.push_str(&format!("    {summary_line}\n"));
                }
            }
        }
        Err(Refusal::Rejected(Rejection::InvalidPayload(err))) => {
            line.push_str(&show::error_line(err, false));
            if let Some(body) = &seen.body {
                details.push_str(&show::caret(body, &state.key_texts(), err, 0, "    "));
            }
        }
        Err(refusal) => {
            line.push_str(&refusal.text());
            if matches!(refusal, Refusal::Rejected(Rejection::Unauthorized(_))) {
                line.push_str(&format!(" ({})", seen.key.places()));
            }
        }
    }
    match seen.stored {
        Some(Stored::New) => line.push_str("  → stored"),
        Some(Stored::Conflict) => line.push_str(&format!(
            "  → stored as a {}: this id was stored before with another body",
            out.paint(Style::Warn, "conflict")
        )),
        Some(_) => line.push_str("  → stored before"),
        None => {}
    }
    if let Some(forwarded) = &seen.forwarded {
        match (forwarded.status, &forwarded.error) {
            (Some(app), _) => line.push_str(&format!(
                "  → app {} in {:.1} ms",
                out.status(app),
                forwarded.ms
            )),
            (None, error) => line.push_str(&format!(
                "  → app {}: {}",
                out.paint(Style::Bad, "unreachable"),
                error.as_deref().unwrap_or_default()
            )),
        }
    } else if seen.dropped && seen.outcome.is_ok() && state.forward.is_some() {
        line.push_str(&format!(
            "  → app {} before listen stopped",
            out.paint(Style::Warn, "no answer")
        ));
    }
    if out.verbose {
        let size = seen.body.as_ref().map(|b| b.len() as u64).or(seen.declared);
        details.push_str(&format!(
            "    {} {}{}{}, {} bytes\n",
            shown(&seen.method),
            shown(path),
            if query.is_empty() { "" } else { "?" },
            shown(query),
            size.map_or("?".to_owned(), |s| s.to_string())
        ));
    }
    format!("{line}\n{details}")
}

/// The request for machines: one JSON object, never the key.
fn json_line(
    seen: &Seen,
    status: u16,
    verdict: &str,
    path: &str,
    query: &str,
) -> serde_json::Value {
    let mut line = json!({
        "received_at": seen.received_at,
        "method": seen.method,
        "path": path,
        "query": query,
        "status": status,
        "verdict": verdict,
        "key": seen.key,
    });
    match &seen.outcome {
        Ok(taken) => {
            line["type"] = json!(taken.type_name);
            line["activity_id"] = json!(taken.activity_id);
            if let Some(payload) = &taken.payload {
                line["lead"] = json!(payload.lead.name);
            }
            if let Some(err) = &taken.drift {
                line["error"] = show::error_json(err);
            }
        }
        Err(Refusal::Rejected(rejection)) => {
            line["error"] = match rejection.error() {
                Some(err) => show::error_json(err),
                None => json!({"kind": "request", "message": rejection.to_string()}),
            };
        }
        Err(refusal) => line["error"] = json!({"kind": "request", "message": refusal.text()}),
    }
    if seen.dropped {
        line["error"] = json!({"kind": "dropped", "message": DROPPED});
    }
    if let Some(forwarded) = &seen.forwarded {
        line["forwarded"] = json!(forwarded);
    }
    if let Some(stored) = seen.stored {
        line["stored"] = json!(stored);
    }
    line
}
