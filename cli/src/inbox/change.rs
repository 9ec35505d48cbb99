//! The inbox changed: deliveries made due again (one by id, or those a filter takes, spread
//! over a window), done or dead ones removed, processing paused and resumed. A bulk change
//! can be counted first (`--dry-run`); every one says how many it changed.

use std::process::ExitCode;
use std::time::Duration;

use clinchpad_webhook_inbox::{Filter, Inbox, InboxError, Pause, State};
use serde_json::json;

use super::{filter_of, narrows};
use crate::given::{duration, humane};
use crate::output::{shown, Output};
use crate::FilterArgs;

/// The widest window deliveries retried together are spread over by default.
const MAX_SPREAD: Duration = Duration::from_secs(600);

/// What a retry by filter takes: dead deliveries unless a state is named; never running ones
/// (a worker has those). Shared by the command and the console.
pub fn for_retry(filter: Filter) -> Result<Filter, String> {
    if filter.states.contains(&State::Running) {
        return Err("running: a worker has those; they are its to finish".into());
    }
    Ok(match filter.states.is_empty() {
        true => filter.state(State::Dead),
        false => filter,
    })
}

/// What a purge takes: done deliveries unless a state is named; never pending or running ones
/// (they have not been processed yet). Shared by the command and the console.
pub fn for_purge(filter: Filter) -> Result<Filter, String> {
    if let Some(state) = filter
        .states
        .iter()
        .find(|state| matches!(state, State::Pending | State::Running))
    {
        return Err(format!(
            "{state}: only done and dead deliveries can be purged; a {state} one has not been processed yet"
        ));
    }
    Ok(match filter.states.is_empty() {
        true => filter.state(State::Done),
        false => filter,
    })
}

/// The window `matched` deliveries retried together are spread over: 1 ms each, about as fast
/// as a worker takes them, and at most [`MAX_SPREAD`].
pub fn default_spread(matched: u64) -> Duration {
    Duration::from_millis(matched).min(MAX_SPREAD)
}

/// How a bulk change goes.
pub struct Bulk {
    /// Count what it would change, and change nothing.
    pub dry_run: bool,
}

pub async fn retry_one(inbox: &Inbox, id: &str, out: &Output) -> Result<ExitCode, InboxError> {
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

/// What `retry` without an id takes: the filter (dead deliveries unless --state says
/// otherwise; never running ones) and the window given, if any.
pub fn retry_filter(
    args: &FilterArgs,
    dead: bool,
    spread: Option<&str>,
    out: &Output,
) -> Result<(Filter, Option<Duration>), String> {
    if !dead && !narrows(args) {
        return Err(
            "which deliveries? give an ID, --dead, or filters (--state, --type, --lead, --error, --since, --until)"
                .into(),
        );
    }
    let mut filter = filter_of(args, out)?;
    if dead {
        filter = filter.state(State::Dead);
    }
    let filter = for_retry(filter).map_err(|problem| format!("--state {problem}"))?;
    let spread = match spread {
        Some("0" | "0s") => Some(Duration::ZERO),
        Some(text) => Some(duration(text).map_err(|problem| format!("--spread {problem}"))?),
        None => None,
    };
    Ok((filter, spread))
}

/// Makes the deliveries `filter` takes due again, spread over `spread` (by default 1 ms per
/// delivery, at most [`MAX_SPREAD`]: about as fast as a worker takes them).
pub async fn retry(
    inbox: &Inbox,
    filter: &Filter,
    spread: Option<Duration>,
    bulk: Bulk,
    out: &Output,
) -> Result<ExitCode, InboxError> {
    let matched = inbox.count(filter).await?;
    let spread = spread.unwrap_or_else(|| default_spread(matched));
    let retried = match bulk.dry_run {
        true => 0,
        false => inbox.retry_matching(filter, spread).await?,
    };
    if out.json {
        out.print_json(&json!({
            "matched": matched,
            "retried": retried,
            "dry_run": bulk.dry_run,
            "spread_ms": spread.as_millis() as u64,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let said = match (bulk.dry_run, retried) {
        (true, _) => format!(
            "{} would be made due again (dry run: nothing changed)",
            deliveries(matched)
        ),
        (false, 0) => "no deliveries to retry".to_owned(),
        (false, n) if spread.is_zero() || n == 1 => format!("{} due again now", deliveries(n)),
        (false, n) => format!(
            "{} due again, spread over {}",
            deliveries(n),
            window(spread)
        ),
    };
    out.print(&format!("{said}\n"));
    Ok(ExitCode::SUCCESS)
}

/// What `purge` takes: done deliveries unless --state names done or dead (never pending or
/// running: they have not been processed), finished longer ago than --older-than.
pub fn purge_filter(
    args: &FilterArgs,
    older_than: Option<&str>,
    out: &Output,
) -> Result<Filter, String> {
    if older_than.is_none() && !narrows(args) {
        return Err(
            "which deliveries? give --older-than AGE, --state done|dead, or other filters (--type, --lead, --error, --since, --until)"
                .into(),
        );
    }
    let mut filter =
        for_purge(filter_of(args, out)?).map_err(|problem| format!("--state {problem}"))?;
    if let Some(age) = older_than {
        let age = duration(age).map_err(|problem| format!("--older-than {problem}"))?;
        filter = filter.finished_before(age);
    }
    Ok(filter)
}

pub async fn purge(
    inbox: &Inbox,
    filter: &Filter,
    bulk: Bulk,
    out: &Output,
) -> Result<ExitCode, InboxError> {
    let (matched, removed) = match bulk.dry_run {
        true => (inbox.count(filter).await?, 0),
        false => {
            let removed = inbox.purge(filter).await?;
            (removed, removed)
        }
    };
    if out.json {
        out.print_json(&json!({
            "matched": matched,
            "removed": removed,
            "dry_run": bulk.dry_run,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let said = match bulk.dry_run {
        true => format!(
            "{} would be removed (dry run: nothing changed)",
            deliveries(matched)
        ),
        false => format!("{} removed", deliveries(removed)),
    };
    out.print(&format!("{said}\n"));
    Ok(ExitCode::SUCCESS)
}

pub async fn pause(
    inbox: &Inbox,
    pauses: Vec<Pause>,
    out: &Output,
) -> Result<ExitCode, InboxError> {
    let mut said = Vec::new();
    for pause in pauses {
        let new = inbox.pause(pause.clone()).await?;
        said.push(json!({"paused": as_json(&pause), "already": !new}));
        if !out.json {
            let already = if new { "" } else { " (it was already)" };
            out.print(&format!(
                "paused: {}{already}; deliveries are still stored\n",
                what(&pause)
            ));
        }
    }
    if out.json {
        said.iter().for_each(|line| out.print_json(line));
    }
    Ok(ExitCode::SUCCESS)
}

/// Lifts the pauses named; [`Pause::All`] lifts every pause in force.
pub async fn resume(
    inbox: &Inbox,
    pauses: Vec<Pause>,
    out: &Output,
) -> Result<ExitCode, InboxError> {
    let pauses = match pauses.as_slice() {
        [Pause::All] => inbox
            .paused()
            .await?
            .into_iter()
            .map(|paused| paused.pause)
            .collect(),
        _ => pauses,
    };
    let mut resumed = Vec::new();
    for pause in pauses {
        if inbox.resume(pause.clone()).await? {
            resumed.push(pause);
        }
    }
    let still_all = inbox
        .paused()
        .await?
        .iter()
        .any(|paused| paused.pause == Pause::All);
    if out.json {
        let resumed: Vec<_> = resumed.iter().map(as_json).collect();
        out.print_json(&json!({"resumed": resumed, "all_still_paused": still_all}));
        return Ok(ExitCode::SUCCESS);
    }
    match resumed.is_empty() {
        true => out.print("nothing was paused\n"),
        false => {
            let resumed: Vec<String> = resumed.iter().map(what).collect();
            out.print(&format!("resumed: {}\n", resumed.join(", ")));
        }
    }
    if still_all {
        out.warn("every delivery is still paused: `inbox resume` without --type lifts that too");
    }
    Ok(ExitCode::SUCCESS)
}

/// What a pause takes, for people and for JSON.
fn what(pause: &Pause) -> String {
    match pause {
        Pause::All => "every delivery".to_owned(),
        other => other.to_string(),
    }
}

/// A pause for machines: `{"all": true}` or `{"type": "lead:moved"}`.
fn as_json(pause: &Pause) -> serde_json::Value {
    match pause {
        Pause::Type(kind) => json!({"type": kind}),
        _ => json!({"all": true}),
    }
}

fn deliveries(n: u64) -> String {
    match n {
        1 => "1 delivery".to_owned(),
        n => format!("{n} deliveries"),
    }
}

fn window(spread: Duration) -> String {
    match spread.as_millis() {
        ms if ms < 1000 => format!("{ms} ms"),
        _ => humane(Duration::from_secs(spread.as_secs())),
    }
}
