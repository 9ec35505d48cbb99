//! Finding the value (or repeated key) an error is about, by walking the body along the
//! failure's path. Only on the error path.
//!
//! `serde_json` reports where it stopped reading: after a wrong value, or at the end of the
//! activity for a per-type field checked once the type is known. The walk finds where the value
//! starts instead. It reads the body as a stream, from the start up to the place, so bytes
//! after it (trailing garbage, a lead cut short) do not matter; and it follows the first copy
//! of each key, which is the one the readers were in when they failed: a second copy is refused
//! at its key, before its value is read.

use crate::error::{Failure, Spot};
use crate::read::scan::Scanner;
use crate::text::path::Segment;

/// Byte offset in `text` of the value `failure` is about, or of its repeated key.
pub(crate) fn locate(text: &str, failure: &Failure) -> Option<usize> {
    let segments: Vec<&Segment> = failure.segments().collect();
    locate_path(text, &segments, failure.spot == Spot::RepeatedKey)
}

/// Byte offset in `text` of the value at `segments` (outermost first), or with `repeated`, of
/// the second copy of the last key.
pub(crate) fn locate_path(text: &str, segments: &[&Segment], repeated: bool) -> Option<usize> {
    let mut scan = Scanner::new(text.as_bytes());
    let (last, path) = segments.split_last()?;
    scan.whitespace();
    for segment in path {
        enter(&mut scan, segment, false)?;
    }
    enter(&mut scan, last, repeated)
}

/// Steps into the value at `segment` of the value that starts at `scan`'s position, and
/// returns its offset; with `repeated`, the offset of the second copy of the key instead.
fn enter(scan: &mut Scanner<'_>, segment: &Segment, repeated: bool) -> Option<usize> {
    match segment {
        Segment::Key(wanted) => {
            scan.expect(b'{')?;
            let mut seen = false;
            loop {
                scan.whitespace();
                let key_at = scan.at;
                let key = scan.string()?;
                scan.expect(b':')?;
                scan.whitespace();
                if key == **wanted {
                    if !repeated {
                        return Some(scan.at);
                    }
                    if seen {
                        return Some(key_at);
                    }
                    seen = true;
                }
                scan.skip_value()?;
                scan.expect(b',')?;
            }
        }
        Segment::Index(index) => {
            scan.expect(b'[')?;
            for _ in 0..*index {
                scan.whitespace();
                scan.skip_value()?;
                scan.expect(b',')?;
            }
            scan.whitespace();
            Some(scan.at)
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
        track.take_failure().unwrap()
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
