//! `clinchpad-webhook`: see, send and replay ClinchPad webhook deliveries without ClinchPad.
//!
//! ```text
//! clinchpad-webhook inspect fixtures/note_created.json
//! clinchpad-webhook listen --key gfhkd1asfsa --save deliveries.ndjson --ui 127.0.0.1:8081
//! clinchpad-webhook send http://127.0.0.1:8080/ --type lead:moved --key gfhkd1asfsa
//! clinchpad-webhook replay deliveries.ndjson --to http://127.0.0.1:3000/hooks/clinchpad
//! clinchpad-webhook inbox list --store sqlite://inbox.db
//! ```

// Without `net`, the command is `inspect` alone, and the parts of the others it shares go
// unused.
#![cfg_attr(not(feature = "net"), allow(dead_code))]

#[cfg(feature = "net")]
mod backfill;
mod capture;
#[cfg(feature = "net")]
mod client;
#[cfg(feature = "net")]
mod connections;
mod documents;
#[cfg(feature = "net")]
mod given;
#[cfg(feature = "net")]
mod inbox;
mod inspect;
#[cfg(feature = "net")]
mod listen;
mod mask;
mod output;
mod show;
#[cfg(feature = "net")]
mod ui;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clinchpad_webhook::{HandshakeKey, VarProblem};

use crate::output::Output;

/// The environment variable the key is read from when `--key` is not given.
const KEY_VARIABLE: &str = "CLINCHPAD_HANDSHAKE_KEY";

/// See, send and replay ClinchPad webhook deliveries, without ClinchPad and without a third
/// party: inspect payloads, run a local receiver that shows each delivery, fire sample
/// deliveries at your receiver, replay the ones you captured, and look into an inbox that
/// stores them.
///
/// The handshake key comes from --key or the CLINCHPAD_HANDSHAKE_KEY environment variable
/// (prefer the variable: arguments show in the process list). No key is ever printed, logged
/// or saved.
///
/// Exit status: 0 when every payload was good and every request answered 2xx; 1 when some
/// payload was bad, some request refused, some answer not 2xx, or some request not sent or
/// not answered; 2 for a usage error or what stopped the command from starting (an unreadable
/// file, an address in use, an inbox that cannot be opened); 3 when `send`, `replay` or
/// `inbox replay` got no answer at all to some request (nothing listening, a timeout, a TLS
/// failure).
#[derive(Parser)]
#[command(name = "clinchpad-webhook", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Print one JSON object per line, for scripts, instead of text for people
    #[arg(long, global = true)]
    json: bool,

    /// Show details: each payload's fields, each request's query and size
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    Inspect(InspectArgs),
    #[cfg(feature = "net")]
    Listen(ListenArgs),
    #[cfg(feature = "net")]
    Send(SendArgs),
    #[cfg(feature = "net")]
    Replay(ReplayArgs),
    #[cfg(feature = "net")]
    Inbox(InboxArgs),
    #[cfg(feature = "net")]
    Backfill(BackfillArgs),
}

/// Recover into the inbox what ClinchPad's webhook never delivered, from its REST API.
///
/// ClinchPad does not send a failed delivery again. After an outage of the receiver, run
/// `backfill --since` with the outage's start: it pages through ClinchPad's activities from
/// the newest, stores each one the inbox does not hold as the webhook would have sent it
/// (marked recovered; its lead's stage as it is now, not as it was then), and stops at the
/// first activity older than --since. The workers then process them as any other delivery;
/// a real delivery that comes later is a duplicate.
///
/// Without --since it goes down to the newest activity of the last finished backfill (less
/// 10 minutes), or, the first time, to a run of 100 activities the webhook delivered. With
/// --every it runs again every so often, beside the workers, until Ctrl-C or SIGTERM.
///
/// The API key (ClinchPad: Settings → API) comes from $CLINCHPAD_API_KEY or --api-key-file,
/// never from an argument; it is never printed, logged or stored. Calls stay within --budget
/// an hour (ClinchPad allows 1,200); a run that spends it stops, and the next goes on from
/// there.
///
/// Exit status: 0 when it finished; 1 when it stopped before its end (budget spent, ClinchPad
/// unreachable or failing, the inbox's database failing): run it again to go on; 2 for a
/// usage error, a missing API key, an inbox that cannot be opened, or a key ClinchPad refuses.
///
///   clinchpad-webhook backfill --store sqlite://inbox.db --since 2026-12-05T09:30:00Z
///   clinchpad-webhook backfill --store sqlite://inbox.db --since 6h --type note:created
///   clinchpad-webhook backfill --store postgres://app@db/app --every 15m --json
#[cfg(feature = "net")]
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct BackfillArgs {
    /// The inbox's database: sqlite://FILE or postgres://USER@HOST/DATABASE
    #[arg(long, env = "CLINCHPAD_INBOX", value_name = "URL")]
    store: Option<String>,

    /// Go back to TIME: 2026-12-05T09:30:00Z, 2026-12-05 (midnight UTC), or an age (90m, 6h, 2d)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,

    /// Only activities of TYPE, e.g. note:created (repeatable, or comma-separated)
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,

    /// Run again every DURATION (30s, 15m, 1h) until stopped
    #[arg(long, value_name = "DURATION")]
    every: Option<String>,

    /// Make at most N calls to ClinchPad's API in any hour
    #[arg(long, value_name = "N", default_value_t = clinchpad_webhook_inbox::api::DEFAULT_BUDGET,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(clinchpad_webhook_inbox::api::HOURLY_LIMIT)))]
    budget: u32,

    /// Activities asked for per call [default: 100]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    page_size: Option<u32>,

    /// Read the API key from FILE (one line) instead of $CLINCHPAD_API_KEY
    #[arg(long, value_name = "FILE")]
    api_key_file: Option<std::path::PathBuf>,

    /// ClinchPad's API at URL: https://, or http:// on this machine for a test double
    #[arg(long, value_name = "URL", default_value = clinchpad_webhook_inbox::api::DEFAULT_BASE_URL)]
    api_url: String,
}

/// Look into the inbox `listen --store` (or an application) keeps deliveries in; retry, purge
/// and pause them; send them again.
///
/// The inbox is a table on SQLite (sqlite://FILE) or PostgreSQL (postgres://USER@HOST/DB),
/// from --store or $CLINCHPAD_INBOX. It holds each delivery once, without its key, with where
/// it is in its processing: pending, running, done or dead. `list`, `retry` and `purge` take
/// the same filters (--state, --type, --lead, --error, --since, --until); `retry` and `purge`
/// take --dry-run, which counts and changes nothing. Only `retry`, `purge`, `pause`, `resume`
/// and the console (`ui`) change the inbox.
///
/// Exit status: 0 when done; 1 when the delivery named is not there or the database fails; 2
/// for a usage error or an inbox that cannot be opened.
#[derive(Args)]
pub struct InboxArgs {
    /// The inbox's database: sqlite://FILE or postgres://USER@HOST/DATABASE
    #[arg(long, global = true, env = "CLINCHPAD_INBOX", value_name = "URL")]
    store: Option<String>,

    #[command(subcommand)]
    command: InboxCommand,
}

#[derive(Subcommand)]
pub enum InboxCommand {
    /// One line per delivery, the latest first: received, state, attempts, type, id, lead, last error
    ///
    ///   clinchpad-webhook inbox list --state dead --type lead:moved --since 1d
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// At most N deliveries
        #[arg(long, default_value_t = 50, value_name = "N")]
        limit: u32,
    },
    /// How many deliveries are in each state, the oldest pending one's age, and what is paused
    Stats,
    /// Everything the inbox keeps of one delivery, its body (without its key) included
    Show {
        /// The delivery's id (its activity `_id`, or the `sha256:` key `list` shows)
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Make deliveries due again, their attempts counted afresh: one by ID, or every one a filter takes
    ///
    /// With filters and no --state, only dead deliveries are taken. Deliveries retried together
    /// come due spread over a window (--spread; by default 1 ms per delivery, at most 10 minutes)
    /// rather than all at once. One a worker has now is left to it.
    ///
    ///   clinchpad-webhook inbox retry 5a1b2c3d4e5f6a7b8c9d0e1f
    ///   clinchpad-webhook inbox retry --type lead:moved --error timeout --dry-run
    ///   clinchpad-webhook inbox retry --dead --spread 5m
    Retry {
        /// The delivery's id
        #[arg(value_name = "ID", conflicts_with_all = ["dead", "dry_run", "spread"])]
        id: Option<String>,
        /// Every dead delivery (the same as --state dead)
        #[arg(long)]
        dead: bool,
        #[command(flatten)]
        filter: FilterArgs,
        /// Count what would be retried, and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Spread their due times over DURATION (0s: all due now)
        #[arg(long, value_name = "DURATION")]
        spread: Option<String>,
    },
    /// Remove done or dead deliveries: those a filter takes, never a pending or running one
    ///
    /// Without --state, only done deliveries are taken (dead ones are kept until removed by
    /// name: --state dead). Workers remove done deliveries older than 30 days on their own.
    ///
    ///   clinchpad-webhook inbox purge --older-than 7d --dry-run
    ///   clinchpad-webhook inbox purge --state dead --type note:created
    Purge {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only those finished (done or dead) longer ago than AGE: 90m, 12h, 7d
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        /// Count what would be removed, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Pause processing: of every delivery, or of TYPE's; deliveries are still stored
    ///
    /// Every worker sharing the inbox's database leaves them from its next claim on (within a
    /// second), until `inbox resume`.
    Pause {
        /// Only deliveries of TYPE, e.g. lead:moved (repeatable, or comma-separated)
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
    },
    /// Resume processing: every pause, or TYPE's only
    Resume {
        /// Only the pause of TYPE (repeatable, or comma-separated)
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
    },
    /// Serve the inbox's console: counts, a live list by filter, retry, purge, pause
    ///
    /// The web view's console on its own, at http://ADDR/, opened through the one-time link
    /// printed at start-up, as `listen --ui` is (its safety rules too: the page's own requests
    /// only, no key in it). Stop it with Ctrl-C.
    Ui {
        /// The address to serve it on
        #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
        addr: String,
    },
    /// POST a stored delivery to URL, with the key (--key or $CLINCHPAD_HANDSHAKE_KEY) put back
    Replay {
        /// The delivery's id
        #[arg(value_name = "ID")]
        id: String,
        /// The receiver's URL (http:// or https://)
        #[arg(long, value_name = "URL")]
        to: String,
        #[command(flatten)]
        sending: SendingArgs,
    },
}

/// Which deliveries an inbox command takes: every condition given narrows it.
#[derive(Args, Default, Clone)]
pub struct FilterArgs {
    /// Only deliveries in STATE (repeatable, or comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATE")]
    state: Vec<InboxState>,
    /// Only deliveries of TYPE, e.g. lead:moved (repeatable, or comma-separated)
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only deliveries of the lead with this _id
    #[arg(long, value_name = "ID")]
    lead: Option<String>,
    /// Only deliveries whose last error contains TEXT (ASCII letters in either case)
    #[arg(long, value_name = "TEXT")]
    error: Option<String>,
    /// Received at or after TIME: 2026-12-05T09:30:00Z, 2026-12-05 (midnight UTC), or an age (90m, 6h, 2d)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Received before TIME (the same forms)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

/// A delivery's state in the inbox.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InboxState {
    Pending,
    Running,
    Done,
    Dead,
}

/// Show what payloads say, or where they are wrong.
///
/// Each FILE (standard input when none is given, or for -) holds one payload, possibly over
/// many lines, or a stream of them one per line. A good payload is summarised (time, type,
/// lead, stage, user, the type's fields, unknown fields flagged); a bad one is shown with its
/// JSON path and a caret under the offending column, and a note when `listen` would still take
/// it (as drifted: one JSON object whose shape does not fit the documentation).
///
/// A line that `listen --save` wrote is shown as the request it was: its status and verdict,
/// where its key was and whether it matched (as listen saw it: a capture keeps no key), and
/// its body as a payload when it was kept. A request that was not answered 2xx counts as bad.
#[derive(Args)]
pub struct InspectArgs {
    /// Check each payload's handshake key against K (default: $CLINCHPAD_HANDSHAKE_KEY)
    #[arg(long, value_name = "K")]
    key: Option<String>,

    /// Payload files; - for standard input
    #[arg(value_name = "FILE")]
    inputs: Vec<String>,
}

/// Run a local receiver that shows each delivery as it arrives.
///
/// It answers exactly as the library's Receiver::accept does: 204 for a delivery (shown as
/// `drifted`, with its error and a caret, when its shape does not fit the documentation), or
/// 400, 401 or 413 with the reason; with --strict, as Receiver::receive does. Each request is printed with its time, verdict and status, and the
/// payload's gist, or the error with a caret under it. The key comes from --key (more than
/// one while the key changes) or $CLINCHPAD_HANDSHAKE_KEY; with neither, listen refuses to
/// start unless --unverified is given. Stop it with Ctrl-C: it gives the requests in flight
/// 5 s to finish, answers any still waiting (on a slow --forward-to app) 503 and saves it as
/// dropped, flushes --save, and exits 0 if every request was accepted, 1 if not.
///
/// GET /healthz answers 200 while listen runs; GET /readyz answers 200 when it can store what
/// it takes (with --store: the inbox's database answers and is this version's), 503 when not.
/// Neither is printed.
///
/// With --ui ADDR it also serves a web view at http://ADDR/, opened through a one-time link
/// printed at start-up: each request as it arrives, its typed fields, JSON tree and headers;
/// replay (as the request came, its key put back only where it matched), edit and send, copy
/// as curl, download as a fixture, diff with the lead's previous delivery. No key is ever in
/// it.
#[derive(Args)]
pub struct ListenArgs {
    /// The address to listen on; port 0 picks a free one (the address is printed)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    addr: String,

    /// The path deliveries are posted to; others are answered 404
    #[arg(long, default_value = "/", value_name = "PATH")]
    path: String,

    /// Accept deliveries carrying K (repeat it to accept several keys while one replaces another)
    #[arg(long = "key", value_name = "K", conflicts_with = "unverified")]
    keys: Vec<String>,

    /// Check no key: accept every valid payload from anyone who can reach the address
    #[arg(long)]
    unverified: bool,

    /// Refuse (400) a verified delivery whose shape does not fit the documentation, as
    /// `Receiver::receive` does. Without it, such a delivery is accepted and shown as
    /// `drifted` with its error, as `Receiver::accept` takes it: what a receiver at the edge
    /// should do, since ClinchPad does not retry
    #[arg(long)]
    strict: bool,

    /// The largest body accepted, in bytes
    #[arg(long, default_value_t = clinchpad_webhook::Receiver::DEFAULT_BODY_LIMIT, value_name = "BYTES")]
    body_limit: usize,

    /// Append each request to FILE as one JSON line (time, query and body without the key,
    /// verdict, status), for `replay`
    #[arg(long, value_name = "FILE")]
    save: Option<std::path::PathBuf>,

    /// Store each accepted delivery in the inbox at URL (sqlite://FILE or
    /// postgres://USER@HOST/DATABASE) before answering, without its key: answered 2xx once it
    /// is stored, 503 when it cannot be; `clinchpad-webhook inbox` looks into it
    #[arg(long, value_name = "URL")]
    store: Option<String>,

    /// Serve metrics for Prometheus at http://ADDR/metrics: requests by status and their
    /// duration, refusals, drifted deliveries, stores by outcome and, with --store, the
    /// inbox's deliveries by state and the oldest pending one's age. Its own address, e.g.
    /// 127.0.0.1:9464: keep it on loopback or a network you trust
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,

    /// Pass each accepted delivery on to URL (same body and query, key included) and show the
    /// app's status and time
    #[arg(long, value_name = "URL")]
    forward_to: Option<String>,
    /// Trust the certificate authority, or self-signed certificate, in FILE (PEM) too, beside
    /// the usual roots: for an HTTPS receiver with a certificate of its own
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<std::path::PathBuf>,

    /// Serve a web view of the requests at http://ADDR/: a live list, each request's typed
    /// fields, JSON tree, headers and the app's answer; filter, replay, edit and send, copy as
    /// curl, download as a fixture, diff with the lead's previous delivery. It has its own
    /// address, so that exposing the receiver never exposes it. A browser opens it through
    /// the one-time link printed at start-up (http://ADDR/open?token=...); each time a link is
    /// used, a fresh one is printed for the next browser. No key is ever in the page
    #[arg(long, value_name = "ADDR")]
    ui: Option<String>,

    /// How many requests the web view holds (the newest; with --save or --store it starts
    /// with the newest of those kept before)
    #[arg(long, default_value_t = 500, value_name = "N", requires = "ui")]
    ui_keep: usize,

    /// Let the web view send requests to URL too (http:// or https://; repeat it for more),
    /// beside this listen and the --forward-to app: the page sends nowhere else
    #[arg(long = "ui-send-to", value_name = "URL", requires = "ui")]
    ui_send_to: Vec<String>,
}

/// Where `send` and `replay` put the key.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyIn {
    /// As the body field `handshake_key`, as ClinchPad's example shows it
    Body,
    /// As a `handshake_key` query parameter
    Query,
}

/// POST sample deliveries, or payloads from files, to a receiver.
///
/// With --type, realistic samples of those activity types (every field filled, fixed ids and
/// time); with FILEs (or - for standard input), the payloads in them, one per file or one per
/// line. With a key (--key or $CLINCHPAD_HANDSHAKE_KEY), each delivery carries it, replacing
/// any key in the payload. Each response's status, time and body are printed.
#[derive(Args)]
pub struct SendArgs {
    /// The receiver's URL (http:// or https://)
    #[arg(value_name = "URL")]
    url: String,

    /// Send a sample of TYPE, e.g. lead:moved (repeatable; `all` for every documented type)
    #[arg(long = "type", value_name = "TYPE", conflicts_with = "inputs")]
    types: Vec<String>,

    /// Payload files to send; - for standard input
    #[arg(value_name = "FILE")]
    inputs: Vec<String>,

    #[command(flatten)]
    sending: SendingArgs,
}

/// How `send` and `replay` send: the key, where it goes, whom to trust.
#[derive(Args)]
pub struct SendingArgs {
    /// The key each delivery carries (default: $CLINCHPAD_HANDSHAKE_KEY; none when neither is set)
    #[arg(long, value_name = "K")]
    key: Option<String>,

    /// Where the key goes (for `replay`, in a line that does not say where it was)
    #[arg(long, value_enum, default_value_t = KeyIn::Body)]
    key_in: KeyIn,

    /// Trust the certificate authority, or self-signed certificate, in FILE (PEM) too, beside
    /// the usual roots: for an HTTPS receiver with a certificate of its own
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<std::path::PathBuf>,
}

/// Send the requests `listen --save` captured again, in order.
///
/// FILE holds the lines `listen --save` wrote, or any payloads one per line. Each request is
/// sent with its body and query as captured, and with the key (--key or
/// $CLINCHPAD_HANDSHAKE_KEY) where it had one: the right key where it had the right one, a
/// wrong one where it had a wrong one, none where it had none, so that the receiver can answer
/// as it did.
///
/// A body that was not read (over the limit) is sent as that many spaces, to be refused
/// again, up to 64 MiB. A line whose body was not saved (it held a key outside
/// `handshake_key`) is skipped with a note, never sent as something else; skipped lines make
/// the exit status 1.
#[derive(Args)]
pub struct ReplayArgs {
    /// The capture to replay
    #[arg(value_name = "FILE")]
    file: String,

    /// The receiver's URL (http:// or https://)
    #[arg(long, value_name = "URL")]
    to: String,

    /// Replay only deliveries of TYPE, e.g. lead:moved (repeatable)
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,

    /// Replay only the requests that were refused, or that the app behind --forward-to did not
    /// answer 2xx
    #[arg(long)]
    only_failed: bool,

    #[command(flatten)]
    sending: SendingArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json, cli.verbose);
    let given = match &cli.command {
        Command::Inspect(args) => args.key.iter().cloned().collect(),
        #[cfg(feature = "net")]
        Command::Listen(args) => args.keys.clone(),
        #[cfg(feature = "net")]
        Command::Send(args) => args.sending.key.iter().cloned().collect(),
        #[cfg(feature = "net")]
        Command::Replay(args) => args.sending.key.iter().cloned().collect(),
        #[cfg(feature = "net")]
        Command::Inbox(InboxArgs {
            command: InboxCommand::Replay { sending, .. },
            ..
        }) => sending.key.iter().cloned().collect(),
        #[cfg(feature = "net")]
        Command::Inbox(_) | Command::Backfill(_) => Vec::new(),
    };
    let keys = match keys(given) {
        Ok(keys) => keys,
        Err(problem) => {
            out.warn(&problem);
            return ExitCode::from(2);
        }
    };
    // From here on, no key's text is printed or saved, whatever field it arrives in.
    keys.iter().for_each(|key| out.hide(key));
    let first = keys.first().cloned();
    let result: Result<ExitCode, String> = match cli.command {
        Command::Inspect(args) => Ok(inspect::run(args, first, &out)),
        #[cfg(feature = "net")]
        Command::Listen(args) => {
            let out = std::sync::Arc::new(out);
            return match runtime() {
                Ok(runtime) => runtime.block_on(listen::run(args, keys, out)),
                Err(problem) => {
                    out.warn(&problem);
                    ExitCode::from(2)
                }
            };
        }
        #[cfg(feature = "net")]
        Command::Send(args) => {
            runtime().map(|runtime| runtime.block_on(client::send(args, first, &out)))
        }
        #[cfg(feature = "net")]
        Command::Replay(args) => {
            runtime().map(|runtime| runtime.block_on(client::replay(args, first, &out)))
        }
        #[cfg(feature = "net")]
        Command::Inbox(args) => {
            let out = std::sync::Arc::new(out);
            return match runtime() {
                Ok(runtime) => runtime.block_on(inbox::run(args, keys, out)),
                Err(problem) => {
                    out.warn(&problem);
                    ExitCode::from(2)
                }
            };
        }
        #[cfg(feature = "net")]
        Command::Backfill(args) => {
            runtime().map(|runtime| runtime.block_on(backfill::run(args, keys, &out)))
        }
    };
    result.unwrap_or_else(|problem| {
        out.warn(&problem);
        ExitCode::from(2)
    })
}

/// The keys given with `--key`, or the one in the environment; none when neither is there.
/// An empty key, from either, is an error: it would mean "no key", never "any key". So is one
/// with whitespace at its start or end, the trace of a key copied with its newline: it would
/// refuse every delivery, or be taken for another key.
fn keys(given: Vec<String>) -> Result<Vec<HandshakeKey>, String> {
    if !given.is_empty() {
        return given
            .into_iter()
            .map(|key| {
                if key.trim() != key {
                    return Err("--key has whitespace at its start or end".to_owned());
                }
                HandshakeKey::new(key).map_err(|_| "--key is empty".to_owned())
            })
            .collect();
    }
    match HandshakeKey::from_env(KEY_VARIABLE) {
        Ok(key) => Ok(vec![key]),
        Err(clinchpad_webhook::Error::KeyNotConfigured {
            problem: VarProblem::Unset,
            ..
        }) => Ok(Vec::new()),
        Err(clinchpad_webhook::Error::KeyNotConfigured {
            problem: VarProblem::Empty,
            ..
        }) => Err(format!(
            "{KEY_VARIABLE} is set but empty: set it to the key, or unset it"
        )),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(feature = "net")]
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start: {err}"))
}
