//! `send` and `replay`: deliveries posted to a receiver, one after the other, each response
//! reported.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clinchpad_webhook::{strip_handshake_key_from_query, ActivityType, HandshakeKey, Payload};
use serde_json::json;

use crate::capture::{self, Places, Record, ResentKey, Unchecked};
use crate::documents::{self, Document};
use crate::mask::key_values;
use crate::output::{shown, shown_short, Output, Style};
use crate::{ReplayArgs, SendArgs};

/// The longest body `replay` makes up for a request whose body was not read (over the
/// limit), to be refused again: a capture line says how long it was, and whoever sent the
/// request wrote that number, so it is not taken beyond this.
pub const FILLER_MAX: u64 = 64 * 1024 * 1024;

/// The exit status when some request got no answer at all (nothing listening, a timeout, a
/// TLS failure), as opposed to an answer that was not 2xx (1).
pub const NO_ANSWER: u8 = 3;

/// One request to send.
pub(crate) struct Delivery {
    /// Where it comes from, for the report: `sample`, `file:line`.
    pub(crate) source: String,
    /// Its activity type, when its body says.
    pub(crate) label: String,
    pub(crate) body: Vec<u8>,
    pub(crate) query: String,
}

pub async fn send(args: SendArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let key = key.as_ref().map(HandshakeKey::expose_secret);
    if let Err(problem) = check_url(&args.url) {
        return usage(out, &problem);
    }
    let places = Places::from(args.sending.key_in);
    let mut deliveries = Vec::new();
    if !args.types.is_empty() {
        let types = match sample_types(&args.types) {
            Ok(types) => types,
            Err(problem) => return usage(out, &problem),
        };
        for activity_type in types {
            let body = Payload::sample(activity_type).to_wire_bytes();
            let (body, query) = capture::with_key(&body, "", key, places);
            deliveries.push(Delivery {
                source: "sample".into(),
                label: activity_type.as_str().into(),
                body,
                query,
            });
        }
    } else if args.inputs.is_empty() {
        return usage(
            out,
            "nothing to send: give --type TYPE, payload files, or - for standard input",
        );
    } else {
        for input in &args.inputs {
            let body = match documents::read(input) {
                Ok(body) => body,
                Err(err) => {
                    let name = documents::display_name(input);
                    return usage(out, &format!("cannot read {name}: {err}"));
                }
            };
            for document in documents::split(&documents::display_name(input), &body) {
                hide_keys_in(&document, out);
                let (body, query) = capture::with_key(&document.bytes, "", key, places);
                deliveries.push(Delivery {
                    source: document.place(),
                    label: type_of(&body),
                    body,
                    query,
                });
            }
        }
    }
    post_all(
        &args.url,
        deliveries,
        0,
        args.sending.ca_cert.as_deref(),
        out,
    )
    .await
}

/// Masks, in whatever is printed from now on, the keys a payload about to be sent carries:
/// a receiver that echoes what it got must not get them onto the terminal.
fn hide_keys_in(document: &Document, out: &Output) {
    for value in key_values(&document.bytes) {
        if let Ok(key) = HandshakeKey::new(value.text) {
            out.hide(&key);
        }
    }
}

pub async fn replay(args: ReplayArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let key = key.as_ref().map(HandshakeKey::expose_secret);
    if let Err(problem) = check_url(&args.to) {
        return usage(out, &problem);
    }
    let types = match args
        .types
        .iter()
        .map(|t| t.parse::<ActivityType>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(types) => types,
        Err(err) => return usage(out, &err.to_string()),
    };
    let text = match documents::read(&args.file) {
        Ok(text) => text,
        Err(err) => {
            let name = documents::display_name(&args.file);
            return usage(out, &format!("cannot read {name}: {err}"));
        }
    };
    let source = documents::display_name(&args.file);
    let mut deliveries = Vec::new();
    let mut skipped = 0;
    let mut without_key = 0;
    for document in documents::split(&source, &text) {
        let (body, query) = match serde_json::from_slice::<Record>(&document.bytes) {
            Ok(record) => {
                let failed = record.failed();
                if args.only_failed && !failed {
                    continue;
                }
                let body = match captured_body(&record) {
                    Ok(body) => body,
                    Err(reason) => {
                        skip(&document, &reason, out);
                        skipped += 1;
                        continue;
                    }
                };
                if !types.is_empty() && !types.iter().any(|t| t.as_str() == type_of(&body)) {
                    continue;
                }
                // The key as it came, by the rule the web view sends by too.
                let resent = capture::as_it_came(
                    &body,
                    &record.query,
                    record.key,
                    key,
                    Unchecked::WithTheKey,
                );
                if resent.key == ResentKey::Configured && key.is_none() {
                    without_key += 1;
                }
                (resent.body, resent.query)
            }
            // Not a capture line: a payload, sent as `send` would, its own key kept unless
            // one is given.
            Err(_) => {
                if args.only_failed {
                    continue;
                }
                let body = &document.bytes;
                if !types.is_empty() && !types.iter().any(|t| t.as_str() == type_of(body)) {
                    continue;
                }
                hide_keys_in(&document, out);
                capture::with_key(body, "", key, Places::from(args.sending.key_in))
            }
        };
        deliveries.push(Delivery {
            source: document.place(),
            label: type_of(&body),
            body,
            query,
        });
    }
    if without_key > 0 {
        out.warn(&format!(
            "no key given (--key or {}): {without_key} captured request(s) that carried a key \
             are sent without one, so a receiver that checks keys will refuse them",
            crate::KEY_VARIABLE
        ));
    }
    post_all(
        &args.to,
        deliveries,
        skipped,
        args.sending.ca_cert.as_deref(),
        out,
    )
    .await
}

/// The body to send again for a capture line, or why there is none: a body withheld (it held
/// a key outside `handshake_key`) is not sent at all, rather than as something else; a body
/// that was never read (over the limit) is made up as that many spaces, to be refused again,
/// up to [`FILLER_MAX`].
fn captured_body(record: &Record) -> Result<Vec<u8>, String> {
    if let Some(body) = &record.body {
        return Ok(body.clone().into_bytes());
    }
    if let Some(reason) = &record.body_withheld {
        return Err(format!(
            "its body was not saved ({}), and replay sends only what the capture holds",
            shown(reason)
        ));
    }
    // Captures written before `declared_length` kept an unread body's length here.
    match record.declared_length.or(record.body_length) {
        None => Err("the capture has no body".to_owned()),
        Some(length) if length > FILLER_MAX => Err(format!(
            "its body was not read ({length} bytes declared), and replay makes up at most \
             {FILLER_MAX} bytes in its place"
        )),
        Some(length) => Ok(vec![b' '; length as usize]),
    }
}

/// Says that a line is not sent, and why.
fn skip(document: &Document, reason: &str, out: &Output) {
    if out.json {
        out.print_json(&json!({"source": document.place(), "skipped": reason}));
    } else {
        out.warn(&format!("{}: skipped: {reason}", document.place()));
    }
}

/// The types `--type` names: wire names, or `all`.
fn sample_types(names: &[String]) -> Result<Vec<ActivityType>, String> {
    let mut types = Vec::new();
    for name in names {
        if name == "all" {
            types.extend(ActivityType::ALL);
        } else {
            let activity_type = name.parse::<ActivityType>().map_err(|err| {
                if err.suggestion().is_some() {
                    err.to_string()
                } else {
                    format!("{err}; the types are `all` and {}", list_types())
                }
            })?;
            types.push(activity_type);
        }
    }
    Ok(types)
}

fn list_types() -> String {
    ActivityType::ALL.map(|t| t.as_str()).join(", ")
}

/// The activity type a body names, or `?`.
fn type_of(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Activity {
        activity: Type,
    }
    #[derive(serde::Deserialize)]
    struct Type {
        #[serde(rename = "type")]
        name: String,
    }
    serde_json::from_slice::<Activity>(body)
        .map(|a| a.activity.name)
        .unwrap_or_else(|_| "?".into())
}

pub(crate) fn usage(out: &Output, problem: &str) -> ExitCode {
    out.warn(problem);
    ExitCode::from(2)
}

/// The receiver's URL, checked: http or https.
fn check_url(url: &str) -> Result<reqwest::Url, String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(parsed),
        Ok(_) => Err(format!(
            "{}: only http:// and https:// URLs are supported",
            shown_url(url)
        )),
        Err(err) => Err(format!("{}: {err}", shown_url(url))),
    }
}

/// A URL as messages show it: without its `handshake_key` query parameters, escaped.
pub fn shown_url(url: &str) -> String {
    let Some((base, rest)) = url.split_once('?') else {
        return shown(url);
    };
    let (query, fragment) = rest
        .split_once('#')
        .map_or((rest, None), |(q, f)| (q, Some(f)));
    let query = strip_handshake_key_from_query(query);
    let mut kept = base.to_owned();
    if !query.is_empty() {
        kept.push('?');
        kept.push_str(&query);
    }
    if let Some(fragment) = fragment {
        kept.push('#');
        kept.push_str(fragment);
    }
    shown(&kept)
}

/// Posts every delivery in turn and reports each. The exit status: 0 when every one was
/// sent and answered 2xx; [`NO_ANSWER`] when some got no answer at all; 1 when some answer
/// was not 2xx or `skipped` lines were not sent. Whatever a receiver echoes back is printed
/// with every key the command knows masked.
pub(crate) async fn post_all(
    url: &str,
    deliveries: Vec<Delivery>,
    skipped: usize,
    ca_cert: Option<&Path>,
    out: &Output,
) -> ExitCode {
    let url = match check_url(url) {
        Ok(url) => url,
        Err(problem) => return usage(out, &problem),
    };
    let client = match client(ca_cert) {
        Ok(client) => client,
        Err(problem) => return usage(out, &problem),
    };
    let (mut failed, mut unanswered) = (0, 0);
    let total = deliveries.len();
    for delivery in deliveries {
        let started = Instant::now();
        let response = client
            .post(with_query(&url, &delivery.query))
            .header("content-type", "application/json")
            .body(delivery.body)
            .send()
            .await;
        let answer = match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.bytes().await.unwrap_or_default();
                Ok((status, String::from_utf8_lossy(&text).into_owned()))
            }
            Err(err) => Err(error_text(err)),
        };
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match answer {
            Ok((200..=299, _)) => {}
            Ok(_) => failed += 1,
            Err(_) => unanswered += 1,
        }
        report(&delivery.source, &delivery.label, answer, ms, out);
    }
    if !out.json && (total > 1 || skipped > 0) {
        let mut summary = format!(
            "{total} sent: {} answered 2xx, {failed} not",
            total - failed - unanswered
        );
        if unanswered > 0 {
            summary += &format!(", {unanswered} got no answer");
        }
        if skipped > 0 {
            summary += &format!("; {skipped} skipped");
        }
        out.print(&format!("{summary}\n"));
    }
    if unanswered > 0 {
        ExitCode::from(NO_ANSWER)
    } else if failed + skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The HTTP client of `send`, `replay` and `listen --forward-to`: HTTP and HTTPS (trusting
/// `ca_cert` too, when given), a bounded wait for each answer, no redirects followed (a
/// receiver that redirects is answering 3xx).
pub fn client(ca_cert: Option<&Path>) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(file) = ca_cert {
        let pem =
            std::fs::read(file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|err| format!("{}: not a PEM certificate: {err}", file.display()))?;
        if certificates.is_empty() {
            return Err(format!("{}: no PEM certificate in it", file.display()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|err| format!("cannot make an HTTP client: {err}"))
}

/// `url` with `query` (a raw query string) after its own query.
pub fn with_query(url: &reqwest::Url, query: &str) -> reqwest::Url {
    let mut target = url.clone();
    let query = [url.query().unwrap_or_default(), query]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    target.set_query((!query.is_empty()).then_some(query.as_str()));
    target
}

/// An HTTP error in one line, with its causes, and without its URL (whose query may hold a
/// key).
pub fn error_text(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    shown_short(&text, 300)
}

fn report(source: &str, label: &str, answer: Result<(u16, String), String>, ms: f64, out: &Output) {
    if out.json {
        let line = match &answer {
            Ok((status, text)) => {
                json!({"source": source, "type": label, "status": status, "ms": round(ms), "response": text})
            }
            Err(error) => json!({"source": source, "type": label, "error": error, "ms": round(ms)}),
        };
        out.print_json(&line);
        return;
    }
    let label = shown(label);
    let line = match answer {
        Ok((status, text)) => {
            let first = text.lines().next().unwrap_or_default();
            let mut line = format!(
                "{}  {ms:>7.1} ms  {label}  {}",
                out.status(status),
                out.paint(Style::Dim, source)
            );
            if !first.is_empty() {
                line.push_str(&format!("  {}", shown_short(first, 200)));
            }
            line.push('\n');
            if out.verbose && text.lines().count() > 1 {
                for more in text.lines().skip(1) {
                    line.push_str(&format!("    {}\n", shown_short(more, 200)));
                }
            }
            line
        }
        Err(error) => format!(
            "{}  {ms:>7.1} ms  {label}  {}  {error}\n",
            out.paint(Style::Bad, "no answer"),
            out.paint(Style::Dim, source)
        ),
    };
    out.print(&line);
}

/// Milliseconds to a tenth, for JSON.
pub fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// The start of an answer's body as text: at most `max` bytes read (invalid UTF-8 replaced),
/// with `…` when there was more, and whatever was read when the body breaks off.
pub async fn answer_text(mut response: reqwest::Response, max: usize) -> String {
    let mut read = Vec::new();
    let mut more = false;
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = max - read.len();
        if chunk.len() > room {
            read.extend_from_slice(&chunk[..room]);
            more = true;
            break;
        }
        read.extend_from_slice(&chunk);
    }
    let mut text = String::from_utf8_lossy(&read).into_owned();
    if more {
        // A cut through a character was replaced above; one mark says the rest is missing.
        text.push('…');
    }
    text
}
