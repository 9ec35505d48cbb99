//! Reads ClinchPad webhook payloads and prints what they say: the tool to reach for when a
//! delivery looks wrong.
//!
//! ```text
//! cargo run --example inspect -- fixtures/note_created.json
//! cargo run --example inspect -- --key gfhkd1asfsa fixtures/*.json
//! cargo run --example inspect -- --json fixtures/edge/numbers_as_strings.json
//! cat captured.ndjson | cargo run --example inspect
//! ```
//!
//! Each input (files, or stdin when there are none or for `-`) holds one payload, possibly
//! spread over many lines, or a stream of payloads one per line as a logging proxy captures
//! them: an input whose first line is a whole JSON object is read as a stream. A bad payload
//! is shown with its path and a caret under the offending column.
//!
//! The expected key comes from `--key` or the `CLINCHPAD_HANDSHAKE_KEY` environment variable.
//! No key is ever printed: not the expected one, and not the one a payload carries (`--json`
//! prints the payload without it). Text from the payload is printed with its control
//! characters escaped, so a body cannot write to the terminal. Exit status: 0 when every
//! payload parsed (and verified, with a key), 1 when some payload did not, 2 for a usage error
//! or an unreadable input.

use std::fmt::Write as _;
use std::io::Read;
use std::process::ExitCode;

use clinchpad_webhook::{parse, verify, ActivityKind, Error, Payload};

const USAGE: &str = "usage: inspect [--key KEY] [--json] [FILE|-]...
  reads each FILE (stdin when none is given, or for -): one payload, or one payload per line
  --key KEY   verify the handshake key (default: $CLINCHPAD_HANDSHAKE_KEY); never printed
  --json      print each payload as normalised JSON instead of a summary";

struct Options {
    key: Option<String>,
    json: bool,
    inputs: Vec<String>,
}

fn options(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut args = args.peekable();
    let mut options = Options {
        key: std::env::var("CLINCHPAD_HANDSHAKE_KEY").ok(),
        json: false,
        inputs: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => options.json = true,
            "--key" => options.key = Some(args.next().ok_or("--key needs a value")?),
            _ if arg.starts_with("--key=") => options.key = Some(arg["--key=".len()..].into()),
            "--" => options.inputs.extend(args.by_ref()),
            _ if arg.starts_with('-') && arg != "-" => return Err(format!("unknown flag {arg}")),
            _ => options.inputs.push(arg),
        }
    }
    if options.inputs.is_empty() {
        options.inputs.push("-".into());
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("inspect: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut report = Report::default();
    for input in &options.inputs {
        let (name, body) = match read(input) {
            Ok(body) => (display_name(input), body),
            Err(err) => {
                eprintln!("inspect: cannot read {input}: {err}");
                return ExitCode::from(2);
            }
        };
        for document in documents(&body) {
            report.inspect(&name, &document, &options);
        }
    }
    if report.seen > 1 {
        println!(
            "{} payload(s): {} good, {} bad",
            report.seen,
            report.seen - report.bad,
            report.bad
        );
    }
    if report.bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn read(input: &str) -> std::io::Result<Vec<u8>> {
    if input == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body)?;
        Ok(body)
    } else {
        std::fs::read(input)
    }
}

fn display_name(input: &str) -> String {
    if input == "-" {
        "<stdin>".into()
    } else {
        input.into()
    }
}

/// One payload's bytes and where it starts in its input (zero-based line).
struct Document<'a> {
    bytes: &'a [u8],
    first_line: usize,
}

/// Splits an input into payloads: the whole input, or one per non-blank line when the first
/// non-blank line is a JSON object on its own.
fn documents(body: &[u8]) -> Vec<Document<'_>> {
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let is_blank = |line: &&[u8]| line.iter().all(u8::is_ascii_whitespace);
    let first = lines.iter().find(|line| !is_blank(line));
    let one_per_line = first.is_some_and(|line| {
        let mut solid = line.iter().filter(|b| !b.is_ascii_whitespace());
        solid.next() == Some(&b'{') && solid.next_back() == Some(&b'}')
    });
    if !one_per_line {
        return vec![Document {
            bytes: body,
            first_line: 0,
        }];
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| !is_blank(line))
        .map(|(index, line)| Document {
            bytes: line,
            first_line: index,
        })
        .collect()
}

#[derive(Default)]
struct Report {
    seen: usize,
    bad: usize,
}

impl Report {
    fn inspect(&mut self, name: &str, document: &Document<'_>, options: &Options) {
        self.seen += 1;
        let header = format!("{name}:{}", document.first_line + 1);
        let payload = match parse(document.bytes) {
            Ok(payload) => payload,
            Err(err) => {
                self.bad += 1;
                print!("{}", explain(name, document, &err));
                return;
            }
        };
        let verdict = match &options.key {
            None => "not checked (pass --key or set CLINCHPAD_HANDSHAKE_KEY)".to_owned(),
            Some(key) => match verify(&payload, key) {
                Ok(()) => "verified".to_owned(),
                Err(err) => {
                    self.bad += 1;
                    format!("REJECTED: {err}")
                }
            },
        };
        // Checked; from here on the payload is shown, so its key goes.
        let payload = payload.without_handshake_key();
        if options.json {
            match serde_json::to_string_pretty(&payload) {
                Ok(json) => println!("{}", terminal_safe_json(&json)),
                Err(err) => println!("{header}: cannot write JSON: {err}"),
            }
        } else {
            println!("== {header}");
            print!("{}", summary(&payload));
        }
        // With --json, stdout carries only JSON; the verdict goes to stderr.
        if options.json {
            eprintln!("{header}: key {verdict}");
        } else {
            println!("key:      {verdict}");
        }
    }
}

/// The error, then the offending line with a caret under the offending column.
fn explain(name: &str, document: &Document<'_>, err: &Error) -> String {
    let (Some(line), Some(column)) = (err.line(), err.column()) else {
        return format!("{name}: error: {err}\n");
    };
    let file_line = document.first_line + line;
    // The position is the prefix's, counted in the file: the error's own counts from the
    // start of the payload, which differ in a stream of one payload per line.
    let what = match err {
        Error::InvalidPayload { path, message, .. } if path.is_empty() => {
            format!("invalid payload: {message}")
        }
        Error::InvalidPayload { path, message, .. } => {
            format!("invalid payload at `{path}`: {message}")
        }
        Error::NotJson { message, .. } => format!("body is not JSON: {message}"),
        other => other.to_string(),
    };
    let mut out = format!("{name}:{file_line}:{column}: error: {what}\n");
    let Some(text) = document.bytes.split(|&b| b == b'\n').nth(line - 1) else {
        return out;
    };
    let text = String::from_utf8_lossy(text);
    let text = text.trim_end_matches('\r');
    let (shown, pad) = window(text, column);
    let gutter = file_line.to_string();
    let _ = writeln!(out, " {gutter} | {shown}");
    let _ = writeln!(out, " {} | {pad}^", " ".repeat(gutter.len()));
    out
}

/// Characters of a line shown around the error's column: a one-line payload (what ClinchPad
/// sends, and what a capture of one payload per line holds) can be kilobytes long.
const WINDOW: usize = 100;

/// The part of `line` to show, at most [`WINDOW`] characters around the byte `column`
/// (one-based), with `…` where it is cut and control characters escaped; and the padding that
/// puts a caret under the column (tabs kept as tabs, so that it lines up).
fn window(line: &str, column: usize) -> (String, String) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let caret = chars
        .iter()
        .position(|&(at, _)| at + 1 >= column)
        .unwrap_or(chars.len());
    let end = (caret.saturating_sub(WINDOW / 2) + WINDOW).min(chars.len());
    let start = end.saturating_sub(WINDOW).min(caret);
    let (mut shown, mut pad) = (String::new(), String::new());
    if start > 0 {
        shown.push('…');
        pad.push(' ');
    }
    for (i, &(_, c)) in chars[start..end].iter().enumerate() {
        let unit = escaped(c);
        if start + i < caret {
            if c == '\t' {
                pad.push('\t');
            } else {
                pad.extend(std::iter::repeat(' ').take(unit.chars().count()));
            }
        }
        shown.push_str(&unit);
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, pad)
}

/// `c` as printed: itself, or escaped (`\u{1b}`) when it would move the cursor, end the line
/// or reorder it. Tabs stay.
fn escaped(c: char) -> String {
    let unsafe_char = (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        );
    if unsafe_char {
        format!("\\u{{{:x}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

/// JSON as serde_json writes it, with the characters it leaves raw inside strings but a
/// terminal acts on (C1 controls, line separators, bidirectional overrides) written as `\u`
/// escapes: the same JSON, safe to print.
fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c != '\n' && escaped(c).len() > c.len_utf8() {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Text from the payload, as printed: see [`escaped`].
fn shown(text: &str) -> String {
    text.chars().map(escaped).collect()
}

fn summary(payload: &Payload) -> String {
    let (activity, lead) = (&payload.activity, &payload.lead);
    let mut out = String::new();
    let mut line = |label: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{:<9} {value}", format!("{label}:"));
    };
    line("time", &activity.created_at.to_rfc3339());
    line("type", &shown(activity.kind.type_name()));
    line(
        "lead",
        &format!("{} ({})", shown(&lead.name), shown(lead.id.as_str())),
    );
    if let Some(stage) = &lead.stage {
        line("stage", &shown(&stage.name));
    }
    if let Some(pipe) = &lead.pipe {
        line("pipe", &shown(&pipe.name));
    }
    if let Some(user) = &activity.user {
        line(
            "user",
            &format!("{} ({})", shown(&user.name), shown(user.id.as_str())),
        );
    }
    // The kind serializes as {"type": ..., fields...}: print its fields in the documentation's
    // order (as received for an unknown type).
    if let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(&activity.kind) {
        fields.remove("type");
        let documented = activity.kind.activity_type().map(|t| t.field_names());
        for name in documented.unwrap_or_default() {
            if let Some(value) = fields.remove(*name) {
                let _ = writeln!(out, "  {name}: {}", shown(&value.to_string()));
            }
        }
        for (name, value) in fields {
            let _ = writeln!(out, "  {}: {}", shown(&name), shown(&value.to_string()));
        }
    }
    if let ActivityKind::Unknown { .. } = activity.kind {
        out += "  (type unknown to this version: fields shown as received)\n";
    }
    let unknown = [
        ("", &payload.extra),
        ("activity.", &activity.extra),
        ("lead.", &lead.extra),
    ];
    for (prefix, extra) in unknown {
        for (name, value) in extra {
            let (name, value) = (shown(name), shown(&value.to_string()));
            let _ = writeln!(out, "  unknown field {prefix}{name}: {value}");
        }
    }
    out
}
