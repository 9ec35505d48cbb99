//! [`strip_handshake_key`] and [`strip_handshake_key_from_query`]: a raw body or query string,
//! kept as it came, without its key.

use std::borrow::Cow;

use super::handshake::KEY_FIELD;
use crate::read::scan::Scanner;

/// The body of a delivery with every `handshake_key` member of its top-level object removed,
/// and every other byte exactly as it came: for keeping raw bodies (an audit log, a capture to
/// replay, a copy to forward) without the secret in them.
///
/// The members are told apart by scanning the text, so a key spelled with escapes
/// (`"handshake\u005fkey"`) or repeated is removed too, and the other members' bytes,
/// whitespace included, are untouched. `None` when the body is not one JSON object that can be
/// scanned to its end (not JSON, cut short, a bare value): the key may then be anywhere in it,
/// so keep the parsed payload ([`Payload::without_handshake_key`](crate::Payload::without_handshake_key))
/// or nothing instead.
///
/// ```
/// use clinchpad_webhook::strip_handshake_key;
///
/// let body = br#"{"activity": {"_id": "a1"}, "handshake_key": "gfhkd1asfsa", "lead": {"_id": "l1"}}"#;
/// let kept = strip_handshake_key(body).unwrap();
/// assert_eq!(kept, br#"{"activity": {"_id": "a1"}, "lead": {"_id": "l1"}}"#);
///
/// assert_eq!(strip_handshake_key(br#"{"handshake_key": "k"}"#).unwrap(), b"{}");
/// assert_eq!(strip_handshake_key(br#"{"handshake_key": "k", "lead": "#), None);
/// ```
pub fn strip_handshake_key(body: &[u8]) -> Option<Vec<u8>> {
    let members = members(body)?;
    let (Some(first), Some(last)) = (members.first(), members.last()) else {
        return Some(body.to_vec());
    };
    // The object's opening, the kept members joined by the separator that followed each in
    // the body, and the object's closing.
    let mut kept = body[..first.start].to_vec();
    let mut previous: Option<usize> = None;
    for (i, member) in members.iter().enumerate().filter(|(_, m)| !m.is_key) {
        if let Some(p) = previous {
            kept.extend_from_slice(&body[members[p].end..members[p + 1].start]);
        }
        kept.extend_from_slice(&body[member.start..member.end]);
        previous = Some(i);
    }
    kept.extend_from_slice(&body[last.end..]);
    Some(kept)
}

/// A request's query string (without the `?`) with every `handshake_key` parameter removed,
/// and every other one exactly as it came: for logging or keeping the request's URL. A
/// parameter's name is compared decoded, as the [`Receiver`](crate::Receiver) reads it, so
/// `handshake%5Fkey` goes too.
///
/// ```
/// use clinchpad_webhook::strip_handshake_key_from_query;
///
/// assert_eq!(strip_handshake_key_from_query("source=crm&handshake_key=gfhkd1asfsa"), "source=crm");
/// assert_eq!(strip_handshake_key_from_query("handshake%5Fkey=k&a=1&b=%20"), "a=1&b=%20");
/// assert_eq!(strip_handshake_key_from_query("a=1"), "a=1");
/// ```
pub fn strip_handshake_key_from_query(query: &str) -> Cow<'_, str> {
    if crate::read::query::values(query, KEY_FIELD)
        .next()
        .is_none()
    {
        return Cow::Borrowed(query);
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && crate::read::query::values(pair, KEY_FIELD).next().is_none()
        })
        .collect();
    Cow::Owned(kept.join("&"))
}

/// Where one member of the top-level object is: from its key's opening quote to the end of
/// its value.
struct Member {
    start: usize,
    end: usize,
    is_key: bool,
}

/// The members of the body's top-level object, or `None` when the body is not one object.
fn members(body: &[u8]) -> Option<Vec<Member>> {
    let mut scan = Scanner::new(body);
    scan.expect(b'{')?;
    let mut members = Vec::new();
    scan.whitespace();
    if scan.peek()? == b'}' {
        scan.at += 1;
    } else {
        loop {
            scan.whitespace();
            let start = scan.at;
            let key = scan.string()?;
            scan.expect(b':')?;
            scan.whitespace();
            scan.skip_value()?;
            members.push(Member {
                start,
                end: scan.at,
                is_key: key == "handshake_key",
            });
            scan.whitespace();
            match scan.peek()? {
                b',' => scan.at += 1,
                b'}' => {
                    scan.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    scan.whitespace();
    (scan.at == body.len()).then_some(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(body: &str) -> Option<String> {
        strip_handshake_key(body.as_bytes()).map(|kept| String::from_utf8(kept).unwrap())
    }

    #[test]
    fn every_copy_of_the_key_goes_and_nothing_else_moves() {
        for (body, kept) in [
            (r#"{"handshake_key": "k", "a": 1}"#, r#"{"a": 1}"#),
            (r#"{"a": 1, "handshake_key": "k"}"#, r#"{"a": 1}"#),
            (
                r#"{"a": 1, "handshake_key": "k", "b": 2}"#,
                r#"{"a": 1, "b": 2}"#,
            ),
            (r#"{"handshake_key": "k"}"#, "{}"),
            (r#" { "handshake_key" : "k" } "#, " {  } "),
            (
                r#"{"handshake_key": "k", "handshake\u005fkey": "j", "a": [1, {"handshake_key": 2}]}"#,
                r#"{"a": [1, {"handshake_key": 2}]}"#,
            ),
            (
                r#"{"a": 1, "handshake_key": "k", "handshake_key": "j"}"#,
                r#"{"a": 1}"#,
            ),
            (
                "{\n  \"a\": \"}\",\n  \"handshake_key\": \"k\"\n}\n",
                "{\n  \"a\": \"}\"\n}\n",
            ),
            (r#"{"a": 1}"#, r#"{"a": 1}"#),
            ("{}", "{}"),
        ] {
            assert_eq!(strip(body).as_deref(), Some(kept), "{body}");
        }
    }

    #[test]
    fn a_body_that_is_not_one_object_is_not_stripped() {
        for body in [
            "",
            "[]",
            "\"k\"",
            "{",
            r#"{"handshake_key": "k""#,
            r#"{"handshake_key": "k"} x"#,
            r#"{"a" 1}"#,
            r#"{"a": 1,}"#,
            r#"{"a": }"#,
        ] {
            assert_eq!(strip(body), None, "{body}");
        }
    }
}
