//! Keys found in a body before any of it is shown: the value of every `handshake_key` member
//! (found by scanning, so that broken bodies, the ones shown, are covered too) and the text of
//! every key the command knows, each replaced by a mask of one length, so that what is shown
//! says neither the key nor how long it is.

use std::borrow::Cow;
use std::ops::Range;

/// What a key's place in a body is shown as.
pub const MASK: &[u8] = b"***";

/// A body with its keys masked, and where its bytes moved to: a mask is not as long as what
/// it replaces, so an offset in the body (an error's column) is mapped into the masked text.
pub struct Masked {
    pub text: Vec<u8>,
    /// The ranges of the original body that were masked, in order.
    masked: Vec<Range<usize>>,
}

impl Masked {
    /// Where the byte at `offset` of the original body is in the masked text: the mask's
    /// start for a byte inside a masked range.
    pub fn offset(&self, offset: usize) -> usize {
        let mut moved = 0isize;
        for range in &self.masked {
            if offset < range.start {
                break;
            }
            if offset < range.end {
                return (range.start as isize + moved) as usize;
            }
            moved += MASK.len() as isize - range.len() as isize;
        }
        (offset as isize + moved) as usize
    }
}

/// `body` with its keys masked: see the module docs. A key spelled with JSON's escapes
/// (`\u0073...`) is found too: every string of the body whose text, its escapes read, holds a
/// key is masked whole.
pub fn mask_keys(body: &[u8], keys: &[&str]) -> Masked {
    let keys: Vec<&str> = keys.iter().copied().filter(|key| !key.is_empty()).collect();
    let mut ranges: Vec<Range<usize>> = key_values(body).into_iter().map(|v| v.range).collect();
    for key in &keys {
        let key = key.as_bytes();
        let mut at = 0;
        while let Some(found) = body[at..].windows(key.len()).position(|w| w == key) {
            let found = at + found;
            ranges.push(found..found + key.len());
            at = found + key.len();
        }
    }
    if !keys.is_empty() {
        for (range, text) in escaped_strings(body) {
            if holds(&text, &keys, 1) {
                ranges.push(range);
            }
        }
    }
    ranges.sort_by_key(|range| (range.start, std::cmp::Reverse(range.end)));
    // Overlapping ranges become one.
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges.into_iter().filter(|range| !range.is_empty()) {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    let mut text = Vec::with_capacity(body.len());
    let mut at = 0;
    for range in &merged {
        text.extend_from_slice(&body[at..range.start]);
        text.extend_from_slice(MASK);
        at = range.end;
    }
    text.extend_from_slice(&body[at..]);
    Masked {
        text,
        masked: merged,
    }
}

/// How deep a string that holds JSON is read for a key spelled with escapes inside it (a body
/// kept as a JSON string in a JSON answer, and so on).
const NESTING: usize = 4;

/// Every stretch of `body` between two unescaped quotes (and before the first and after the
/// last) that holds an escape: where its contents are, and its text with JSON's escapes read.
///
/// Taking every stretch between consecutive quotes, rather than pairing quotes from the start,
/// finds a JSON string whatever comes before it: in text that is not JSON, a stray quote would
/// otherwise pair the quotes the other way round. Escapes are read leniently (a lone surrogate
/// or an unknown escape does not stop the reading, as a lone surrogate does not stop a
/// browser's), so that no spelling a reader might take for the key's text is left unread.
pub fn escaped_strings(body: &[u8]) -> Vec<(Range<usize>, String)> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at <= body.len() {
        let end = match body.get(at) {
            Some(b'\\') => {
                at = (at + 2).min(body.len());
                continue;
            }
            Some(b'"') | None => at,
            Some(_) => {
                at += 1;
                continue;
            }
        };
        let contents = start..end.min(body.len());
        if body[contents.clone()].contains(&b'\\') {
            let text = read_escapes(&body[contents.clone()]);
            found.push((contents, text));
        }
        start = end + 1;
        at = end + 1;
    }
    found
}

/// Whether `text`, or a JSON string inside it (to [`NESTING`] deep), holds one of `keys`.
fn holds(text: &str, keys: &[&str], depth: usize) -> bool {
    keys.iter().any(|key| !key.is_empty() && text.contains(key))
        || (depth < NESTING
            && text.contains('\\')
            && escaped_strings(text.as_bytes())
                .iter()
                .any(|(_, inner)| holds(inner, keys, depth + 1)))
}

/// `text` with the contents of every JSON string that holds one of `keys` once its escapes are
/// read (`"g\u0066hkd..."`) masked whole as `***`: a reader of the JSON (a browser, a test)
/// would see the key there. Borrowed when there is nothing to mask.
pub fn mask_escaped_keys<'t>(text: &'t str, keys: &[&str]) -> Cow<'t, str> {
    if !text.contains('\\') || keys.iter().all(|key| key.is_empty()) {
        return Cow::Borrowed(text);
    }
    let masked: Vec<Range<usize>> = escaped_strings(text.as_bytes())
        .into_iter()
        .filter(|(_, read)| holds(read, keys, 1))
        .map(|(range, _)| range)
        .collect();
    if masked.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in masked {
        // Every stretch starts after a quote or at the start, and ends at a quote or at the
        // end: always on a character's boundary.
        out.push_str(&text[at..range.start]);
        out.push_str("***");
        at = range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The text of a JSON string's contents with its escapes read, leniently: a lone surrogate is
/// `U+FFFD`, an unknown escape is its character, bytes that are not UTF-8 are `U+FFFD`.
fn read_escapes(contents: &[u8]) -> String {
    let mut out = Vec::with_capacity(contents.len());
    let push = |out: &mut Vec<u8>, c: char| {
        let mut one = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut one).as_bytes());
    };
    let hex = |at: usize| -> Option<u32> {
        let digits = contents.get(at..at + 4)?;
        let digits = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let mut at = 0;
    while at < contents.len() {
        if contents[at] != b'\\' {
            out.push(contents[at]);
            at += 1;
            continue;
        }
        let Some(&escape) = contents.get(at + 1) else {
            break;
        };
        at += 2;
        match escape {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'u' => match hex(at) {
                Some(unit) => {
                    at += 4;
                    // A high surrogate and the low one after it are one character; either
                    // alone is none.
                    let low = match (0xd800..0xdc00).contains(&unit) {
                        true if contents.get(at..at + 2) == Some(&b"\\u"[..]) => hex(at + 2),
                        _ => None,
                    };
                    let code = match low {
                        Some(low) if (0xdc00..0xe000).contains(&low) => {
                            at += 6;
                            0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                        }
                        _ => unit,
                    };
                    push(&mut out, char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                None => out.push(b'u'),
            },
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `handshake_key` member's value found in a body.
pub struct KeyValue {
    /// Where the value is: a string's contents, or another value's bytes.
    pub range: Range<usize>,
    /// The value's text, decoded when it is a whole JSON string.
    pub text: String,
    /// Whether the value is a string (else a number, `null`, ...: its bytes as they are).
    pub string: bool,
}

/// The value of every member named `handshake_key` in `body`, at any depth: every string that
/// reads `handshake_key` and is followed by a `:` has the value after it taken, whatever the
/// rest of the body is.
pub fn key_values(body: &[u8]) -> Vec<KeyValue> {
    let mut values = Vec::new();
    let mut at = 0;
    while let Some(start) = body[at..].iter().position(|&b| b == b'"').map(|i| at + i) {
        let end = string_end(body, start).unwrap_or(body.len());
        if is_key_name(&body[start..end]) {
            if let Some(value) = value_after(body, end) {
                values.push(value);
            }
        }
        at = end.max(start + 1);
    }
    values
}

/// The offset just past the string that starts at `start`; `None` when the text ends first.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < text.len() {
        match text[at] {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    None
}

/// Whether the JSON string `token` (quotes included) reads `handshake_key`.
fn is_key_name(token: &[u8]) -> bool {
    token == b"\"handshake_key\""
        || (token.contains(&b'\\')
            && serde_json::from_slice::<String>(token).is_ok_and(|name| name == "handshake_key"))
}

/// The value after `: ` from `at`, if a `:` comes next: a string's contents, or the bytes of
/// any other value up to a delimiter.
fn value_after(text: &[u8], mut at: usize) -> Option<KeyValue> {
    let skip = |at: &mut usize| {
        while text.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    skip(&mut at);
    if text.get(at) != Some(&b':') {
        return None;
    }
    at += 1;
    skip(&mut at);
    match text.get(at)? {
        // A string's contents, to its end or to the end of a body cut short.
        b'"' => {
            let end = string_end(text, at);
            let range = at + 1..end.map_or(text.len(), |end| end - 1);
            let decoded = end.and_then(|end| serde_json::from_slice::<String>(&text[at..end]).ok());
            let text =
                decoded.unwrap_or_else(|| String::from_utf8_lossy(&text[range.clone()]).into());
            Some(KeyValue {
                range,
                text,
                string: true,
            })
        }
        _ => {
            let end = text[at..]
                .iter()
                .position(|b| b",}]\r\n".contains(b))
                .map_or(text.len(), |i| at + i);
            Some(KeyValue {
                range: at..end,
                text: String::from_utf8_lossy(&text[at..end]).trim().to_owned(),
                string: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(body: &str, keys: &[&str]) -> String {
        String::from_utf8(mask_keys(body.as_bytes(), keys).text).unwrap()
    }

    #[test]
    fn every_key_value_is_masked_whatever_its_length() {
        assert_eq!(
            masked(r#"{"a": [], "handshake_key": "s3cr3t"}"#, &[]),
            r#"{"a": [], "handshake_key": "***"}"#
        );
        assert_eq!(
            masked(r#"{"handshake_key": "a-much-longer-key-than-that"}"#, &[]),
            r#"{"handshake_key": "***"}"#
        );
        assert_eq!(
            masked(r#"{"handshake\u005fkey" : 12345, "x": 1}"#, &[]),
            r#"{"handshake\u005fkey" : ***, "x": 1}"#
        );
        assert_eq!(
            masked(r#"{"handshake_key": "s3c\"r3t"#, &[]),
            r#"{"handshake_key": "***"#
        );
        assert_eq!(
            masked(r#"{"note": "my key is s3cr3t"}"#, &["s3cr3t"]),
            r#"{"note": "my key is ***"}"#
        );
        // A value named so, not a key: left alone.
        assert_eq!(
            masked(r#"{"name": "handshake_key"}"#, &[]),
            r#"{"name": "handshake_key"}"#
        );
    }

    #[test]
    fn a_key_spelled_with_escapes_is_masked_with_its_string() {
        assert_eq!(
            masked(
                r#"{"note": "\u0073\u0033cr3t", "x": "\u00e9"}"#,
                &["s3cr3t"]
            ),
            r#"{"note": "***", "x": "\u00e9"}"#
        );
        assert_eq!(
            masked(r#"{"note": "k\u0065y"#, &["key"]),
            r#"{"note": "***"#
        );
    }

    #[test]
    fn offsets_move_with_the_masks() {
        let body = r#"{"handshake_key": "0123456789", "x": 1}"#;
        let masked = mask_keys(body.as_bytes(), &[]);
        let x = body.find("\"x\"").unwrap();
        assert_eq!(&masked.text[masked.offset(x)..][..3], b"\"x\"");
        // Inside the mask: its start.
        let inside = body.find('5').unwrap();
        assert_eq!(&masked.text[masked.offset(inside)..][..3], MASK);
        assert_eq!(masked.offset(0), 0);
    }

    #[test]
    fn key_values_are_read_decoded() {
        let values = key_values(br#"{"handshake_key": "a\"b", "x": {"handshake_key": 12}}"#);
        let texts: Vec<&str> = values.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(texts, ["a\"b", "12"]);
    }
}
