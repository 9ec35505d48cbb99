//! `listen`: a local receiver that answers as the library's `Receiver` does and shows each
//! request; it can keep them (`--save`) and pass the accepted ones on (`--forward-to`).
//!
//! Stopping it (Ctrl-C, SIGTERM) loses no request it has begun: the requests in flight get
//! [`DRAIN`] to finish, and one still waiting then (on a slow `--forward-to` app, say) is
//! answered 503, shown, saved and counted as dropped, so that it can be replayed. A
//! connection that holds no request (idle, or with half a request head) is not waited for.

use std::convert::Infallible;
use std::fs::File;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clinchpad_webhook::{Delivery, Error, HandshakeKey, Payload, Receiver, Rejection};
use clinchpad_webhook_inbox::{Inbox, Stored};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::capture::{self, Forwarded, KeyCheck, KeySeen, Record};
use crate::client::{self, round, shown_url};
use crate::connections::{Connections, Slot, HEAD_TIMEOUT};
use crate::inbox::shown_store;
use crate::mask;
use crate::output::{clock, shown, Output, Style};
use crate::show;
use crate::ui::{history, Setup, Source, Target, Targets, Ui};
use crate::ListenArgs;

/// How long a stop waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

/// How long a stop gives the answers just written to leave, once no request is in flight.
const SETTLE: Duration = Duration::from_millis(200);

/// How often a stop looks at what is still in flight.
const POLL: Duration = Duration::from_millis(10);

/// What every request's handler shares.
struct State {
    receiver: Receiver,
    /// Refuse what does not fit (`receive`) instead of taking it with its error (`accept`).
    strict: bool,
    /// The keys' texts, to make sure none is left in a saved body.
    keys: Vec<HandshakeKey>,
    path: String,
    out: Arc<Output>,
    save: Option<Mutex<File>>,
    /// The inbox each delivery is stored in before it is answered.
    store: Option<Inbox>,
    forward: Option<(reqwest::Client, reqwest::Url)>,
    seen: AtomicUsize,
    failed: AtomicUsize,
    drifted: AtomicUsize,
    dropped: AtomicUsize,
    /// Requests whose head has been read and whose answer is not yet given.
    in_flight: AtomicUsize,
    /// Turned on when the stop's wait is over: the requests still in flight are dropped.
    drain_over: watch::Sender<bool>,
    /// The web view (`--ui`), which is shown every request.
    ui: Option<Arc<Ui>>,
}

impl State {
    fn key_texts(&self) -> Vec<&str> {
        self.keys.iter().map(HandshakeKey::expose_secret).collect()
    }
}

/// One request in flight, counted while it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub async fn run(args: ListenArgs, keys: Vec<HandshakeKey>, out: Arc<Output>) -> ExitCode {
    match start(args, keys, out.clone()).await {
        Ok(code) => code,
        Err(problem) => {
            out.warn(&problem);
            ExitCode::from(2)
        }
    }
}

async fn start(
    args: ListenArgs,
    keys: Vec<HandshakeKey>,
    out: Arc<Output>,
) -> Result<ExitCode, String> {
    let receiver = match (args.unverified, keys.split_first()) {
        (true, Some(_)) => {
            return Err(format!(
                "--unverified and a key ({}) contradict each other: pick one",
                crate::KEY_VARIABLE
            ))
        }
        (true, None) => Receiver::unverified(),
        (false, None) => {
            return Err(format!(
                "no handshake key: pass --key K or set {}, or pass --unverified to accept \
                 deliveries without checking one",
                crate::KEY_VARIABLE
            ))
        }
        (false, Some((first, more))) => more
            .iter()
            .fold(Receiver::new(first.clone()), |receiver, key| {
                receiver.with_key(key.clone())
            }),
    }
    .with_body_limit(args.body_limit);
    // A key that ordinary text holds too is masked in free text but kept in ids and times.
    for warning in receiver.key_warnings() {
        out.warn(&format!("warning: {warning}"));
    }
    let path = if args.path.starts_with('/') {
        args.path.clone()
    } else {
        format!("/{}", args.path)
    };
    let save = match &args.save {
        None => None,
        Some(file) => Some(Mutex::new(
            File::options()
                .create(true)
                .append(true)
                .open(file)
                .map_err(|err| {
                    format!("cannot open {}: {err}", shown(&file.display().to_string()))
                })?,
        )),
    };
    let forward = match &args.forward_to {
        None => None,
        Some(url) => {
            let shown = shown_url(url);
            let url =
                reqwest::Url::parse(url).map_err(|err| format!("--forward-to {shown}: {err}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "--forward-to {shown}: only http:// and https:// URLs are supported"
                ));
            }
            Some((client::client(args.ca_cert.as_deref())?, url))
        }
    };
    let store = match &args.store {
        None => None,
        Some(url) => Some(
            Inbox::open(url)
                .await
                .map_err(|err| format!("cannot open the inbox at {}: {err}", shown_store(url)))?
                .masking_keys_of(&receiver),
        ),
    };
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", shown(&args.addr)))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot listen on {}: {err}", shown(&args.addr)))?;

    let ui = match &args.ui {
        None => None,
        Some(_) => Some(
            open_ui(
                &args,
                address,
                &path,
                forward.as_ref(),
                store.as_ref(),
                &keys,
                &out,
            )
            .await?,
        ),
    };

    // Before saying it listens: a stop from then on is a clean one.
    let stop = StopSignal::new()?;
    let checking = match keys.len() {
        0 => "NOT checking handshake keys: anyone who can reach it can post".to_owned(),
        1 => "checking the handshake key".to_owned(),
        n => format!("checking the handshake key ({n} keys accepted)"),
    };
    let checking = match args.strict {
        true => format!("{checking}, strict: refusing (400) what does not fit the documentation"),
        false => checking,
    };
    out.say(&format!(
        "listening on http://{address}{}, {checking}",
        shown(&path)
    ));
    if let Some(file) = &args.save {
        out.say(&format!(
            "saving each request to {} (no key is saved)",
            shown(&file.display().to_string())
        ));
    }
    if let Some(url) = &args.store {
        out.say(&format!(
            "storing each delivery in the inbox at {} before answering (no key is stored)",
            shown_store(url)
        ));
    }
    if let Some((_, url)) = &forward {
        out.say(&format!(
            "forwarding accepted deliveries to {}",
            shown_url(url.as_str())
        ));
    }
    if let Some((ui, _, url)) = &ui {
        out.say(&format!(
            "web view at {url} (a one-time link: open it in your browser{}; no key is ever in \
             the page)",
            if ui.is_loopback() {
                ""
            } else {
                "; not on a loopback address, and plain HTTP: only on a network you trust"
            }
        ));
    }
    out.say("stop with Ctrl-C");
    let (ui, ui_task) = match ui {
        Some((ui, listener, _)) => (Some(ui.clone()), Some(tokio::spawn(ui.serve(listener)))),
        None => (None, None),
    };

    let state = Arc::new(State {
        receiver,
        strict: args.strict,
        keys,
        path,
        out: out.clone(),
        save,
        store,
        forward,
        seen: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        drifted: AtomicUsize::new(0),
        dropped: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        drain_over: watch::Sender::new(false),
        ui,
    });
    serve(listener, state.clone(), stop).await;
    if let Some(task) = ui_task {
        task.abort();
    }

    if let Some(save) = &state.save {
        if let Ok(mut file) = save.lock() {
            let _ = file.flush();
            let _ = file.sync_all();
        }
    }
    let count = |n: &AtomicUsize| n.load(Ordering::SeqCst);
    let (seen, failed, dropped) = (
        count(&state.seen),
        count(&state.failed),
        count(&state.dropped),
    );
    let drifted = match count(&state.drifted) {
        0 => String::new(),
        n => format!(" ({n} of them drifted)"),
    };
    let mut summary = format!(
        "stopped: {seen} request(s), {} accepted{drifted}, {failed} refused or not answered 2xx",
        seen - failed - dropped
    );
    if dropped > 0 {
        summary += &format!(
            ", {dropped} dropped: still in flight {} s after the stop, answered 503{}",
            DRAIN.as_secs(),
            if state.save.is_some() {
                " and saved for replay"
            } else {
                ""
            }
        );
    }
    out.say(&summary);
    Ok(if failed + dropped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The web view (`--ui`) on its own address, holding the newest requests kept before: those
/// `--save` kept, or else the inbox's. Not serving yet: the view and its listener, and the
/// address to open.
async fn open_ui(
    args: &ListenArgs,
    address: std::net::SocketAddr,
    path: &str,
    forward: Option<&(reqwest::Client, reqwest::Url)>,
    store: Option<&Inbox>,
    keys: &[HandshakeKey],
    out: &Arc<Output>,
) -> Result<(Arc<Ui>, TcpListener, String), String> {
    let mut own = address;
    if own.ip().is_unspecified() {
        own.set_ip(match own {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let receiver_url = reqwest::Url::parse(&format!("http://{own}{path}"))
        .map_err(|err| format!("--path {}: {err}", shown(path)))?;
    let forward_url = forward.map(|(_, url)| shown_url(url.as_str()));
    // Where the page may send: fixed here, so that no one driving the page can aim it (and the
    // key it puts back) elsewhere.
    let mut list = Vec::new();
    if let Some((_, url)) = forward {
        list.push(Target {
            id: "forward".into(),
            name: "the --forward-to app".into(),
            url: url.clone(),
        });
    }
    list.push(Target {
        id: "self".into(),
        name: "this listen".into(),
        url: receiver_url.clone(),
    });
    for (n, url) in args.ui_send_to.iter().enumerate() {
        let shown = shown_url(url);
        let parsed =
            reqwest::Url::parse(url).map_err(|err| format!("--ui-send-to {shown}: {err}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "--ui-send-to {shown}: only http:// and https:// URLs are supported"
            ));
        }
        list.push(Target {
            id: format!("send-to-{}", n + 1),
            name: "--ui-send-to".into(),
            url: parsed,
        });
    }
    let targets = Targets {
        list,
        client: match forward {
            Some((client, _)) => client.clone(),
            None => client::client(args.ca_cert.as_deref())?,
        },
        key: keys.first().cloned(),
    };
    let setup = Setup {
        receiver_url: receiver_url.as_str(),
        forward_url: forward_url.as_deref(),
        // `listen` checks keys whenever it has one.
        verified: !keys.is_empty(),
        strict: args.strict,
    };
    let opened = Ui::open(
        args.ui.as_deref().unwrap_or_default(),
        args.ui_keep,
        setup,
        targets,
        keys.to_vec(),
        out.clone(),
    )
    .await?;
    let ui = opened.ui;
    // The newest requests kept before: those `--save` kept, or else the inbox's.
    if let Some(file) = &args.save {
        let (records, unread) = history::from_capture(file, args.ui_keep).map_err(|err| {
            format!(
                "--ui: cannot read {}: {err}",
                shown(&file.display().to_string())
            )
        })?;
        records
            .into_iter()
            .for_each(|record| ui.push(Source::Saved, record));
        if unread > 0 {
            out.warn(&format!(
                "--ui: {unread} line(s) of {} are not requests; not shown",
                shown(&file.display().to_string())
            ));
        }
    } else if let (Some(inbox), Some(url)) = (store, &args.store) {
        let records = history::from_inbox(inbox, args.ui_keep, path)
            .await
            .map_err(|err| format!("--ui: cannot read the inbox at {}: {err}", shown_store(url)))?;
        records
            .into_iter()
            .for_each(|record| ui.push(Source::Stored, record));
    }
    Ok((ui, opened.listener, opened.url))
}

/// Accepts connections until Ctrl-C or SIGTERM, then lets the requests in flight finish, up
/// to [`DRAIN`]; those still in flight then are dropped (each records itself).
async fn serve(listener: TcpListener, state: Arc<State>, mut stop: StopSignal) {
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop.wait());
    // Bounded, so that clients that never finish a request cannot keep a delivery waiting.
    let connections = Connections::new(Connections::budget());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let admitted = connections.admit();
                let state = state.clone();
                let slot = admitted.slot();
                let service =
                    service_fn(move |request| handle(state.clone(), slot.clone(), request));
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away mid-request is its own business; one closed to
                    // make room had no delivery in hand.
                    tokio::select! {
                        _ = connection => {}
                        () = admitted.closed() => {}
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    // Idle connections close now; those serving a request close after its answer.
    let mut connections = std::pin::pin!(graceful.shutdown());
    let deadline = Instant::now() + DRAIN;
    // Past this, nothing more is waited for, whatever a handler or a client does.
    let last = deadline + DRAIN;
    while Instant::now() < last {
        while state.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < last {
            if Instant::now() >= deadline {
                // Each handler still in flight records itself as dropped and answers 503.
                state.drain_over.send_replace(true);
            }
            tokio::time::sleep(POLL).await;
        }
        // The answers just given leave; a connection that holds no request (idle, or with
        // half a request head) is not waited for. A request that began meanwhile is.
        let all_closed = tokio::time::timeout(SETTLE, &mut connections).await.is_ok();
        if all_closed || state.in_flight.load(Ordering::SeqCst) == 0 {
            return;
        }
    }
}

/// Ctrl-C, or SIGTERM where there is one: listened for from the moment this is made, so that
/// a stop that comes as soon as `listen` says it listens is a clean stop too.
#[cfg(unix)]
struct StopSignal {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignal {
    fn new() -> Result<Self, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind| signal(kind).map_err(|err| format!("cannot listen for signals: {err}"));
        Ok(StopSignal {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct StopSignal;

#[cfg(not(unix))]
impl StopSignal {
    fn new() -> Result<Self, String> {
        Ok(StopSignal)
    }

    async fn wait(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `work`, unless the stop's wait ends first: `None` then.
async fn until_drained<T>(
    drained: &mut watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        value = work => Some(value),
        _ = drained.wait_for(|over| *over) => None,
    }
}

/// What became of one request.
struct Seen {
    received_at: DateTime<Utc>,
    method: String,
    path: String,
    query: String,
    /// The body, when it was read.
    body: Option<Bytes>,
    declared: Option<u64>,
    /// The headers, with `***` for any value that holds a key.
    headers: Vec<(String, String)>,
    outcome: Result<Taken, Refusal>,
    key: KeySeen,
    forwarded: Option<Forwarded>,
    /// What the inbox said, when there is one and the delivery was taken.
    stored: Option<Stored>,
    /// Not answered when `listen` stopped: answered 503 and counted as dropped.
    dropped: bool,
}

/// A delivery the receiver took: typed, or, unless `--strict`, drifted from the documentation
/// and taken with its error (as `Receiver::accept` takes it).
struct Taken {
    payload: Option<Payload>,
    /// Why it is not fully typed.
    drift: Option<Error>,
    activity_id: Option<String>,
    type_name: Option<String>,
}

impl From<Payload> for Taken {
    fn from(payload: Payload) -> Self {
        Taken {
            activity_id: Some(payload.activity.id.as_str().to_owned()),
            type_name: Some(payload.activity.kind.type_name().to_owned()),
            payload: Some(payload),
            drift: None,
        }
    }
}

impl From<Delivery> for Taken {
    fn from(delivery: Delivery) -> Self {
        Taken {
            drift: delivery.error().cloned(),
            activity_id: delivery.activity_id().map(str::to_owned),
            type_name: delivery.type_name().map(str::to_owned),
            payload: delivery.into_payload(),
        }
    }
}

/// Why a request was not accepted.
enum Refusal {
    /// As the receiver refused it.
    Rejected(Rejection),
    /// Not a POST to the path.
    Ignored(StatusCode, String),
    /// Taken, but the inbox could not store it: answered 503, so that the sender sees it.
    Unstored(String),
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Refusal::Rejected(rejection) => rejection.status(),
            Refusal::Ignored(status, _) => status.as_u16(),
            Refusal::Unstored(_) => StatusCode::SERVICE_UNAVAILABLE.as_u16(),
        }
    }

    /// What is shown and saved of it.
    fn text(&self) -> String {
        match self {
            Refusal::Rejected(rejection) => rejection.to_string(),
            Refusal::Ignored(_, text) => text.clone(),
            Refusal::Unstored(error) => format!("not stored in the inbox: {error}"),
        }
    }

    /// What the sender is answered: the text, but for a delivery the inbox could not store,
    /// which is answered a fixed sentence (the database's trouble is shown here, not sent).
    fn answer(&self) -> String {
        match self {
            Refusal::Unstored(_) => clinchpad_webhook_inbox::UNSTORED.to_owned(),
            other => other.text(),
        }
    }
}

/// What a dropped request is answered.
const DROPPED: &str = "listen stopped before this request was answered";

async fn handle(
    state: Arc<State>,
    slot: Arc<Slot>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _in_flight = InFlight::enter(&state.in_flight);
    let mut drained = state.drain_over.subscribe();
    let received_at = Utc::now();
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let in_query = clinchpad_webhook::strip_handshake_key_from_query(&query).len() != query.len();
    let mut seen = Seen {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        body: None,
        declared,
        headers: capture::headers_to_keep(
            parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            &state.key_texts(),
        ),
        outcome: Err(Refusal::Ignored(StatusCode::NOT_FOUND, String::new())),
        key: KeySeen {
            in_query,
            ..KeySeen::default()
        },
        forwarded: None,
        stored: None,
        dropped: false,
    };
    if seen.path != state.path {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::NOT_FOUND,
            format!(
                "no receiver at {}: deliveries go to {}",
                shown(&capture::path_to_keep(&seen.path, &state.key_texts())),
                shown(&state.path)
            ),
        ));
    } else if parts.method != Method::POST {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::METHOD_NOT_ALLOWED,
            "deliveries are POSTed".into(),
        ));
    } else {
        seen.outcome =
            match until_drained(&mut drained, receive(&state, &slot, &mut seen, body)).await {
                Some(outcome) => outcome,
                None => {
                    seen.dropped = true;
                    Err(Refusal::Ignored(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "listen stopped before the body was read".into(),
                    ))
                }
            };
    }
    if let (Ok(_), Some((client, url)), false) = (&seen.outcome, &state.forward, seen.dropped) {
        let content_type = parts.headers.get(CONTENT_TYPE);
        match until_drained(&mut drained, forward(client, url, &seen, content_type)).await {
            Some(forwarded) => seen.forwarded = Some(forwarded),
            None => seen.dropped = true,
        }
    }
    let response = match (&seen.outcome, seen.dropped) {
        (_, true) => text_response(StatusCode::SERVICE_UNAVAILABLE, DROPPED.to_owned()),
        (Ok(_), false) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::default()),
        (Err(refusal), false) => text_response(
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST),
            refusal.answer(),
        ),
    };
    record(&state, &seen);
    Ok(response.unwrap_or_else(|_| Response::new(Full::default())))
}

fn text_response(status: StatusCode, text: String) -> hyper::http::Result<Response<Full<Bytes>>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(text)))
}

/// Reads the body within the limit and hands it to the receiver: to `accept`, or with
/// `--strict` to `receive`.
async fn receive(
    state: &State,
    slot: &Arc<Slot>,
    seen: &mut Seen,
    body: Incoming,
) -> Result<Taken, Refusal> {
    let receiver = &state.receiver;
    receiver
        .check_head(Some(&seen.query), seen.declared)
        .map_err(|rejection| refused(state, seen, rejection))?;
    let bytes = match Limited::new(body, receiver.body_limit()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(refused(state, seen, receiver.too_large()))
        }
        Err(err) => return Err(Refusal::Rejected(Rejection::body_unreadable(err))),
    };
    // Read whole: from here its connection is not closed to make room for another.
    let _in_hand = slot.in_hand();
    seen.key.in_body = clinchpad_webhook::strip_handshake_key(&bytes)
        .is_some_and(|kept| kept.len() != bytes.len());
    seen.body = Some(bytes.clone());
    // Stored (when there is an inbox) before it is answered.
    let (taken, stored) = if state.strict {
        match receiver.receive(Some(&seen.query), &bytes) {
            Ok(payload) => {
                let stored = match &state.store {
                    Some(inbox) => Some(inbox.store_payload(&payload, receiver).await),
                    None => None,
                };
                (Taken::from(payload), stored)
            }
            Err(rejection) => return Err(refused(state, seen, rejection)),
        }
    } else {
        match receiver.accept(Some(&seen.query), &bytes) {
            Ok(delivery) => {
                let stored = match &state.store {
                    Some(inbox) => Some(inbox.store(&delivery).await),
                    None => None,
                };
                (Taken::from(delivery), stored)
            }
            Err(rejection) => return Err(refused(state, seen, rejection)),
        }
    };
    if receiver.is_verified() {
        seen.key.check = KeyCheck::Matched;
    }
    match stored {
        None => Ok(taken),
        Some(Ok(stored)) => {
            seen.stored = Some(stored);
            Ok(taken)
        }
        Some(Err(err)) => Err(Refusal::Unstored(err.to_string())),
    }
}

/// The rejection, with what it says of the key noted. A request refused for something else
/// after its body was read (a body that is not JSON, or with `--strict` one that does not fit,
/// which the receiver reads before the key) has its key copies checked here, while there are
/// keys to check them against: a replay must not take a wrong key for one never looked at.
fn refused(state: &State, seen: &mut Seen, rejection: Rejection) -> Refusal {
    seen.key.check = match (rejection.error(), &seen.body) {
        (Some(Error::WrongKey), _) => KeyCheck::Wrong,
        (Some(Error::MissingKey), _) => KeyCheck::Missing,
        (_, Some(body)) if !state.keys.is_empty() => {
            seen.key.in_body |= !mask::key_values(body).is_empty();
            capture::check_copies(&seen.query, body, &state.keys)
        }
        _ => KeyCheck::Unchecked,
    };
    Refusal::Rejected(rejection)
}

/// Passes the accepted request on: the same body and query, to the app's URL.
async fn forward(
    client: &reqwest::Client,
    url: &reqwest::Url,
    seen: &Seen,
    content_type: Option<&HeaderValue>,
) -> Forwarded {
    let mut request = client
        .post(client::with_query(url, &seen.query))
        .body(seen.body.clone().unwrap_or_default());
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE.as_str(), content_type.as_bytes());
    }
    let started = Instant::now();
    let answer = request.send().await;
    let ms = round(started.elapsed().as_secs_f64() * 1e3);
    match answer {
        Ok(response) => Forwarded {
            status: Some(response.status().as_u16()),
            error: None,
            ms,
            body: Some(client::answer_text(response, capture::ANSWER_KEPT).await),
        },
        Err(err) => Forwarded {
            status: None,
            error: Some(client::error_text(err)),
            ms,
            body: None,
        },
    }
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
fn record(state: &State, seen: &Seen) {
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
