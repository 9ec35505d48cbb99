//! `inspect`: what a payload says, or where it is wrong.

use std::fmt::Write as _;
use std::process::ExitCode;

use clinchpad_webhook::{parse, verify, Error, HandshakeKey};
use serde_json::json;

use crate::documents::{self, Document};
use crate::output::Output;
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
                eprintln!("clinchpad-webhook: cannot read {input}: {err}");
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
        let payload = match parse(&document.bytes) {
            Ok(payload) => payload,
            Err(err) => {
                self.bad += 1;
                if out.json {
                    out.print_json(&json!({
                        "input": document.source,
                        "line": document.first_line + 1,
                        "ok": false,
                        "error": show::error_json(&err),
                    }));
                } else {
                    let keys: Vec<&str> = key.iter().map(|key| key.expose_secret()).collect();
                    out.print(&explain(document, &err, &keys));
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
    let masked = crate::mask::mask_keys(&document.bytes, keys);
    out += &show::caret(&masked, err, document.first_line, " ");
    out
}
