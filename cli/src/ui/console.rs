//! The inbox's console: `/inbox` in the web view (`listen --ui --store`, or `inbox ui` on its
//! own), and the API it calls: the counts by state and the oldest pending delivery's age, the
//! pauses, a page of deliveries by filter, and retry, purge, pause and resume.
//!
//! The page reads the same rules the command follows (`inbox::change`): a retry takes dead
//! deliveries unless a state is named, never running ones; a purge takes done ones unless a
//! state is named, never pending or running ones; each can be counted first. What the page is
//! given has no key in it: bodies are not sent, and every answer is masked with every key the
//! command knows.

use std::time::Duration;

use clinchpad_webhook::ActivityType;
use clinchpad_webhook_inbox::{Entry, Filter, Inbox, Pause, State};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::inbox::change;

/// The most deliveries a page lists.
const MOST_LISTED: u32 = 500;
/// The longest text a filter takes (a lead's id, a piece of an error).
const LONGEST_TEXT: usize = 200;

/// A filter as the page sends it: states and types by name, times in milliseconds.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Asked {
    states: Vec<String>,
    types: Vec<String>,
    lead: Option<String>,
    error: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
}

/// What the page asks to change, by filter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    #[serde(default)]
    filter: Asked,
    #[serde(default)]
    dry_run: bool,
}

/// What the page asks to pause or resume: one type, or all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseAsked {
    #[serde(rename = "type")]
    kind: Option<String>,
}

type Answered = (StatusCode, Value);

/// What a body that is not one of the console's requests is answered.
pub fn not_asked(err: &serde_json::Error) -> Answered {
    refused(format!(
        "not a request the console makes: {}",
        crate::output::shown_short(&err.to_string(), 200)
    ))
}

fn refused(problem: impl Into<String>) -> Answered {
    (StatusCode::BAD_REQUEST, json!({ "error": problem.into() }))
}

fn failed(err: clinchpad_webhook_inbox::InboxError) -> Answered {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        json!({ "error": err.to_string() }),
    )
}

impl Asked {
    /// The page's filter from a query string (`state=dead&type=lead:moved&since=...`).
    pub fn from_query(query: &str) -> Asked {
        let mut asked = Asked::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            match &*name {
                "state" => asked.states.push(value),
                "type" => asked.types.push(value),
                "lead" => asked.lead = Some(value),
                "error" => asked.error = Some(value),
                "since" => asked.since = value.parse().ok(),
                "until" => asked.until = value.parse().ok(),
                _ => {}
            }
        }
        asked
    }

    /// The filter, checked: known states and types, bounded texts, a time range in order.
    fn filter(&self) -> Result<Filter, String> {
        let mut filter = Filter::new();
        for name in self.states.iter().filter(|name| !name.is_empty()) {
            let state = [State::Pending, State::Running, State::Done, State::Dead]
                .into_iter()
                .find(|state| state.as_str() == name)
                .ok_or_else(|| format!("no state {}", crate::output::shown_short(name, 40)))?;
            filter = filter.state(state);
        }
        for name in self.types.iter().filter(|name| !name.is_empty()) {
            if name.len() > 64 || !name.contains(':') {
                return Err(format!(
                    "not an activity type: {}",
                    crate::output::shown_short(name, 40)
                ));
            }
            filter = filter.activity_type(name.clone());
        }
        for (what, text) in [("lead", &self.lead), ("error", &self.error)] {
            if text
                .as_ref()
                .is_some_and(|text| text.chars().count() > LONGEST_TEXT)
            {
                return Err(format!(
                    "the {what} is longer than {LONGEST_TEXT} characters"
                ));
            }
        }
        if let Some(lead) = self.lead.as_ref().filter(|lead| !lead.is_empty()) {
            filter = filter.lead(lead.clone());
        }
        if let Some(error) = self.error.as_ref().filter(|error| !error.is_empty()) {
            filter = filter.error_contains(error.clone());
        }
        if let (Some(from), Some(to)) = (self.since, self.until) {
            if from >= to {
                return Err("since must come before until".into());
            }
        }
        Ok(filter.received_between(self.since, self.until))
    }
}

/// The counts by state, the oldest pending delivery's age, the pauses, and the types a filter
/// can name.
pub async fn stats(inbox: &Inbox) -> Answered {
    let (counts, paused) = match tokio::try_join!(inbox.counts(), inbox.paused()) {
        Ok(read) => read,
        Err(err) => return failed(err),
    };
    let now = chrono::Utc::now().timestamp_millis();
    let paused: Vec<Value> = paused
        .iter()
        .map(|paused| match &paused.pause {
            Pause::Type(kind) => json!({ "type": kind, "since": paused.since }),
            _ => json!({ "all": true, "since": paused.since }),
        })
        .collect();
    let types: Vec<&str> = ActivityType::ALL.iter().map(|kind| kind.as_str()).collect();
    (
        StatusCode::OK,
        json!({
            "pending": counts.pending,
            "running": counts.running,
            "done": counts.done,
            "dead": counts.dead,
            "oldest_pending_age_ms": counts
                .oldest_pending_received_at
                .map(|at| now.saturating_sub(at).max(0)),
            "paused": paused,
            "types": types,
            "now": now,
        }),
    )
}

/// A page of the deliveries the filter takes, the latest first, without their bodies.
pub async fn list(inbox: &Inbox, query: &str) -> Answered {
    let filter = match Asked::from_query(query).filter() {
        Ok(filter) => filter,
        Err(problem) => return refused(problem),
    };
    let limit = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "limit")
        .and_then(|(_, value)| value.parse::<u32>().ok())
        .unwrap_or(100)
        .clamp(1, MOST_LISTED);
    let (entries, total) =
        match tokio::try_join!(inbox.list_matching(&filter, limit), inbox.count(&filter)) {
            Ok(read) => read,
            Err(err) => return failed(err),
        };
    let entries: Vec<Value> = entries.iter().map(row).collect();
    (
        StatusCode::OK,
        json!({ "entries": entries, "total": total }),
    )
}

/// One delivery as the console lists it: where it is, not what it says.
fn row(entry: &Entry) -> Value {
    json!({
        "id": entry.key,
        "type": entry.activity_type,
        "typed": entry.typed,
        "lead": entry.lead_id,
        "state": entry.state,
        "attempts": entry.attempts,
        "received_at": entry.received_at,
        "next_attempt_at": entry.next_attempt_at,
        "finished_at": entry.finished_at,
        "last_error": entry.last_error,
        "conflict_of": entry.conflict_of,
        "recovered_at": entry.recovered_at,
        "verified": entry.verified,
    })
}

/// Retries what the filter takes (dead ones unless a state is named), spread as the command
/// spreads them; or, as a dry run, counts them.
pub async fn retry(inbox: &Inbox, asked: Change) -> Answered {
    let filter = match asked.filter.filter().and_then(change::for_retry) {
        Ok(filter) => filter,
        Err(problem) => return refused(problem),
    };
    let matched = match inbox.count(&filter).await {
        Ok(matched) => matched,
        Err(err) => return failed(err),
    };
    let spread = change::default_spread(matched);
    let retried = match asked.dry_run {
        true => 0,
        false => match inbox.retry_matching(&filter, spread).await {
            Ok(retried) => retried,
            Err(err) => return failed(err),
        },
    };
    (
        StatusCode::OK,
        json!({
            "matched": matched,
            "retried": retried,
            "dry_run": asked.dry_run,
            "spread_ms": spread.as_millis() as u64,
        }),
    )
}

/// Purges what the filter takes (done ones unless a state is named; never pending or running
/// ones); or, as a dry run, counts them.
pub async fn purge(inbox: &Inbox, asked: Change) -> Answered {
    let filter = match asked.filter.filter().and_then(change::for_purge) {
        Ok(filter) => filter,
        Err(problem) => return refused(problem),
    };
    let (matched, removed) = match asked.dry_run {
        true => match inbox.count(&filter).await {
            Ok(matched) => (matched, 0),
            Err(err) => return failed(err),
        },
        false => match inbox.purge(&filter).await {
            Ok(removed) => (removed, removed),
            Err(err) => return failed(err),
        },
    };
    (
        StatusCode::OK,
        json!({ "matched": matched, "removed": removed, "dry_run": asked.dry_run }),
    )
}

/// Pauses, or resumes, one type or all.
pub async fn pause(inbox: &Inbox, asked: PauseAsked, resume: bool) -> Answered {
    let pause = match asked.kind.filter(|kind| !kind.is_empty()) {
        None => Pause::All,
        Some(kind) if kind.len() <= 64 && kind.contains(':') => Pause::Type(kind),
        Some(kind) => {
            return refused(format!(
                "not an activity type: {}",
                crate::output::shown_short(&kind, 40)
            ))
        }
    };
    let changed = match resume {
        false => inbox.pause(pause).await,
        true => inbox.resume(pause).await,
    };
    match changed {
        Ok(changed) => (StatusCode::OK, json!({ "changed": changed })),
        Err(err) => failed(err),
    }
}

/// How long an answer of the console's may take: a database that does not answer is a 503
/// the page shows, not a request left hanging.
pub const BOUND: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_from_the_page_is_checked() {
        let asked = Asked::from_query("state=dead&type=lead:moved&lead=abc&since=1&until=2");
        assert!(asked.filter().is_ok());
        assert!(Asked::from_query("state=sleeping").filter().is_err());
        assert!(Asked::from_query("type=moved").filter().is_err());
        assert!(Asked::from_query("since=5&until=2").filter().is_err());
        let long = format!("error={}", "x".repeat(LONGEST_TEXT + 1));
        assert!(Asked::from_query(&long).filter().is_err());
    }
}
