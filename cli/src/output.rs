//! What the command prints, and how: lines for people (colour only on a terminal, and never
//! with `NO_COLOR` set) or one JSON object per line for machines. This is the one place text
//! from outside (a body, a query, a path, a file name, an app's answer) is made safe for a
//! terminal, and the one place every line passes on its way out, where the text of every key
//! the command knows is masked, whatever field it arrived in.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};
use clinchpad_webhook::{escape_text, HandshakeKey};
use serde::Serialize;
use serde_json::Value;

use crate::mask::mask_escaped_keys;

/// How output is written, decided once from the flags and the terminal.
pub struct Output {
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Details: each payload's fields, each request's query and size.
    pub verbose: bool,
    /// ANSI colours: on a terminal only, and not with `NO_COLOR` set.
    color: bool,
    /// Serialises lines written from several tasks.
    lock: Mutex<()>,
    /// Every key the command knows (configured, or read from a file it sends): masked in
    /// everything it prints or saves.
    secrets: RwLock<Vec<HandshakeKey>>,
}

impl Output {
    pub fn new(json: bool, verbose: bool) -> Self {
        let color = !json
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").map_or(true, |value| value.is_empty());
        Output {
            json,
            verbose,
            color,
            lock: Mutex::new(()),
            secrets: RwLock::new(Vec::new()),
        }
    }

    /// Masks `key` from now on, in everything printed or saved.
    pub fn hide(&self, key: &HandshakeKey) {
        if let Ok(mut secrets) = self.secrets.write() {
            if !secrets.iter().any(|known| known == key) {
                secrets.push(key.clone());
            }
        }
    }

    /// `text` with every known key masked (`***`): its text as it is, escaped or quoted (see
    /// `HandshakeKey::redact`), and in any JSON string that spells it with JSON's escapes
    /// (`"g\u0066hkd..."`), whose contents are masked whole: a browser or a test that reads
    /// the JSON would read the key there.
    pub fn redact(&self, text: &str) -> String {
        let Ok(secrets) = self.secrets.read() else {
            return String::new();
        };
        let mut text = text.to_owned();
        for key in secrets.iter() {
            if let Cow::Owned(masked) = key.redact(&text) {
                text = masked;
            }
        }
        let keys: Vec<&str> = secrets.iter().map(HandshakeKey::expose_secret).collect();
        match mask_escaped_keys(&text, &keys) {
            Cow::Owned(masked) => masked,
            Cow::Borrowed(_) => text,
        }
    }

    /// `value` with every known key masked in each of its strings and object keys: JSON that
    /// stays JSON whatever a key looks like.
    pub fn redact_json(&self, value: Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact(&text)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.redact_json(v)).collect())
            }
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(name, v)| (self.redact(&name), self.redact_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Writes `text` (one or more whole lines) to standard output at once, flushed, with every
    /// known key masked.
    pub fn print(&self, text: &str) {
        let text = self.redact(text);
        let _guard = self.lock.lock();
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Writes a line about the command itself (what it listens on, why it stopped) to
    /// standard error, as one line: escaped, so that whatever a message quotes (a file name,
    /// an error from a library) cannot break it, and with every known key masked.
    pub fn say(&self, text: &str) {
        let text = self.redact(&escape_text(text));
        let _guard = self.lock.lock();
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// [`say`](Output::say), as a problem: `clinchpad-webhook: ` first.
    pub fn warn(&self, text: &str) {
        self.say(&format!("clinchpad-webhook: {text}"));
    }

    /// `record` as one JSON line, with every known key masked and every character a terminal
    /// would act on written as a `\u` escape: the same JSON, safe to print.
    pub fn json_line(&self, record: &impl Serialize) -> Result<String, serde_json::Error> {
        let value = self.redact_json(serde_json::to_value(record)?);
        Ok(terminal_safe_json(&serde_json::to_string(&value)?))
    }

    /// Writes `record` as one JSON line: see [`json_line`](Output::json_line).
    pub fn print_json(&self, record: &impl Serialize) {
        match self.json_line(record) {
            Ok(line) => self.print(&format!("{line}\n")),
            Err(err) => self.warn(&format!("cannot write JSON: {err}")),
        }
    }

    /// `text` in `style`, when colours are on.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{}m{text}\u{1b}[0m", style.code())
        } else {
            text.to_owned()
        }
    }

    /// An HTTP status, coloured by its class.
    pub fn status(&self, status: u16) -> String {
        let style = match status {
            200..=299 => Style::Good,
            400..=499 => Style::Bad,
            _ => Style::Warn,
        };
        self.paint(style, &status.to_string())
    }
}

/// The few styles the command uses.
#[derive(Clone, Copy)]
pub enum Style {
    Good,
    Bad,
    Warn,
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Good => "32",
            Style::Bad => "31",
            Style::Warn => "33",
            Style::Dim => "2",
        }
    }
}

/// A time as the lines for people show it: UTC, to the millisecond.
pub fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S%.3f").to_string()
}

/// Text from outside, as printed: every character that would move the cursor, end the line
/// or reorder it escaped (`\n`, `\u{1b}`), by the library's [`escape_text`].
pub fn shown(text: &str) -> String {
    escape_text(text).into_owned()
}

/// [`shown`], of at most `max` characters of `text`, with `…` where it was cut.
pub fn shown_short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", escape_text(&text[..end])),
        None => shown(text),
    }
}

/// JSON as serde_json writes it, with the characters it leaves raw inside strings but a
/// terminal acts on (C1 controls, line separators, bidirectional overrides) as `\u` escapes.
fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut one = [0; 4];
    for c in json.chars() {
        if escape_text(c.encode_utf8(&mut one)).len() > c.len_utf8() {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_stays_json_with_what_a_terminal_acts_on_escaped() {
        let line = terminal_safe_json("{\"a\":\"x\u{202e}y\u{85}\"}");
        assert_eq!(line, r#"{"a":"x\u202ey\u0085"}"#);
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["a"], "x\u{202e}y\u{85}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            shown("a\u{1b}[31mb\r\n\tc\u{202e}"),
            r"a\u{1b}[31mb\r\n\tc\u{202e}"
        );
        assert_eq!(shown_short("abcdef", 3), "abc…");
        assert_eq!(shown_short("abc", 3), "abc");
        assert_eq!(shown_short("a\u{1b}bc", 2), r"a\u{1b}…");
    }

    #[test]
    fn every_known_key_is_masked_in_text_and_in_json() {
        let out = Output::new(false, false);
        out.hide(&HandshakeKey::new("s3cr3t").unwrap());
        out.hide(&HandshakeKey::new("401").unwrap());
        assert_eq!(out.redact("a s3cr3t b"), "a *** b");
        let value = serde_json::json!({"status": 401, "s3cr3t": ["x s3cr3t", "401"]});
        let line = out.json_line(&value).unwrap();
        assert_eq!(line, r#"{"***":["x ***","***"],"status":401}"#);
    }

    #[test]
    fn a_key_spelled_with_json_escapes_is_masked_with_its_whole_string() {
        let out = Output::new(false, false);
        out.hide(&HandshakeKey::new("s3cr3t").unwrap());
        assert_eq!(
            out.redact(r#"{"note": "my \u0073\u0033cr3t!", "x": "caf\u00e9"}"#),
            r#"{"note": "***", "x": "caf\u00e9"}"#
        );
        // As a member's name; with an escaped slash; beside a lone surrogate, which a strict
        // reader refuses and a browser reads.
        assert_eq!(out.redact(r#"{"s3cr3\u0074": 1}"#), r#"{"***": 1}"#);
        assert_eq!(
            out.redact(r#"["s3\/cr3t", "s3cr\u0033t\ud800"]"#),
            r#"["s3\/cr3t", "***"]"#
        );
        // In text that is not JSON, after a stray quote; and cut short.
        assert_eq!(
            out.redact(r#"5" long: "s\u0033cr3t" and "k"#),
            r#"5" long: "***" and "k"#
        );
        assert_eq!(out.redact(r#"{"note": "s3cr\u0033t"#), r#"{"note": "***"#);
        // In a JSON string that holds JSON: masked there too, and so in the line printed.
        let value = serde_json::json!({"body": r#"{"note": "\u0073\u0033cr3t"}"#});
        let line = out.json_line(&value).unwrap();
        assert_eq!(line, r#"{"body":"{\"note\": \"***\"}"}"#);
    }
}
