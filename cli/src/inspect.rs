//! `inspect`: what a payload says, or where it is wrong; and, for a line `listen --save`
//! wrote, what became of the request.

use std::fmt::Write as _;
use std::process::ExitCode;

use clinchpad_webhook::{parse, verify, Error, HandshakeKey, Payload, Receiver};
use serde_json::json;

use crate::capture::Record;
use crate::documents::{self, Document};
use crate::output::{shown, Output};
use crate::show;
use crate::InspectArgs;

pub fn run(args: InspectArgs, key: Option<HandshakeKey>, out: &Output) -> ExitCode {
    let inputs = if args.inputs.is_empty() {
        vec!["-".to_owned()]
    } else {
        args.inputs
    };
    let mut report = Report::default();
    for input in &inputs {
        let body = match documents::read(input) {
            Ok(body) => body,
            Err(err) => {
                let name = documents::display_name(input);
                out.warn(&format!("cannot read {name}: {err}"));
                return ExitCode::from(2);
            }
        };
        for document in documents::split(&documents::display_name(input), &body) {
            report.inspect(&document, key.as_ref(), out);
        }
    }
    if report.seen > 1 && !out.json {
        out.print(&format!(
            "{} payload(s): {} good, {} bad\n",
            report.seen,
            report.seen - report.bad,
            report.bad
        ));
    }
    if report.bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(Default)]
struct Report {
    seen: usize,
    bad: usize,
}

impl Report {
    fn inspect(&mut self, document: &Document, key: Option<&HandshakeKey>, out: &Output) {
        self.seen += 1;
        if let Ok(record) = serde_json::from_slice::<Record>(&document.bytes) {
            return self.inspect_capture(document, &record, out);
        }
        let keys: Vec<&str> = key.iter().map(|key| key.expose_secret()).collect();
        let payload = match parse(&document.bytes) {
            Ok(payload) => payload,
            Err(err) => {
                self.bad += 1;
                // Whether the tolerant path takes it all the same: one sound JSON object.
                let drifted = Receiver::unverified().accept(None, &document.bytes).is_ok();
                if out.json {
                    out.print_json(&json!({
                        "input": document.source,
                        "line": document.first_line + 1,
                        "ok": false,
                        "drifted": drifted,
                        "error": show::error_json(&err),
                    }));
                } else {
                    let mut text = explain(document, &err, &keys);
                    if drifted {
                        text +=
                            " note: `listen` and `Receiver::accept` take it (its key checked) as \
                                 drifted, with this error; `listen --strict` and \
                                 `Receiver::receive` refuse it\n";
                    }
                    out.print(&text);
                }
                return;
            }
        };
        let verdict = match key.map(|key| verify(&payload, key)) {
            None => Verdict::NotChecked,
            Some(Ok(())) => Verdict::Verified,
            Some(Err(err)) => {
                self.bad += 1;
                Verdict::Refused(err)
            }
        };
        // Checked; from here on the payload is shown, so its key goes.
        let payload = payload.without_handshake_key();
        if out.json {
            out.print_json(&json!({
                "input": document.source,
                "line": document.first_line + 1,
                "ok": !matches!(verdict, Verdict::Refused(_)),
                "key": verdict.word(),
                "type": payload.activity.kind.type_name(),
                "payload": payload,
            }));
        } else {
            let mut text = format!("== {}\n", document.place());
            text += &show::summary(&payload);
            let _ = writeln!(text, "key:      {}", verdict.sentence());
            out.print(&text);
        }
    }

    /// A line `listen --save` wrote: the request's verdict and status, where its key was and
    /// whether it matched (as `listen` saw it: the capture keeps no key to check), and its
    /// body, read as a payload, when it was kept. A request that was not answered 2xx (or
    /// whose app did not answer 2xx) counts as bad.
    fn inspect_capture(&mut self, document: &Document, record: &Record, out: &Output) {
        let ok = !record.failed();
        self.bad += usize::from(!ok);
        let parsed: Option<Result<Payload, Error>> =
            record.body.as_ref().map(|body| parse(body.as_bytes()));
        if out.json {
            let mut line = json!({
                "input": document.source,
                "line": document.first_line + 1,
                "ok": ok,
                "capture": {
                    "received_at": record.received_at,
                    "verdict": record.verdict,
                    "status": record.status,
                    "key": record.key,
                    "error": record.error,
                    "forwarded": record.forwarded,
                    "body_withheld": record.body_withheld,
                    "headers": record.headers,
                },
            });
            match &parsed {
                Some(Ok(payload)) => {
                    line["type"] = json!(payload.activity.kind.type_name());
                    line["payload"] = json!(payload);
                }
                Some(Err(err)) => line["error"] = show::error_json(err),
                None => {}
            }
            out.print_json(&line);
            return;
        }
        let mut text = format!("== {}\n", document.place());
        let mut verdict = format!(
            "{} {} at {}",
            record.status,
            shown(&record.verdict),
            record
                .received_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        if let Some(error) = &record.error {
            let _ = write!(verdict, ": {}", shown(error));
        }
        let _ = writeln!(text, "request:  {verdict}");
        if let Some(forwarded) = &record.forwarded {
            let app = match (forwarded.status, &forwarded.error) {
                (Some(status), _) => format!("{status} in {:.1} ms", forwarded.ms),
                (None, error) => format!("unreachable: {}", shown(error.as_deref().unwrap_or(""))),
            };
            let _ = writeln!(text, "app:      {app}");
        }
        if out.verbose {
            for (name, value) in &record.headers {
                let _ = writeln!(text, "header:   {}: {}", shown(name), shown(value));
            }
        }
        let _ = writeln!(
            text,
            "key:      {}, {} (as listen saw it: a capture keeps no key)",
            record.key.places(),
            record.key.check.sentence()
        );
        match &parsed {
            Some(Ok(payload)) => text += &show::summary(payload),
            Some(Err(err)) => {
                let _ = writeln!(text, "body:     {}", show::error_line(err, false));
                if let Some(body) = &record.body {
                    text += &show::caret(body.as_bytes(), &[], err, 0, " ");
                }
            }
            None => {
                let why = match (&record.body_withheld, record.declared_length) {
                    (Some(reason), _) => format!("not saved: {}", shown(reason)),
                    (None, Some(length)) => format!("not read: {length} bytes declared"),
                    (None, None) => "none".to_owned(),
                };
                let _ = writeln!(text, "body:     {why}");
            }
        }
        out.print(&text);
    }
}

/// What the key check said.
enum Verdict {
    NotChecked,
    Verified,
    Refused(Error),
}

impl Verdict {
    fn word(&self) -> &'static str {
        match self {
            Verdict::NotChecked => "not checked",
            Verdict::Verified => "verified",
            Verdict::Refused(Error::MissingKey) => "missing",
            Verdict::Refused(_) => "wrong",
        }
    }

    fn sentence(&self) -> String {
        match self {
            Verdict::NotChecked => {
                "not checked (pass --key or set CLINCHPAD_HANDSHAKE_KEY)".to_owned()
            }
            Verdict::Verified => "verified".to_owned(),
            Verdict::Refused(err) => format!("REJECTED: {err}"),
        }
    }
}

/// The error, its place in the input, then the offending line (its keys masked) with a caret
/// under the column.
fn explain(document: &Document, err: &Error, keys: &[&str]) -> String {
    let (Some(line), Some(column)) = (err.line(), err.column()) else {
        return format!("{}: error: {err}\n", document.source);
    };
    // The position is the input's: the error's own counts from the start of the payload,
    // which differs in a stream of one payload per line.
    let file_line = document.first_line + line;
    let mut out = format!(
        "{}:{file_line}:{column}: error: {}\n",
        document.source,
        show::error_line(err, true)
    );
    out += &show::caret(&document.bytes, keys, err, document.first_line, " ");
    out
}
