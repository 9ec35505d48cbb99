//! The path of a value in the body, as [`Error::path`](crate::Error::path) writes it.
//!
//! The syntax, defined here once:
//!
//! - a key that is an identifier (`[A-Za-z_][A-Za-z0-9_]*`) is written bare, after a `.`
//!   unless it starts the path: `activity.created_at`, `lead.stage._id`;
//! - any other key is written in brackets as a JSON string, with JSON's escapes and `\u`
//!   escapes for every character a line could be broken or reordered by:
//!   `lead.extra["a.b"]`, `lead["x[0]"]`, `lead[""]`, `lead["say \"hi\""]`;
//! - an array element is written as its zero-based index in brackets: `lead.extra[3].x`;
//! - the top-level value itself is the empty path.
//!
//! Bare keys, quoted keys and indices cannot be mistaken for each other, and the escaping is
//! one-to-one, so two different places never have the same path.

use std::fmt::Write as _;

use crate::text::escape::needs_escape;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// The value of this key of an object.
    Key(Box<str>),
    /// The element at this index of an array.
    Index(usize),
}

/// Writes `segments`, outermost first, in the syntax of the module docs.
pub(crate) fn write_path<'a>(segments: impl IntoIterator<Item = &'a Segment>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(key) if is_identifier(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Key(key) => {
                out.push('[');
                push_json_string(&mut out, key);
                out.push(']');
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `text` as a JSON string literal: `"` and `\` escaped, `\n`, `\r`, `\t`, and `\uXXXX` (as
/// surrogate pairs above the Basic Multilingual Plane) for every character that
/// [`needs_escape`].
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segments: &[Segment]) -> String {
        write_path(segments)
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn identifiers_are_bare_and_indices_bracketed() {
        assert_eq!(path(&[]), "");
        assert_eq!(
            path(&[key("lead"), key("stage"), key("_id")]),
            "lead.stage._id"
        );
        assert_eq!(
            path(&[key("lead"), key("extra"), Segment::Index(3), key("x")]),
            "lead.extra[3].x"
        );
    }

    #[test]
    fn other_keys_are_json_strings_and_never_collide() {
        let cases = [
            (vec![key("lead"), key("a.b")], r#"lead["a.b"]"#),
            (vec![key("lead"), key("a"), key("b")], "lead.a.b"),
            (vec![key("lead"), key("3")], r#"lead["3"]"#),
            (vec![key("lead"), Segment::Index(3)], "lead[3]"),
            (vec![key("lead"), key("[3]")], r#"lead["[3]"]"#),
            (vec![key("lead"), key("")], r#"lead[""]"#),
            (vec![key("lead"), key("x\"]")], r#"lead["x\"]"]"#),
            (
                vec![key("lead"), key("a\nb\u{1b}")],
                r#"lead["a\nb\u001b"]"#,
            ),
            (vec![key("lead"), key("\u{2028}")], r#"lead["\u2028"]"#),
            (vec![key("lead"), key("ü-1")], r#"lead["ü-1"]"#),
        ];
        let mut seen = std::collections::HashSet::new();
        for (segments, want) in cases {
            let written = path(&segments);
            assert_eq!(written, want);
            assert!(seen.insert(written), "{want} written twice");
            // A quoted key reads back with a JSON parser.
            if let Some(Segment::Key(last)) = segments.last() {
                if let Some(quoted) = want.strip_prefix("lead[").and_then(|q| q.strip_suffix(']')) {
                    assert_eq!(serde_json::from_str::<String>(quoted).unwrap(), **last);
                }
            }
        }
    }
}
