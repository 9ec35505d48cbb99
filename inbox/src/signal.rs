//! What the inbox tells an application's logs, traces and metrics, with no code from it:
//! `tracing` spans and events (target `clinchpad_webhook_inbox`) and `metrics` through the
//! facade, both nothing until the application installs a subscriber or a recorder.
//!
//! - A span for each store (`clinchpad.store`) and each attempt (`clinchpad.attempt`, the
//!   handler's own events inside it), carrying the activity's id, type and lead, and what came
//!   of it. Events: INFO for a delivery stored or done; WARN for a conflict, a store that failed
//!   (answered 503), an attempt that failed (a retry scheduled), a worker waiting on its
//!   database; ERROR for a delivery given up (dead).
//! - Metrics, with OpenTelemetry's names where there is one: `http.server.request.duration`
//!   (the adapters' requests, seconds), `messaging.process.duration` (attempts, seconds),
//!   `messaging.client.consumed.messages` (deliveries claimed); and the inbox's own:
//!   `clinchpad.inbox.stores` by `outcome` (new, duplicate, conflict, unavailable),
//!   `clinchpad.inbox.retries`, `clinchpad.inbox.dead`, `clinchpad.inbox.pruned`, and the
//!   gauges `clinchpad.inbox.deliveries` by `state` and `clinchpad.inbox.oldest_pending_age`
//!   (seconds), sampled by workers every 15 s and by [`Inbox::sample_gauges`].
//!
//! No key is in any of them: bodies are never logged, and errors are stored text, masked.
//!
//! [`Inbox::sample_gauges`]: crate::Inbox::sample_gauges

use std::time::Duration;

use tracing::{field, Span};

use crate::entry::{Entry, Stored};
use crate::error::InboxError;
use crate::filter::Counts;
use crate::outcome::Outcome;

const TARGET: &str = "clinchpad_webhook_inbox";

/// The span of one store.
pub(crate) fn store_span(
    activity_id: Option<&str>,
    activity_type: Option<&str>,
    lead_id: Option<&str>,
) -> Span {
    tracing::info_span!(
        target: TARGET,
        "clinchpad.store",
        activity_id = activity_id.map(shown),
        activity_type = activity_type.map(shown),
        lead_id = lead_id.map(shown),
    )
}

/// What came of a store, as an event in its span.
pub(crate) fn stored(result: &Result<Stored, InboxError>) {
    let outcome = match result {
        Ok(Stored::New) => "new",
        Ok(Stored::Duplicate) => "duplicate",
        Ok(Stored::Conflict) => "conflict",
        Err(_) => "unavailable",
    };
    match result {
        Ok(Stored::Conflict) => tracing::warn!(
            target: TARGET,
            outcome,
            "delivery stored as a conflict: the same activity id came before with another body"
        ),
        Ok(_) => tracing::info!(target: TARGET, outcome, "delivery stored"),
        Err(err) => tracing::warn!(
            target: TARGET,
            outcome,
            error = %err,
            "delivery not stored: to be answered 503, for ClinchPad to see the failure"
        ),
    }
    metrics::counter!("clinchpad.inbox.stores", "outcome" => outcome).increment(1);
}

/// An adapter's request, answered with `status` after `elapsed`.
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) fn answered(status: u16, elapsed: Duration) {
    let status = match status {
        204 => "204",
        503 => "503",
        _ => "other",
    };
    metrics::histogram!(
        "http.server.request.duration",
        "http.request.method" => "POST",
        "http.response.status_code" => status
    )
    .record(elapsed.as_secs_f64());
}

/// The span of one attempt at `entry`.
pub(crate) fn attempt_span(entry: &Entry) -> Span {
    metrics::counter!("messaging.client.consumed.messages", "messaging.system" => "clinchpad_inbox")
        .increment(1);
    tracing::info_span!(
        target: TARGET,
        "clinchpad.attempt",
        activity_id = entry.activity_id.as_deref().map(shown),
        activity_type = entry.activity_type.as_deref().map(shown),
        lead_id = entry.lead_id.as_deref().map(shown),
        attempt = entry.attempts,
        outcome = field::Empty,
    )
}

/// What came of an attempt, in its span, after `elapsed`.
pub(crate) fn attempted(outcome: &Result<Outcome, InboxError>, elapsed: Duration) {
    let name = match outcome {
        Ok(Outcome::Done { .. }) => {
            tracing::info!(target: TARGET, "delivery done");
            "done"
        }
        Ok(Outcome::Retry { error, at, .. }) => {
            tracing::warn!(target: TARGET, error = %error, due_at_ms = at, "attempt failed: retry scheduled");
            metrics::counter!("clinchpad.inbox.retries").increment(1);
            "retry"
        }
        Ok(Outcome::Dead { error, .. }) => {
            tracing::error!(target: TARGET, error = %error, "delivery dead: given up, kept until retried");
            metrics::counter!("clinchpad.inbox.dead").increment(1);
            "dead"
        }
        Ok(Outcome::ClaimLost { .. }) => {
            tracing::warn!(
                target: TARGET,
                "claim lost: the attempt outlived its lease, and another worker took the delivery"
            );
            "claim_lost"
        }
        Err(err) => {
            tracing::warn!(target: TARGET, error = %err, "the outcome could not be recorded: the delivery will be taken again");
            "unrecorded"
        }
    };
    Span::current().record("outcome", name);
    metrics::histogram!(
        "messaging.process.duration",
        "messaging.operation.name" => "process",
        "outcome" => name
    )
    .record(elapsed.as_secs_f64());
}

/// A delivery given back at a stop, its attempt not counted.
pub(crate) fn given_back() {
    Span::current().record("outcome", "given_back");
    tracing::info!(target: TARGET, "delivery given back at a stop: due at once for another worker");
}

/// The database failed a worker, which waits and goes on.
pub(crate) fn worker_waits(err: &InboxError, wait: Duration) {
    tracing::warn!(
        target: TARGET,
        error = %err,
        wait_ms = wait.as_millis() as u64,
        "worker waits on the inbox's database"
    );
}

/// The workers' listening connection on PostgreSQL failed: stores of other processes are
/// found by the poll until it is back. `why` holds no credential of the URL.
#[cfg(feature = "postgres")]
pub(crate) fn not_listening(why: &str, wait: Duration) {
    tracing::warn!(
        target: TARGET,
        error = why,
        wait_ms = wait.as_millis() as u64,
        "workers not listening for other processes' stores; polling until listening again"
    );
}

/// Old done deliveries removed.
pub(crate) fn pruned(removed: u64) {
    if removed > 0 {
        tracing::info!(target: TARGET, removed, "done deliveries older than kept removed");
    }
    metrics::counter!("clinchpad.inbox.pruned").increment(removed);
}

/// The gauges, from counts read at `now_ms`.
pub(crate) fn gauges(counts: &Counts, now_ms: i64) {
    for (state, count) in [
        ("pending", counts.pending),
        ("running", counts.running),
        ("done", counts.done),
        ("dead", counts.dead),
    ] {
        metrics::gauge!("clinchpad.inbox.deliveries", "state" => state).set(count as f64);
    }
    let age = counts
        .oldest_pending_received_at
        .map_or(0, |at| now_ms.saturating_sub(at).max(0));
    metrics::gauge!("clinchpad.inbox.oldest_pending_age").set(age as f64 / 1000.0);
}

/// Text from a delivery as a log's field: one escaped line of at most 100 characters, made
/// only when a subscriber writes it.
fn shown(text: &str) -> field::DisplayValue<Shown<'_>> {
    field::display(Shown(text))
}

struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let escaped = clinchpad_webhook::escape_text(self.0);
        match escaped.char_indices().nth(100) {
            Some((cut, _)) => write!(f, "{}…", &escaped[..cut]),
            None => f.write_str(&escaped),
        }
    }
}

/// Describes the metrics the receiver and the inbox record to the recorder installed now: a
/// help text and a unit for each (durations in seconds), which an exporter shows (Prometheus:
/// `# HELP` lines, and `_seconds` on the durations' names when it adds units). Call it once,
/// after installing the recorder; the metrics are recorded with or without it.
pub fn describe_metrics() {
    use metrics::Unit;
    metrics::describe_histogram!(
        "http.server.request.duration",
        Unit::Seconds,
        "Requests to the receiver, from the delivery taken to the answer, by status"
    );
    metrics::describe_histogram!(
        "messaging.process.duration",
        Unit::Seconds,
        "Attempts at stored deliveries, by outcome (done, retry, dead, claim_lost, unrecorded)"
    );
    metrics::describe_counter!(
        "messaging.client.consumed.messages",
        Unit::Count,
        "Deliveries claimed by workers"
    );
    metrics::describe_counter!(
        "clinchpad.webhook.refused",
        Unit::Count,
        "Requests the receiver refused, by status (400, 401, 413)"
    );
    metrics::describe_counter!(
        "clinchpad.webhook.drifted",
        Unit::Count,
        "Deliveries taken although they do not fit the documentation"
    );
    metrics::describe_counter!(
        "clinchpad.inbox.stores",
        Unit::Count,
        "Stores by outcome: new, duplicate, conflict, unavailable (answered 503)"
    );
    metrics::describe_counter!(
        "clinchpad.inbox.retries",
        Unit::Count,
        "Failed attempts scheduled to be tried again"
    );
    metrics::describe_counter!("clinchpad.inbox.dead", Unit::Count, "Deliveries given up");
    metrics::describe_counter!(
        "clinchpad.inbox.pruned",
        Unit::Count,
        "Done deliveries removed as older than the inbox keeps them"
    );
    metrics::describe_gauge!(
        "clinchpad.inbox.deliveries",
        Unit::Count,
        "Deliveries in the inbox, by state"
    );
    metrics::describe_gauge!(
        "clinchpad.inbox.oldest_pending_age",
        Unit::Seconds,
        "How long the oldest pending delivery has waited since it was received"
    );
}
