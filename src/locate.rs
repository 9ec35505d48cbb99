//! Finding the value (or repeated key) an error is about, by walking the body along the
//! failure's path. Only on the error path.
//!
//! `serde_json` reports where it stopped reading: after a wrong value, or at the end of the
//! activity for a per-type field checked once the type is known. The walk finds where the value
//! starts instead. It reads the body as a stream, from the start up to the place, so bytes
//! after it (trailing garbage, a lead cut short) do not matter; and it follows the first copy
//! of each key, which is the one the readers were in when they failed: a second copy is refused
//! at its key, before its value is read.

use std::borrow::Cow;

use crate::error::{Failure, Spot};
use crate::path::Segment;

/// Byte offset in `text` of the value `failure` is about, or of its repeated key.
pub(crate) fn locate(text: &str, failure: &Failure) -> Option<usize> {
    let segments: Vec<&Segment> = failure.segments().collect();
    locate_path(text, &segments, failure.spot == Spot::RepeatedKey)
}

/// Byte offset in `text` of the value at `segments` (outermost first), or with `repeated`, of
/// the second copy of the last key.
pub(crate) fn locate_path(text: &str, segments: &[&Segment], repeated: bool) -> Option<usize> {
    let mut walk = Walk {
        bytes: text.as_bytes(),
        at: 0,
    };
    let (last, path) = segments.split_last()?;
    walk.whitespace();
    for segment in path {
        walk.enter(segment, false)?;
    }
    walk.enter(last, repeated)
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Walk<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.whitespace();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Steps into the value at `segment` of the value that starts here, and returns its offset;
    /// with `repeated`, the offset of the second copy of the key instead.
    fn enter(&mut self, segment: &Segment, repeated: bool) -> Option<usize> {
        match segment {
            Segment::Key(wanted) => {
                self.expect(b'{')?;
                let mut seen = false;
                loop {
                    self.whitespace();
                    let key_at = self.at;
                    let key = self.string()?;
                    self.expect(b':')?;
                    self.whitespace();
                    if key == **wanted {
                        if !repeated {
                            return Some(self.at);
                        }
                        if seen {
                            return Some(key_at);
                        }
                        seen = true;
                    }
                    self.skip_value()?;
                    self.expect(b',')?;
                }
            }
            Segment::Index(index) => {
                self.expect(b'[')?;
                for _ in 0..*index {
                    self.whitespace();
                    self.skip_value()?;
                    self.expect(b',')?;
                }
                self.whitespace();
                Some(self.at)
            }
        }
    }

    /// Reads a string here, unescaped, and steps past it.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        self.skip_string()?;
        let bytes: &'a [u8] = self.bytes;
        let raw = std::str::from_utf8(&bytes[start..self.at]).ok()?;
        let inner = &raw[1..raw.len() - 1];
        if inner.contains('\\') {
            serde_json::from_str(raw).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// Steps past the string that starts here.
    fn skip_string(&mut self) -> Option<()> {
        (self.peek()? == b'"').then_some(())?;
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
    }

    /// Steps past the value that starts here, without recursion.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            // A number or a literal: up to the next delimiter.
            _ => {
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.at += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(segments: &[Segment], spot: Spot) -> Failure {
        let track = crate::error::Track::default();
        let (last, rest) = segments.split_last().unwrap();
        let Segment::Key(key) = last else {
            panic!("last segment must be a key here")
        };
        track.fail(key, spot);
        for segment in rest.iter().rev() {
            track.value_failed(segment.clone());
        }
        track.into_failure().unwrap()
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    fn at<'a>(text: &'a str, segments: &[Segment], spot: Spot) -> Option<&'a str> {
        locate(text, &failure(segments, spot)).map(|offset| &text[offset..])
    }

    #[test]
    fn finds_the_value_through_objects_and_arrays() {
        let text = r#" {"a": [1, "x,]}", {"b": -1.5e3, "c": {"d": true}}], "e": null}"#;
        assert_eq!(
            at(
                text,
                &[key("a"), Segment::Index(2), key("c"), key("d")],
                Spot::Value
            ),
            Some("true}}], \"e\": null}")
        );
        assert_eq!(at(text, &[key("e")], Spot::Value), Some("null}"));
        assert_eq!(
            at(text, &[key("a"), Segment::Index(2), key("b")], Spot::Value),
            Some("-1.5e3, \"c\": {\"d\": true}}], \"e\": null}")
        );
        assert_eq!(at(text, &[key("missing")], Spot::Value), None);
    }

    #[test]
    fn follows_the_first_copy_and_finds_the_second_key() {
        let text = "{\"lead\": {\"_id\": 5},\n \"lead\": {\"_id\": \"x\"}}";
        assert_eq!(
            at(text, &[key("lead"), key("_id")], Spot::Value),
            Some("5},\n \"lead\": {\"_id\": \"x\"}}")
        );
        assert_eq!(
            at(text, &[key("lead")], Spot::RepeatedKey),
            Some("\"lead\": {\"_id\": \"x\"}}")
        );
        // Keys compare unescaped.
        let text = r#"{"_id": 1, "\u005fid": 2}"#;
        assert_eq!(
            at(text, &[key("_id")], Spot::RepeatedKey),
            Some(r#""\u005fid": 2}"#)
        );
    }

    #[test]
    fn what_follows_the_place_does_not_matter() {
        let text = r#"{"activity": {"old_stage_name": 5, "type": "lead:moved"}} trailing"#;
        assert_eq!(
            at(text, &[key("activity"), key("old_stage_name")], Spot::Value),
            Some("5, \"type\": \"lead:moved\"}} trailing")
        );
        let cut = r#"{"activity": {"x": [{"y": 1}], "old_stage_name": 5}, "lead": {"_id": "#;
        assert!(at(cut, &[key("activity"), key("old_stage_name")], Spot::Value).is_some());
    }
}
