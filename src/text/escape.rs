//! Input made safe to show: every message that quotes the body is one bounded line, and
//! [`escape_text`] does the same for any text a program shows from a body.
//!
//! A webhook body is written by whoever finds the URL. Text from it that reaches a message
//! (a bad timestamp, a repeated key, a string where an object belongs) is shortened, and every
//! character that could end a line, move the cursor or reorder what a terminal shows is
//! escaped, so that `eprintln!("refused: {err}")` writes one honest line whatever the body.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Bytes of input quoted in a message, as shown (escapes count at their shown length); the
/// rest is cut and marked with `…`.
const QUOTED_BYTES: usize = 64;

/// The longest message an error carries, in bytes, before its position and path.
pub(crate) const MESSAGE_MAX: usize = 200;

/// Whether `c` must be escaped to keep a message on one line and showing what it says:
/// control characters (C0, DEL, C1), the Unicode line and paragraph separators, the
/// bidirectional overrides and isolates that reorder a line, and the byte-order mark.
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes `c` as Rust writes it in `{:?}` (`\n`, `\u{1b}`) when it must be escaped.
fn push_shown(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Text from a request (a lead's name, a note, a header, a file name) made safe to print on
/// one line of a terminal or a log: every control character, line or paragraph separator,
/// bidirectional override or isolate, and byte-order mark is written as an escape (`\n`,
/// `\r`, `\t`, or `\u{1b}` for the others); everything else is kept, quotes and backslashes
/// included. Borrowed when there is nothing to escape.
///
/// A body is written by whoever finds the webhook's URL: a lead named
/// `"Acme\u001b[2J\n[INFO] admin logged in"` must not clear the screen or forge a log line.
/// The crate's own errors escape what they quote the same way.
///
/// ```
/// use clinchpad_webhook::escape_text;
///
/// assert_eq!(escape_text("Acme Corp"), "Acme Corp");
/// assert_eq!(escape_text("Acme\u{1b}[2J\r\n[INFO] forged\u{202e}"), r"Acme\u{1b}[2J\r\n[INFO] forged\u{202e}");
/// ```
pub fn escape_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_all(&mut out, text);
    Cow::Owned(out)
}

/// `text` in double quotes, as serde quotes a string in its messages: `"` and `\` escaped,
/// every character [`needs_escape`] escaped, and cut after [`QUOTED_BYTES`] bytes.
///
/// ```text
/// quote("2024-03-05T14:07:31Z\n[INFO]") == "\"2024-03-05T14:07:31Z\\n[INFO]\""
/// ```
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(QUOTED_BYTES) + 8);
    out.push('"');
    let mut unit = String::new();
    for c in text.chars() {
        unit.clear();
        push_quoted(&mut unit, c);
        if out.len() - 1 + unit.len() > QUOTED_BYTES {
            out.push('…');
            break;
        }
        out.push_str(&unit);
    }
    out.push('"');
    out
}

/// `c` as [`quote`] writes it between its quotes.
pub(crate) fn push_quoted(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c => push_shown(out, c),
    }
}

/// A message made from text that may quote input (serde_json's, or a visitor's): the strings
/// serde quotes (`string "…"`, already escaped by `{:?}`) shortened to [`QUOTED_BYTES`]
/// bytes, any character that still [`needs_escape`] escaped, and the whole cut to
/// [`MESSAGE_MAX`] bytes.
pub(crate) fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MESSAGE_MAX + 4));
    let mut rest = message;
    while let Some(at) = rest.find("string \"") {
        let (before, quoted) = rest.split_at(at + "string \"".len());
        push_all(&mut out, before);
        rest = shorten_debug_string(&mut out, quoted);
    }
    push_all(&mut out, rest);
    cut(out, MESSAGE_MAX)
}

fn push_all(out: &mut String, text: &str) {
    text.chars().for_each(|c| push_shown(out, c));
}

/// Copies the body of a string written by `{:?}` (after its opening quote) into `out`, cut
/// after [`QUOTED_BYTES`] bytes (never inside an escape), with its closing quote; returns what
/// follows it.
fn shorten_debug_string<'a>(out: &mut String, quoted: &'a str) -> &'a str {
    let mut chars = quoted.char_indices();
    let mut shown = 0;
    let mut cut = false;
    while let Some((i, c)) = chars.next() {
        let unit_end = match c {
            '"' => {
                out.push('"');
                return &quoted[i + 1..];
            }
            // `\u{…}` runs to its brace; any other escape is two characters.
            '\\' => match chars.next() {
                Some((_, 'u')) => chars.find(|&(_, c)| c == '}').map(|(j, _)| j + 1),
                Some((j, next)) => Some(j + next.len_utf8()),
                None => None,
            }
            .unwrap_or(quoted.len()),
            c => i + c.len_utf8(),
        };
        let unit = &quoted[i..unit_end];
        if cut {
            continue;
        }
        if shown + unit.len() > QUOTED_BYTES {
            out.push('…');
            cut = true;
        } else {
            shown += unit.len();
            push_all(out, unit);
        }
    }
    ""
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` where it was cut.
pub(crate) fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_could_break_or_fake_a_line() {
        assert_eq!(quote("a\nb\r\u{1b}[31m\"\\"), r#""a\nb\r\u{1b}[31m\"\\""#);
        assert_eq!(
            quote("x\u{2028}y\u{202e}z\u{85}"),
            r#""x\u{2028}y\u{202e}z\u{85}""#
        );
        assert_eq!(quote("café"), "\"café\"");
        let long = quote(&"x".repeat(100_000));
        assert_eq!(long, format!("\"{}…\"", "x".repeat(QUOTED_BYTES)));
        // An escape is never cut in half.
        let escapes = quote(&"\u{1b}".repeat(50));
        assert_eq!(
            escapes,
            format!("\"{}…\"", "\\u{1b}".repeat(QUOTED_BYTES / 6))
        );
    }

    #[test]
    fn serde_quoted_strings_are_shortened_and_the_rest_kept() {
        let long = format!("{:?}", "y".repeat(100_000));
        let message = format!("invalid type: string {long}, expected a lead object");
        assert_eq!(
            one_line(&message),
            format!(
                "invalid type: string \"{}…\", expected a lead object",
                "y".repeat(QUOTED_BYTES)
            )
        );
        // Escapes count at their shown length and are never cut in half.
        let escapes = format!("string {:?} then", "\u{1b}".repeat(50));
        let shown = one_line(&escapes);
        assert_eq!(
            shown,
            format!("string \"{}…\" then", "\\u{1b}".repeat(QUOTED_BYTES / 6))
        );
        // Raw control characters left in a message are escaped; the whole is bounded.
        assert_eq!(one_line("bad\nline"), "bad\\nline");
        assert!(one_line(&"z".repeat(10_000)).len() <= MESSAGE_MAX);
    }

    #[test]
    fn cutting_keeps_characters_whole() {
        assert_eq!(cut("ééé".to_owned(), 5), "é…");
        assert_eq!(cut("abc".to_owned(), 3), "abc");
    }
}
