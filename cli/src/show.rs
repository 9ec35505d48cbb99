//! How a payload and an error are shown to people: a payload's one-line gist and its fields,
//! and an error with the offending line and a caret under its column.

use std::fmt::Write as _;

use clinchpad_webhook::{escape_text, ActivityKind, Error, Payload};
use serde_json::Value;

use crate::mask::mask_keys;
use crate::output::{shown, shown_short};

/// One line: the type, the lead, the type's fields, and who did it.
///
/// `lead:moved  Acme Corp  old_stage_name="Contact Made" new_stage_name="Offer"  by Dana`
pub fn gist(payload: &Payload) -> String {
    let activity = &payload.activity;
    let mut line = format!(
        "{}  {}",
        shown(activity.kind.type_name()),
        shown_short(&payload.lead.name, 40)
    );
    let fields: Vec<String> = fields(&activity.kind)
        .into_iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                shown_short(&name, 40),
                shown_short(&value.to_string(), 40)
            )
        })
        .collect();
    if !fields.is_empty() {
        let _ = write!(line, "  {}", fields.join(" "));
    }
    if let Some(user) = &activity.user {
        let _ = write!(line, "  by {}", shown_short(&user.name, 30));
    }
    line
}

/// Several lines: the time, type, lead, stage and pipe, user, the type's fields, and the
/// unknown fields, flagged. Never the key.
pub fn summary(payload: &Payload) -> String {
    let (activity, lead) = (&payload.activity, &payload.lead);
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
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
    for (name, value) in fields(&activity.kind) {
        let _ = writeln!(out, "  {}: {}", shown(&name), shown(&value.to_string()));
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

/// The kind's fields, in the documentation's order (as received for an unknown type).
fn fields(kind: &ActivityKind) -> Vec<(String, Value)> {
    // The kind serializes as {"type": ..., fields...}.
    let Ok(Value::Object(mut all)) = serde_json::to_value(kind) else {
        return Vec::new();
    };
    all.remove("type");
    let mut ordered = Vec::new();
    for name in kind
        .activity_type()
        .map(|t| t.field_names())
        .unwrap_or_default()
    {
        if let Some(value) = all.remove(*name) {
            ordered.push(((*name).to_owned(), value));
        }
    }
    ordered.extend(all);
    ordered
}

/// Characters of a line shown around an error's column: a one-line payload (what ClinchPad
/// sends, and what a capture of one payload per line holds) can be kilobytes long.
const WINDOW: usize = 100;

/// The line of `body` an error is on, or a window of it around the error's column with `…`
/// where it is cut, then a caret under the column; each line starts with `indent` and the
/// line's number in the input (`first_line` is the input's line of the body's first). The
/// body's keys (its `handshake_key` values, and the text of each of `keys`) are masked with a
/// mask of one length, and the caret moved with what it points at.
pub fn caret(body: &[u8], keys: &[&str], err: &Error, first_line: usize, indent: &str) -> String {
    let (Some(line), Some(column)) = (err.line(), err.column()) else {
        return String::new();
    };
    let Some(line_start) = nth_line_start(body, line) else {
        return String::new();
    };
    let masked = mask_keys(body, keys);
    let at = masked.offset((line_start + column.max(1) - 1).min(body.len()));
    let text = &masked.text;
    let start = text[..at.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| start + i);
    let text = String::from_utf8_lossy(&text[start..end]);
    let (shown, pad) = window(text.trim_end_matches('\r'), at - start + 1);
    let gutter = (first_line + line).to_string();
    format!(
        "{indent}{gutter} | {shown}\n{indent}{} | {pad}^\n",
        " ".repeat(gutter.len())
    )
}

/// The offset of the start of the one-based line `line` of `body`.
fn nth_line_start(body: &[u8], line: usize) -> Option<usize> {
    if line <= 1 {
        return Some(0);
    }
    body.iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(line - 2)
        .map(|(i, _)| i + 1)
}

/// The part of `line` to show, at most [`WINDOW`] characters around the byte `column`
/// (one-based), with `…` where it is cut and control characters escaped; and the padding that
/// puts a caret under the column.
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
    let mut one = [0; 4];
    for (i, &(_, c)) in chars[start..end].iter().enumerate() {
        let unit = escape_text(c.encode_utf8(&mut one));
        if start + i < caret {
            pad.extend(std::iter::repeat(' ').take(unit.chars().count()));
        }
        shown.push_str(&unit);
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, pad)
}

/// An error in one line, without its position when `positioned` (the caller shows it).
pub fn error_line(err: &Error, positioned: bool) -> String {
    if !positioned {
        return err.to_string();
    }
    match err {
        Error::InvalidPayload { path, message, .. } if path.is_empty() => {
            format!("invalid payload: {message}")
        }
        Error::InvalidPayload { path, message, .. } => {
            format!("invalid payload at `{}`: {message}", shown_short(path, 100))
        }
        Error::NotJson { message, .. } => format!("body is not JSON: {message}"),
        other => other.to_string(),
    }
}

/// An error as one JSON object: its kind, message, and where.
pub fn error_json(err: &Error) -> Value {
    let kind = match err {
        Error::NotJson { .. } => "not_json",
        Error::InvalidPayload { .. } => "invalid_payload",
        Error::MissingKey => "missing_key",
        Error::WrongKey => "wrong_key",
        Error::EmptyExpectedKey | Error::KeyNotConfigured { .. } => "key_not_configured",
        _ => "other",
    };
    serde_json::json!({
        "kind": kind,
        "message": err.to_string(),
        "path": err.path(),
        "line": err.line(),
        "column": err.column(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_as_a_window_with_the_caret_under_the_column() {
        let line = format!("{}X{}", "a".repeat(300), "b".repeat(300));
        let (shown, pad) = window(&line, 301);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(pad.len()), Some('X'));
        let (shown, pad) = window("ab\u{1b}X", 4);
        assert_eq!(shown, "ab\\u{1b}X");
        assert_eq!(pad.len(), "ab\\u{1b}".len());
    }
}
