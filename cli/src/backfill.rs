//! `backfill`: what the webhook never delivered, recovered from ClinchPad's REST API into the
//! inbox, once or every so often.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clinchpad_webhook::{HandshakeKey, Receiver};
use clinchpad_webhook_inbox::api::{ApiError, ApiKey, Client};
use clinchpad_webhook_inbox::{
    Backfill, BackfillCause, BackfillError, BackfillReport, Inbox, Reached,
};
use serde_json::json;

use crate::client::usage;
use crate::given::{activity_types, duration, humane, since};
use crate::inbox::shown_store;
use crate::listen::StopSignal;
use crate::output::{shown, Output};
use crate::BackfillArgs;

/// The environment variable the API key is read from.
pub const API_KEY_VARIABLE: &str = "CLINCHPAD_API_KEY";

/// The most an API key file may hold: a key is 32 characters.
const KEY_FILE_LIMIT: u64 = 4096;

/// Recovers into the inbox at `--store`; `keys` (the handshake keys the command knows) and the
/// API key are masked wherever an activity's free text quotes them, as a receiver masks its
/// keys in what it stores.
pub async fn run(args: BackfillArgs, keys: Vec<HandshakeKey>, out: &Output) -> ExitCode {
    let Some(url) = args.store.as_deref() else {
        return usage(out, "which inbox? pass --store URL or set CLINCHPAD_INBOX");
    };
    let since = match args
        .since
        .as_deref()
        .map(|text| since("--since", text, Utc::now()))
    {
        Some(Err(problem)) => return usage(out, &problem),
        Some(Ok(since)) => Some(since),
        None => None,
    };
    let every = match args.every.as_deref().map(duration) {
        Some(Err(problem)) => return usage(out, &format!("--every: {problem}")),
        Some(Ok(every)) => Some(every),
        None => None,
    };
    let key = match api_key(args.api_key_file.as_deref()) {
        Ok(key) => key,
        Err(problem) => return usage(out, &problem),
    };
    // From here on the key's text is masked in everything printed, should an answer echo it,
    // and in what is stored, should an activity quote it.
    let mut masked = keys;
    if let Ok(hidden) = HandshakeKey::new(key.as_str()) {
        out.hide(&hidden);
        masked.push(hidden);
    }
    let Ok(api_key) = ApiKey::new(key.as_str()) else {
        return usage(out, &format!("the API key in {} is empty", key.source));
    };
    drop(key);
    let built = Client::builder()
        .budget_per_hour(args.budget)
        .base_url(args.api_url.clone())
        .build(api_key);
    let client = match built {
        Ok(client) => client,
        Err(err) => return usage(out, &format!("--api-url: {err}")),
    };
    let mut masked = masked.into_iter();
    let masking = masked
        .next()
        .map(|first| masked.fold(Receiver::new(first), Receiver::with_key));
    let inbox = match Inbox::open(url).await {
        Ok(inbox) => match &masking {
            Some(receiver) => inbox.masking_keys_of(receiver),
            None => inbox,
        },
        Err(err) => {
            return usage(
                out,
                &format!("cannot open the inbox at {}: {err}", shown_store(url)),
            )
        }
    };
    let types = match activity_types(&args.types) {
        Ok(types) => types,
        Err(problem) => return usage(out, &problem),
    };
    let mut backfill = Backfill::new().types(types);
    if let Some(size) = args.page_size {
        backfill = backfill.page_size(size);
    }
    let Some(every) = every else {
        let first = match since {
            Some(since) => backfill.clone().since(since),
            None => backfill,
        };
        return report(inbox.backfill(&client, &first).await, out);
    };
    periodically(&inbox, &client, backfill, since, every, out).await
}

/// Runs a backfill every `every` until stopped: the first down to `since` when given, the
/// next ones down to the last. A run that stops before its end (its budget spent, ClinchPad
/// down) is said and gone on from at the next; a refused key ends it.
async fn periodically(
    inbox: &Inbox,
    client: &Client,
    backfill: Backfill,
    since: Option<DateTime<Utc>>,
    every: Duration,
    out: &Output,
) -> ExitCode {
    let mut stop = match StopSignal::new() {
        Ok(stop) => stop,
        Err(problem) => return usage(out, &problem),
    };
    // The first run goes down to --since; an unfinished one goes on from where it stopped.
    let mut first = since.map(|since| backfill.clone().since(since));
    out.say(&format!(
        "backfilling every {}; Ctrl-C to stop",
        humane(every)
    ));
    loop {
        let this = first.take().unwrap_or_else(|| backfill.clone());
        let done = inbox.backfill(client, &this).await;
        if let Err(BackfillError {
            cause: BackfillCause::Api(ApiError::Unauthorized),
            ..
        }) = &done
        {
            return report(done, out);
        }
        report(done, out);
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait() => {
                out.say("stopped");
                return ExitCode::SUCCESS;
            }
        }
    }
}

/// Prints what a run did; its exit status: 0 when it finished, 1 when it stopped before its
/// end (run it again to go on), 2 when ClinchPad refused the key.
fn report(done: Result<BackfillReport, BackfillError>, out: &Output) -> ExitCode {
    let (report, error) = match &done {
        Ok(report) => (report, None),
        Err(err) => (&err.report, Some(&err.cause)),
    };
    if out.json {
        out.print_json(&json!({
            "event": "backfill",
            "finished": error.is_none(),
            "reached": report.reached.map(reached_name),
            "seen": report.seen,
            "already_stored": report.already_stored,
            "recovered": report.recovered,
            "drifted": report.drifted,
            "calls": report.calls,
            "pages": report.pages,
            "leads_read": report.leads_read,
            "resumed": report.resumed,
            "error": error.map(ToString::to_string),
        }));
    } else {
        out.print(&format!("backfill: {}\n", shown(&report.to_string())));
    }
    match error {
        None => ExitCode::SUCCESS,
        Some(BackfillCause::Api(ApiError::Unauthorized)) => {
            out.warn(&error.map(ToString::to_string).unwrap_or_default());
            ExitCode::from(2)
        }
        Some(cause) => {
            out.warn(&format!(
                "the backfill stopped before its end: {cause}; run it again to go on from there"
            ));
            ExitCode::from(1)
        }
    }
}

fn reached_name(reached: Reached) -> &'static str {
    match reached {
        Reached::Since => "since",
        Reached::LastRun => "last_run",
        Reached::HeldRun => "held_run",
        Reached::End => "end",
        _ => "other",
    }
}

/// The API key's text, and where it came from; wiped when dropped.
struct KeyText {
    text: zeroize::Zeroizing<String>,
    source: String,
}

impl KeyText {
    fn as_str(&self) -> &str {
        self.text.trim()
    }
}

/// The API key: from `file` (its first line) when given, else from $CLINCHPAD_API_KEY. Fails
/// closed: a backfill never runs without one.
fn api_key(file: Option<&Path>) -> Result<KeyText, String> {
    let (text, source) = match file {
        Some(path) => {
            let shown_path = shown(&path.display().to_string());
            let metadata = std::fs::metadata(path)
                .map_err(|err| format!("cannot read the API key file {shown_path}: {err}"))?;
            if metadata.len() > KEY_FILE_LIMIT {
                return Err(format!(
                    "the API key file {shown_path} is {} bytes: a key is one short line",
                    metadata.len()
                ));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read the API key file {shown_path}: {err}"))?;
            (text, shown_path)
        }
        None => match std::env::var(API_KEY_VARIABLE) {
            Ok(text) => (text, API_KEY_VARIABLE.to_owned()),
            Err(_) => {
                return Err(format!(
                    "no ClinchPad API key: set {API_KEY_VARIABLE} (ClinchPad: Settings → API) or pass --api-key-file FILE"
                ))
            }
        },
    };
    let key = KeyText {
        text: zeroize::Zeroizing::new(text),
        source,
    };
    if key.as_str().is_empty() {
        return Err(format!("the API key in {} is empty", key.source));
    }
    if key.as_str().contains(['\n', '\r']) {
        return Err(format!(
            "the API key in {} is more than one line",
            key.source
        ));
    }
    Ok(key)
}
