//! The capture `listen --save` writes and `replay` reads: one request per line, as JSON, with
//! no key in it; and the key put back in a body or query for sending.

use chrono::{DateTime, Utc};
use clinchpad_webhook::{strip_handshake_key, strip_handshake_key_from_query};
use serde::{Deserialize, Serialize};

use crate::KeyIn;

/// One request as `listen --save` keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    pub received_at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    /// The query string without its `handshake_key` parameters.
    pub query: String,
    /// The body as text (invalid UTF-8 replaced), without its key; `None` when it was not
    /// read (over the limit, or not a POST) or not kept (see `body_withheld`).
    pub body: Option<String>,
    /// The body's length in bytes, as read or as declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_length: Option<u64>,
    /// Why the body is not kept, when it was read but could not be kept without its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_withheld: Option<String>,
    /// Where the request carried a key, and whether it matched; never the key itself.
    pub key: KeySeen,
    /// `accepted`, `refused`, or `ignored` (not a POST to the path).
    pub verdict: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<Forwarded>,
}

impl Record {
    /// Whether the request failed: refused here, or not answered 2xx by the app behind it.
    pub fn failed(&self) -> bool {
        !(200..300).contains(&self.status)
            || self
                .forwarded
                .as_ref()
                .is_some_and(|f| !f.status.is_some_and(|s| (200..300).contains(&s)))
    }
}

/// Where a request carried the key and what the check said, without the key.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct KeySeen {
    pub in_body: bool,
    pub in_query: bool,
    pub check: KeyCheck,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCheck {
    /// The key matched.
    Matched,
    /// A copy did not match.
    Wrong,
    /// A key was expected and there was none.
    Missing,
    /// The key was not looked at (an unverified receiver, or a body refused first).
    #[default]
    Unchecked,
}

/// What the app behind `--forward-to` answered.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forwarded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
}

/// The query without its key.
pub fn query_to_keep(query: &str) -> String {
    strip_handshake_key_from_query(query).into_owned()
}

/// The body to keep, or why it is not kept: without its `handshake_key` members, and only if
/// none of the configured keys is left anywhere in it. A body that is not one JSON object
/// (which cannot be told apart into members) is kept as it came only if it does not mention
/// a handshake key at all.
pub fn body_to_keep(body: &[u8], keys: &[&str]) -> Result<String, String> {
    let kept = match strip_handshake_key(body) {
        Some(kept) => kept,
        None if contains(body, b"handshake") || contains(body, b"\\u") => {
            return Err("not a JSON object whose key could be removed".to_owned())
        }
        None => body.to_vec(),
    };
    if keys.iter().any(|key| contains(&kept, key.as_bytes())) {
        return Err("a configured key appears in it outside `handshake_key`".to_owned());
    }
    Ok(String::from_utf8_lossy(&kept).into_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// `body` and `query` with the key `key` put where `place` says, and any other copy removed.
/// `None` for `key` leaves both as they are. A body that is not one JSON object cannot take a
/// body key: it is sent as it is, and the key goes in the query instead.
pub fn with_key(body: &[u8], query: &str, key: Option<&str>, place: Places) -> (Vec<u8>, String) {
    let Some(key) = key else {
        return (body.to_vec(), query.to_owned());
    };
    let mut query = query_to_keep(query);
    let mut body_out = body.to_vec();
    let mut in_query = place.query;
    if place.body {
        match strip_handshake_key(body).and_then(|stripped| insert_key(&stripped, key)) {
            Some(signed) => body_out = signed,
            None => in_query = true,
        }
    } else if let Some(stripped) = strip_handshake_key(body) {
        body_out = stripped;
    }
    if in_query {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("handshake_key=");
        query.push_str(&percent_encode(key));
    }
    (body_out, query)
}

/// Where a key goes.
#[derive(Debug, Clone, Copy)]
pub struct Places {
    pub body: bool,
    pub query: bool,
}

impl From<KeyIn> for Places {
    fn from(key_in: KeyIn) -> Self {
        Places {
            body: key_in == KeyIn::Body,
            query: key_in == KeyIn::Query,
        }
    }
}

/// `"handshake_key": key` added as the last member of the object `body` (which has none).
fn insert_key(body: &[u8], key: &str) -> Option<Vec<u8>> {
    let close = body.iter().rposition(|&b| b == b'}')?;
    let before = body[..close]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    let member = format!("\"handshake_key\":{}", serde_json::to_string(key).ok()?);
    let mut out = body[..=before].to_vec();
    if body[before] != b'{' {
        out.push(b',');
    }
    out.extend_from_slice(member.as_bytes());
    out.extend_from_slice(&body[before + 1..]);
    Some(out)
}

/// `text` as a form value: unreserved characters as they are, every other byte as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Places = Places {
        body: true,
        query: true,
    };

    #[test]
    fn the_key_goes_where_it_is_asked_for_and_nowhere_else() {
        let body = br#"{"a": 1, "handshake_key": "old"}"#;
        let (signed, query) = with_key(
            body,
            "x=1&handshake_key=old",
            Some("n w&"),
            KeyIn::Body.into(),
        );
        assert_eq!(signed, br#"{"a": 1,"handshake_key":"n w&"}"#);
        assert_eq!(query, "x=1");
        let (signed, query) = with_key(body, "", Some("n w&"), KeyIn::Query.into());
        assert_eq!(signed, br#"{"a": 1}"#);
        assert_eq!(query, "handshake_key=n%20w%26");
        let (signed, query) = with_key(b"{ }", "", Some("k"), BOTH);
        assert_eq!(
            (signed.as_slice(), query.as_str()),
            (&br#"{"handshake_key":"k" }"#[..], "handshake_key=k")
        );
        // Not an object: the body as it is, the key in the query.
        let (sent, query) = with_key(b"nope", "", Some("k"), KeyIn::Body.into());
        assert_eq!(
            (sent.as_slice(), query.as_str()),
            (&b"nope"[..], "handshake_key=k")
        );
        // No key: nothing changes.
        assert_eq!(
            with_key(body, "q", None, BOTH),
            (body.to_vec(), "q".to_owned())
        );
    }

    #[test]
    fn a_kept_body_holds_no_key() {
        let body = br#"{"a": 1, "handshake_key": "s3cr3t-k3y"}"#;
        assert_eq!(body_to_keep(body, &["s3cr3t-k3y"]).unwrap(), r#"{"a": 1}"#);
        let elsewhere = br#"{"note": "the key is s3cr3t-k3y", "handshake_key": "s3cr3t-k3y"}"#;
        assert!(body_to_keep(elsewhere, &["s3cr3t-k3y"]).is_err());
        assert!(body_to_keep(br#"{"handshake_key": "k", "lead": "#, &[]).is_err());
        assert_eq!(body_to_keep(b"not json", &[]).unwrap(), "not json");
    }
}
