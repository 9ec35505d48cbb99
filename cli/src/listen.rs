//! `listen`: a local receiver that answers as the library's `Receiver` does and shows each
//! request; it can keep them (`--save`) and pass the accepted ones on (`--forward-to`).

use std::convert::Infallible;
use std::fs::File;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clinchpad_webhook::{Error, HandshakeKey, Payload, Receiver, Rejection};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use tokio::net::TcpListener;

use crate::capture::{self, Forwarded, KeyCheck, KeySeen, Record};
use crate::client::{self, round};
use crate::output::{clock, shown, Output, Style};
use crate::show;
use crate::ListenArgs;

/// How long a stop waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

/// What every request's handler shares.
struct State {
    receiver: Receiver,
    /// The keys' texts, to make sure none is left in a saved body.
    keys: Vec<HandshakeKey>,
    path: String,
    out: Output,
    save: Option<Mutex<File>>,
    forward: Option<(reqwest::Client, reqwest::Url)>,
    seen: AtomicUsize,
    failed: AtomicUsize,
}

pub async fn run(args: ListenArgs, keys: Vec<HandshakeKey>, out: Output) -> ExitCode {
    match start(args, keys, out).await {
        Ok(code) => code,
        Err(problem) => {
            eprintln!("clinchpad-webhook: {problem}");
            ExitCode::from(2)
        }
    }
}

async fn start(args: ListenArgs, keys: Vec<HandshakeKey>, out: Output) -> Result<ExitCode, String> {
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
    let path = if args.path.starts_with('/') {
        args.path
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
                .map_err(|err| format!("cannot open {}: {err}", file.display()))?,
        )),
    };
    let forward = match &args.forward_to {
        None => None,
        Some(url) => {
            let url =
                reqwest::Url::parse(url).map_err(|err| format!("--forward-to {url}: {err}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "--forward-to {url}: only http:// and https:// URLs are supported"
                ));
            }
            Some((client::client(args.ca_cert.as_deref())?, url))
        }
    };
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;

    let checking = match keys.len() {
        0 => "NOT checking handshake keys: anyone who can reach it can post".to_owned(),
        1 => "checking the handshake key".to_owned(),
        n => format!("checking the handshake key ({n} keys accepted)"),
    };
    eprintln!("listening on http://{address}{path}, {checking}");
    if let Some(file) = &args.save {
        eprintln!(
            "saving each request to {} (no key is saved)",
            file.display()
        );
    }
    if let Some((_, url)) = &forward {
        eprintln!("forwarding accepted deliveries to {url}");
    }
    eprintln!("stop with Ctrl-C");

    let state = Arc::new(State {
        receiver,
        keys,
        path,
        out,
        save,
        forward,
        seen: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });
    serve(listener, state.clone()).await;

    if let Some(save) = &state.save {
        if let Ok(mut file) = save.lock() {
            let _ = file.flush();
            let _ = file.sync_all();
        }
    }
    let (seen, failed) = (
        state.seen.load(Ordering::SeqCst),
        state.failed.load(Ordering::SeqCst),
    );
    eprintln!(
        "stopped: {seen} request(s), {} accepted, {failed} refused or not answered 2xx",
        seen - failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Accepts connections until Ctrl-C or SIGTERM, then waits (a while) for those in flight.
async fn serve(listener: TcpListener, state: Arc<State>) {
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let state = state.clone();
                let service = service_fn(move |request| handle(state.clone(), request));
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away mid-request is its own business.
                    let _ = connection.await;
                });
            }
            () = &mut stop => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("clinchpad-webhook: requests still in flight after {DRAIN:?} were dropped");
    }
}

/// Ctrl-C, or SIGTERM where there is one.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
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
    outcome: Result<Payload, Refusal>,
    key: KeySeen,
    forwarded: Option<Forwarded>,
}

/// Why a request was not accepted.
enum Refusal {
    /// As the receiver refused it.
    Rejected(Rejection),
    /// Not a POST to the path.
    Ignored(StatusCode, String),
}

impl Refusal {
    fn status(&self) -> u16 {
        match self {
            Refusal::Rejected(rejection) => rejection.status(),
            Refusal::Ignored(status, _) => status.as_u16(),
        }
    }

    fn text(&self) -> String {
        match self {
            Refusal::Rejected(rejection) => rejection.to_string(),
            Refusal::Ignored(_, text) => text.clone(),
        }
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let received_at = Utc::now();
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let in_query = capture::query_to_keep(&query).len() != query.len();
    let mut seen = Seen {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        body: None,
        declared,
        outcome: Err(Refusal::Ignored(StatusCode::NOT_FOUND, String::new())),
        key: KeySeen {
            in_query,
            ..KeySeen::default()
        },
        forwarded: None,
    };
    if seen.path != state.path {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::NOT_FOUND,
            format!(
                "no receiver at {}: deliveries go to {}",
                shown(&seen.path),
                state.path
            ),
        ));
    } else if parts.method != Method::POST {
        seen.outcome = Err(Refusal::Ignored(
            StatusCode::METHOD_NOT_ALLOWED,
            "deliveries are POSTed".into(),
        ));
    } else {
        seen.outcome = receive(&state, &mut seen, body).await;
    }
    if let (Ok(_), Some((client, url))) = (&seen.outcome, &state.forward) {
        seen.forwarded = Some(forward(client, url, &seen, parts.headers.get(CONTENT_TYPE)).await);
    }
    let response = match &seen.outcome {
        Ok(_) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::default()),
        Err(refusal) => Response::builder()
            .status(refusal.status())
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(refusal.text()))),
    };
    record(&state, &seen);
    Ok(response.unwrap_or_else(|_| Response::new(Full::default())))
}

/// Reads the body within the limit and hands it to the receiver.
async fn receive(state: &State, seen: &mut Seen, body: Incoming) -> Result<Payload, Refusal> {
    let receiver = &state.receiver;
    receiver
        .check_head(Some(&seen.query), seen.declared)
        .map_err(|rejection| refused(seen, rejection))?;
    let bytes = match Limited::new(body, receiver.body_limit()).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(refused(seen, receiver.too_large()))
        }
        Err(err) => return Err(Refusal::Rejected(Rejection::body_unreadable(err))),
    };
    seen.key.in_body = clinchpad_webhook::strip_handshake_key(&bytes)
        .is_some_and(|kept| kept.len() != bytes.len());
    seen.body = Some(bytes.clone());
    match receiver.receive(Some(&seen.query), &bytes) {
        Ok(payload) => {
            if receiver.is_verified() {
                seen.key.check = KeyCheck::Matched;
            }
            Ok(payload)
        }
        Err(rejection) => Err(refused(seen, rejection)),
    }
}

/// The rejection, with what it says of the key noted.
fn refused(seen: &mut Seen, rejection: Rejection) -> Refusal {
    seen.key.check = match rejection.error() {
        Some(Error::WrongKey) => KeyCheck::Wrong,
        Some(Error::MissingKey) => KeyCheck::Missing,
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
        },
        Err(err) => Forwarded {
            status: None,
            error: Some(client::error_text(err)),
            ms,
        },
    }
}

/// Shows the request, and saves it.
fn record(state: &State, seen: &Seen) {
    state.seen.fetch_add(1, Ordering::SeqCst);
    let forward_failed = seen
        .forwarded
        .as_ref()
        .is_some_and(|f| !f.status.is_some_and(|s| (200..300).contains(&s)));
    if seen.outcome.is_err() || forward_failed {
        state.failed.fetch_add(1, Ordering::SeqCst);
    }
    let (status, verdict) = match &seen.outcome {
        Ok(_) => (204, "accepted"),
        Err(refusal @ Refusal::Rejected(_)) => (refusal.status(), "refused"),
        Err(refusal @ Refusal::Ignored(..)) => (refusal.status(), "ignored"),
    };
    let query = capture::query_to_keep(&seen.query);
    if state.out.json {
        state
            .out
            .print_json(&json_line(seen, status, verdict, &query));
    } else {
        state.out.print(&text(state, seen, status, verdict, &query));
    }
    if let Some(save) = &state.save {
        let keys: Vec<&str> = state.keys.iter().map(HandshakeKey::expose_secret).collect();
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
            path: seen.path.clone(),
            query,
            body,
            body_length: seen.body.as_ref().map(|b| b.len() as u64).or(seen.declared),
            body_withheld,
            key: seen.key,
            verdict: verdict.to_owned(),
            status,
            error: seen.outcome.as_ref().err().map(Refusal::text),
            activity_type: seen
                .outcome
                .as_ref()
                .ok()
                .map(|p| p.activity.kind.type_name().to_owned()),
            forwarded: seen.forwarded.as_ref().map(|f| Forwarded {
                status: f.status,
                error: f.error.clone(),
                ms: f.ms,
            }),
        };
        if let (Ok(line), Ok(mut file)) = (serde_json::to_string(&line), save.lock()) {
            // One write per line, flushed, so that a stop never leaves half a line.
            if writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .is_err()
            {
                eprintln!("clinchpad-webhook: cannot write to the --save file");
            }
        }
    }
}

/// The request for people: one line, the caret under a bad body's error, details with -v.
fn text(state: &State, seen: &Seen, status: u16, verdict: &str, query: &str) -> String {
    let out = &state.out;
    let verdict_style = if status == 204 {
        Style::Good
    } else {
        Style::Bad
    };
    let mut line = format!(
        "{}  {} {:<8}  ",
        out.paint(Style::Dim, &clock(seen.received_at)),
        out.status(status),
        out.paint(verdict_style, verdict)
    );
    let mut details = String::new();
    match &seen.outcome {
        Ok(payload) => {
            line.push_str(&show::gist(payload));
            if out.verbose {
                for summary_line in show::summary(payload).lines() {
                    details.push_str(&format!("    {summary_line}\n"));
                }
            }
        }
        Err(Refusal::Rejected(Rejection::InvalidPayload(err))) => {
            line.push_str(&show::error_line(err, false));
            if let Some(body) = &seen.body {
                let keys: Vec<&str> = state.keys.iter().map(HandshakeKey::expose_secret).collect();
                let masked = crate::mask::mask_keys(body, &keys);
                details.push_str(&show::caret(&masked, err, 0, "    "));
            }
        }
        Err(refusal) => {
            line.push_str(&refusal.text());
            if matches!(refusal, Refusal::Rejected(Rejection::Unauthorized(_))) {
                line.push_str(&format!(" ({})", places(seen.key)));
            }
        }
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
    }
    if out.verbose {
        let size = seen.body.as_ref().map(|b| b.len() as u64).or(seen.declared);
        details.push_str(&format!(
            "    {} {}{}{}, {} bytes\n",
            seen.method,
            shown(&seen.path),
            if query.is_empty() { "" } else { "?" },
            shown(query),
            size.map_or("?".to_owned(), |s| s.to_string())
        ));
    }
    format!("{line}\n{details}")
}

/// Where the request had its key, for a 401 line.
fn places(key: KeySeen) -> &'static str {
    match (key.in_body, key.in_query) {
        (true, true) => "key in the body and the query",
        (true, false) => "key in the body",
        (false, true) => "key in the query",
        (false, false) => "no key",
    }
}

/// The request for machines: one JSON object, never the key.
fn json_line(seen: &Seen, status: u16, verdict: &str, query: &str) -> serde_json::Value {
    let mut line = json!({
        "received_at": seen.received_at,
        "method": seen.method,
        "path": seen.path,
        "query": query,
        "status": status,
        "verdict": verdict,
        "key": seen.key,
    });
    match &seen.outcome {
        Ok(payload) => {
            line["type"] = json!(payload.activity.kind.type_name());
            line["activity_id"] = json!(payload.activity.id.as_str());
            line["lead"] = json!(payload.lead.name);
        }
        Err(Refusal::Rejected(rejection)) => {
            line["error"] = match rejection.error() {
                Some(err) => show::error_json(err),
                None => json!({"kind": "request", "message": rejection.to_string()}),
            };
        }
        Err(refusal) => line["error"] = json!({"kind": "request", "message": refusal.text()}),
    }
    if let Some(forwarded) = &seen.forwarded {
        line["forwarded"] = json!(forwarded);
    }
    line
}
