//! `send` and `replay`: deliveries posted to a receiver, one after the other, each response
//! reported.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clinchpad_webhook::{ActivityType, HandshakeKey, Payload};
use serde_json::json;

use crate::capture::{self, KeyCheck, Places, Record};
use crate::documents;
use crate::output::{shown_short, Output, Style};
use crate::{ReplayArgs, SendArgs};

/// A key that is surely not the receiver's, for replaying a delivery that carried a wrong one.
const WRONG_KEY: &str = "clinchpad-webhook-replay-wrong-key";

/// One request to send.
struct Delivery {
    /// Where it comes from, for the report: `sample`, `file:line`.
    source: String,
    /// Its activity type, when its body says.
    label: String,
    body: Vec<u8>,
    query: String,
}

pub async fn send(args: SendArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let key = key.as_ref().map(HandshakeKey::expose_secret);
    let places = Places::from(args.sending.key_in);
    let mut deliveries = Vec::new();
    if !args.types.is_empty() {
        let types = match sample_types(&args.types) {
            Ok(types) => types,
            Err(problem) => return usage(&problem),
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
        return usage("nothing to send: give --type TYPE, payload files, or - for standard input");
    } else {
        for input in &args.inputs {
            let body = match documents::read(input) {
                Ok(body) => body,
                Err(err) => return usage(&format!("cannot read {input}: {err}")),
            };
            for document in documents::split(&documents::display_name(input), &body) {
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
        key,
        args.sending.ca_cert.as_deref(),
        out,
    )
    .await
}

pub async fn replay(args: ReplayArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let key = key.as_ref().map(HandshakeKey::expose_secret);
    let types = match args
        .types
        .iter()
        .map(|t| t.parse::<ActivityType>())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(types) => types,
        Err(err) => return usage(&err.to_string()),
    };
    let text = match documents::read(&args.file) {
        Ok(text) => text,
        Err(err) => return usage(&format!("cannot read {}: {err}", args.file)),
    };
    let source = documents::display_name(&args.file);
    let mut deliveries = Vec::new();
    let mut without_key = 0;
    for document in documents::split(&source, &text) {
        let (body, query, places, check, failed) =
            match serde_json::from_slice::<Record>(&document.bytes) {
                Ok(record) => {
                    let failed = record.failed();
                    let Some(body) = record.body.map(String::into_bytes).or_else(|| {
                        // Not read because it was over the limit: as many bytes, to be refused again.
                        record.body_length.map(|length| vec![b' '; length as usize])
                    }) else {
                        eprintln!(
                            "clinchpad-webhook: {}: skipped: the capture has no body",
                            document.place()
                        );
                        continue;
                    };
                    let places = Places {
                        body: record.key.in_body,
                        query: record.key.in_query,
                    };
                    (body, record.query, places, record.key.check, failed)
                }
                // Not a capture line: a payload, sent as `send` would.
                Err(_) => (
                    document.bytes.clone(),
                    String::new(),
                    Places::from(args.sending.key_in),
                    KeyCheck::Unchecked,
                    false,
                ),
            };
        if args.only_failed && !failed {
            continue;
        }
        let label = type_of(&body);
        if !types.is_empty() && !types.iter().any(|t| t.as_str() == label) {
            continue;
        }
        // The key as it was: the right one where it was right, a wrong one where it was wrong.
        let (body, query) = match check {
            KeyCheck::Wrong => capture::with_key(&body, &query, Some(WRONG_KEY), places),
            KeyCheck::Missing => (body, query),
            KeyCheck::Matched | KeyCheck::Unchecked if places.body || places.query => {
                without_key += usize::from(key.is_none());
                capture::with_key(&body, &query, key, places)
            }
            KeyCheck::Matched | KeyCheck::Unchecked => (body, query),
        };
        deliveries.push(Delivery {
            source: document.place(),
            label,
            body,
            query,
        });
    }
    if without_key > 0 {
        eprintln!(
            "clinchpad-webhook: no key given (--key or CLINCHPAD_HANDSHAKE_KEY): {without_key} \
             delivery(ies) that carried one are sent without"
        );
    }
    post_all(
        &args.to,
        deliveries,
        key,
        args.sending.ca_cert.as_deref(),
        out,
    )
    .await
}

/// The types `--type` names: wire names, or `all`.
fn sample_types(names: &[String]) -> Result<Vec<ActivityType>, String> {
    let mut types = Vec::new();
    for name in names {
        if name == "all" {
            types.extend(ActivityType::ALL);
        } else {
            let activity_type = name
                .parse::<ActivityType>()
                .map_err(|err| format!("{err}; the types are `all` and {}", list_types()))?;
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

fn usage(problem: &str) -> ExitCode {
    eprintln!("clinchpad-webhook: {problem}");
    ExitCode::from(2)
}

/// Posts every delivery in turn and reports each; 1 if any was not answered 2xx. A receiver
/// that echoes the key back does not get it printed: `key` is masked in the answers.
async fn post_all(
    url: &str,
    deliveries: Vec<Delivery>,
    key: Option<&str>,
    ca_cert: Option<&Path>,
    out: &Output,
) -> ExitCode {
    let url = match reqwest::Url::parse(url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        Ok(url) => {
            return usage(&format!(
                "{url}: only http:// and https:// URLs are supported"
            ))
        }
        Err(err) => return usage(&format!("{url}: {err}")),
    };
    let client = match client(ca_cert) {
        Ok(client) => client,
        Err(problem) => return usage(&problem),
    };
    let mut failed = 0;
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
                let text = crate::mask::mask_keys(&text, &key.into_iter().collect::<Vec<_>>());
                Ok((status, String::from_utf8_lossy(&text).into_owned()))
            }
            Err(err) => Err(error_text(err)),
        };
        let ms = started.elapsed().as_secs_f64() * 1e3;
        failed += usize::from(!matches!(answer, Ok((200..=299, _))));
        report(&delivery.source, &delivery.label, answer, ms, out);
    }
    if !out.json && total > 1 {
        out.print(&format!(
            "{total} sent: {} answered 2xx, {failed} not\n",
            total - failed
        ));
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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
            out.paint(Style::Bad, "---"),
            out.paint(Style::Dim, source)
        ),
    };
    out.print(&line);
}

/// Milliseconds to a tenth, for JSON.
pub fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}
