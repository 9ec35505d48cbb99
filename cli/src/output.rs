//! What the command prints, and how: lines for people (colour only on a terminal, and never
//! with `NO_COLOR` set) or one JSON object per line for machines; and text from a payload made
//! safe to print.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

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
        }
    }

    /// Writes `text` (one or more whole lines) to standard output at once, flushed.
    pub fn print(&self, text: &str) {
        let _guard = self.lock.lock();
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// Writes `record` as one JSON line, with every character a terminal would act on written
    /// as a `\u` escape: the same JSON, safe to print.
    pub fn print_json(&self, record: &impl Serialize) {
        match serde_json::to_string(record) {
            Ok(line) => self.print(&format!("{}\n", terminal_safe_json(&line))),
            Err(err) => eprintln!("clinchpad-webhook: cannot write JSON: {err}"),
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

/// `c` as printed: itself, or escaped (`\u{1b}`) when it would move the cursor, end the line,
/// or reorder it. Tabs stay.
pub fn escaped(c: char) -> String {
    let unsafe_char = (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        );
    if unsafe_char {
        format!("\\u{{{:x}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

/// JSON as serde_json writes it, with the characters it leaves raw inside strings but a
/// terminal acts on (C1 controls, line separators, bidirectional overrides) as `\u` escapes.
fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if escaped(c).len() > c.len_utf8() {
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

/// Text from a payload or a response, as printed: see [`escaped`].
pub fn shown(text: &str) -> String {
    text.chars().map(escaped).collect()
}

/// [`shown`], cut to about `max` characters with `…`.
pub fn shown_short(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push_str(&escaped(c));
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
    fn control_characters_are_escaped_and_tabs_kept() {
        assert_eq!(
            shown("a\u{1b}[31mb\r\n\tc\u{202e}"),
            "a\\u{1b}[31mb\\u{d}\\u{a}\tc\\u{202e}"
        );
        assert_eq!(shown_short("abcdef", 3), "abc…");
        assert_eq!(shown_short("abc", 3), "abc");
    }
}
