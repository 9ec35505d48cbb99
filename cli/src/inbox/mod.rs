//! `inbox`: what the inbox keeps, for people and scripts ([`look`]); retrying, purging and
//! pausing ([`change`]), by id or by filter; and replaying from it.

pub(crate) mod change;
mod look;

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clinchpad_webhook::HandshakeKey;
use clinchpad_webhook_inbox::{Filter, Inbox, InboxError, Pause, State};

use crate::capture::{self, Places};
use crate::client::{self, usage, Delivery};
use crate::given::{since, stored_types};
use crate::output::{shown, Output};
use crate::{FilterArgs, InboxArgs, InboxCommand, InboxState};

pub async fn run(args: InboxArgs, keys: Vec<HandshakeKey>, shared: Arc<Output>) -> ExitCode {
    let out: &Output = &shared;
    let key = keys.first().cloned();
    let Some(url) = args.store else {
        return usage(out, "which inbox? pass --store URL or set CLINCHPAD_INBOX");
    };
    let changes = matches!(
        args.command,
        InboxCommand::Retry { .. }
            | InboxCommand::Purge { .. }
            | InboxCommand::Pause { .. }
            | InboxCommand::Resume { .. }
    );
    // Nothing is created: a mistyped URL must not leave an empty inbox there. A command that
    // changes the inbox may migrate an older one's schema.
    let opened = match Inbox::connect(&url).await {
        Err(InboxError::Outdated) if changes => Inbox::open(&url).await,
        opened => opened,
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
        InboxCommand::List { filter, limit } => match filter_of(&filter, out) {
            Ok(filter) => look::list(&inbox, &filter, limit, out).await,
            Err(problem) => return usage(out, &problem),
        },
        InboxCommand::Stats => look::stats(&inbox, out).await,
        InboxCommand::Show { id } => look::show(&inbox, &id, out).await,
        InboxCommand::Retry { id: Some(id), .. } => change::retry_one(&inbox, &id, out).await,
        InboxCommand::Retry {
            id: None,
            dead,
            filter,
            dry_run,
            spread,
        } => {
            let given = change::Bulk { dry_run };
            match change::retry_filter(&filter, dead, spread.as_deref(), out) {
                Ok((filter, spread)) => change::retry(&inbox, &filter, spread, given, out).await,
                Err(problem) => return usage(out, &problem),
            }
        }
        InboxCommand::Purge {
            filter,
            older_than,
            dry_run,
        } => match change::purge_filter(&filter, older_than.as_deref(), out) {
            Ok(filter) => change::purge(&inbox, &filter, change::Bulk { dry_run }, out).await,
            Err(problem) => return usage(out, &problem),
        },
        InboxCommand::Pause { types } => match pauses(&types, out) {
            Ok(pauses) => change::pause(&inbox, pauses, out).await,
            Err(problem) => return usage(out, &problem),
        },
        InboxCommand::Resume { types } => match pauses(&types, out) {
            Ok(pauses) => change::resume(&inbox, pauses, out).await,
            Err(problem) => return usage(out, &problem),
        },
        InboxCommand::Ui { addr } => return console_alone(inbox, &addr, keys, shared).await,
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

/// The inbox's filter from the command line's; an undocumented type is told, not refused (it
/// may be one ClinchPad added since, stored as drifted).
pub(super) fn filter_of(args: &FilterArgs, out: &Output) -> Result<Filter, String> {
    let mut filter = Filter::new();
    for state in &args.state {
        filter = filter.state(State::from(*state));
    }
    for kind in types(&args.types, out)? {
        filter = filter.activity_type(kind);
    }
    if let Some(lead) = &args.lead {
        filter = filter.lead(lead.clone());
    }
    if let Some(text) = &args.error {
        filter = filter.error_contains(text.clone());
    }
    let now = Utc::now();
    let at = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|text| since(flag, text, now).map(|at| at.timestamp_millis()))
            .transpose()
    };
    let (from, to) = (at("--since", &args.since)?, at("--until", &args.until)?);
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err("--since must come before --until".into());
        }
    }
    Ok(filter.received_between(from, to))
}

/// Whether any condition of a filter was given.
pub(super) fn narrows(args: &FilterArgs) -> bool {
    !args.state.is_empty()
        || !args.types.is_empty()
        || args.lead.is_some()
        || args.error.is_some()
        || args.since.is_some()
        || args.until.is_some()
}

fn types(given: &[String], out: &Output) -> Result<Vec<String>, String> {
    let (types, undocumented) = stored_types(given)?;
    for name in undocumented {
        out.warn(&format!(
            "{} is not a documented type: taken as stored (a type ClinchPad added since is kept as drifted)",
            shown(&name)
        ));
    }
    Ok(types)
}

/// The pauses `--type` names: every delivery's when none.
fn pauses(given: &[String], out: &Output) -> Result<Vec<Pause>, String> {
    let types = types(given, out)?;
    Ok(match types.is_empty() {
        true => vec![Pause::All],
        false => types.into_iter().map(Pause::Type).collect(),
    })
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

pub(super) fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |at| at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    )
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

/// `inbox ui`: the web view's console alone, until Ctrl-C or SIGTERM.
async fn console_alone(
    inbox: Inbox,
    addr: &str,
    keys: Vec<HandshakeKey>,
    out: Arc<Output>,
) -> ExitCode {
    let opened = async {
        let targets = crate::ui::Targets {
            list: Vec::new(),
            client: client::client(None)?,
            key: None,
        };
        let setup = crate::ui::Setup {
            receiver_url: "",
            forward_url: None,
            verified: false,
            strict: false,
            inbox: Some(inbox),
            console_only: true,
        };
        crate::ui::Ui::open(addr, 1, setup, targets, keys, out.clone()).await
    };
    let opened = match opened.await {
        Ok(opened) => opened,
        Err(problem) => return usage(&out, &problem.replace("--ui:", "inbox ui:")),
    };
    let mut stop = match crate::listen::StopSignal::new() {
        Ok(stop) => stop,
        Err(problem) => return usage(&out, &problem),
    };
    out.say(&format!(
        "inbox console at {} (a one-time link: open it in your browser{}; no key is ever in the page)",
        opened.url,
        if opened.ui.is_loopback() {
            ""
        } else {
            "; not on a loopback address, and plain HTTP: only on a network you trust"
        }
    ));
    out.say("stop with Ctrl-C");
    let serving = tokio::spawn(opened.ui.serve(opened.listener));
    stop.wait().await;
    serving.abort();
    ExitCode::SUCCESS
}
