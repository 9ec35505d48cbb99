//! The capture `listen --save` writes and `replay` reads: one request per line, as JSON, with
//! no key in it; and the key put back in a body or query for sending.

use chrono::{DateTime, Utc};
use clinchpad_webhook::{strip_handshake_key, strip_handshake_key_from_query, HandshakeKey};
use serde::{Deserialize, Serialize};

use crate::mask::key_values;
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
    /// The length in bytes of the body as read (before its key was removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_length: Option<u64>,
    /// The length the request's head declared (`Content-Length`) for a body that was not
    /// read: whatever the sender wrote there, so never trusted for more than a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_length: Option<u64>,
    /// Why the body is not kept, when it was read but could not be kept without its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_withheld: Option<String>,
    /// Where the request carried a key, and whether it matched; never the key itself.
    pub key: KeySeen,
    /// `accepted`, `drifted` (accepted, not fitting the documentation: see `error`),
    /// `refused`, `ignored` (not a POST to the path), `unstored` (the inbox could not store
    /// it: answered 503), or `dropped` (not answered: `listen` stopped first).
    pub verdict: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<Forwarded>,
    /// What the inbox said (`--store`): stored now, stored before, or stored as a conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<Stored>,
    /// The request's headers as they came, in order, but for the value of any that holds a
    /// configured key, which is `***`: what a sender really sends, for reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// For a delivery read from the inbox (`--store`) rather than seen: where it is in its
    /// processing, as the inbox said when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<InboxRow>,
}

/// A delivery's place in the inbox: its state, attempts and last error, whether it conflicts
/// with one stored before under its id, and whether its key was checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxRow {
    /// `pending`, `running`, `done` or `dead`.
    pub state: String,
    pub attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The key of the delivery it conflicts with (the same id, another body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_of: Option<String>,
    /// Whether the receiver that stored it checked its key; `None` when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
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

impl KeySeen {
    /// Where the request had its key, in words.
    pub fn places(&self) -> &'static str {
        match (self.in_body, self.in_query) {
            (true, true) => "key in the body and the query",
            (true, false) => "key in the body",
            (false, true) => "key in the query",
            (false, false) => "no key",
        }
    }
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
    /// The key was not looked at: no key was configured, or the body was never read (over
    /// the limit). A body refused for something else while a key is configured has its key
    /// copies checked all the same. Also a delivery read back from an inbox, which keeps no
    /// trace of its key.
    #[default]
    Unchecked,
}

impl KeyCheck {
    /// What the check said, in words.
    pub fn sentence(self) -> &'static str {
        match self {
            KeyCheck::Matched => "matched",
            KeyCheck::Wrong => "did NOT match",
            KeyCheck::Missing => "missing",
            KeyCheck::Unchecked => "not checked",
        }
    }
}

/// What the app behind `--forward-to` answered.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forwarded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
    /// The start of the app's answer, as text (at most [`ANSWER_KEPT`] bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// How much of an app's answer is kept.
pub const ANSWER_KEPT: usize = 64 * 1024;

/// What the inbox said of a delivery `listen --store` stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    /// Stored now.
    New,
    /// Stored before: a delivery sent again.
    Duplicate,
    /// Stored beside one with the same id and another body, flagged as conflicting with it.
    Conflict,
}

/// How the web view's session cookies are named (the view's port follows): a browser sends a
/// cookie of 127.0.0.1 to every port of it, the receiver's too, where its value is masked.
pub const VIEW_COOKIE: &str = "clinchpad_view_";

/// The headers to keep: each as it came (invalid UTF-8 replaced), with `***` for the value
/// of one whose name or value holds one of `keys`, and for the value of a web view's session
/// cookie in a `Cookie` header.
pub fn headers_to_keep<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    keys: &[&str],
) -> Vec<(String, String)> {
    let holds = |text: &str| {
        keys.iter()
            .any(|key| contains(text.as_bytes(), key.as_bytes()))
    };
    headers
        .into_iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value);
            let kept = if holds(name) || holds(&value) {
                "***".to_owned()
            } else if name.eq_ignore_ascii_case("cookie") && value.contains(VIEW_COOKIE) {
                without_view_sessions(&value)
            } else {
                value.into_owned()
            };
            (name.to_owned(), kept)
        })
        .collect()
}

/// A `Cookie` header's value with the value of every web view's session cookie masked.
fn without_view_sessions(cookies: &str) -> String {
    cookies
        .split(';')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.trim_start().starts_with(VIEW_COOKIE) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The query without its `handshake_key` parameters, and with `***` for the value of any
/// other parameter that holds one of `keys` (as its name's or its value's text, decoded as a
/// form is).
pub fn query_to_keep(query: &str, keys: &[&str]) -> String {
    let query = strip_handshake_key_from_query(query);
    if keys.is_empty() {
        return query.into_owned();
    }
    let holds = |text: &str| keys.iter().any(|key| !key.is_empty() && text.contains(key));
    query
        .split('&')
        .map(|pair| {
            let Some((name, value)) = form_urlencoded::parse(pair.as_bytes()).next() else {
                return pair.to_owned();
            };
            if holds(&name) {
                "***".to_owned()
            } else if holds(&value) {
                format!("{}=***", pair.split('=').next().unwrap_or_default())
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A request's path as shown and kept: as it came, or, when its text decoded holds one of
/// `keys`, decoded with the keys masked.
pub fn path_to_keep(path: &str, keys: &[&str]) -> String {
    let decoded: String = form_urlencoded::parse(path.as_bytes())
        .next()
        .map(|(name, value)| {
            if value.is_empty() {
                name.into_owned()
            } else {
                format!("{name}={value}")
            }
        })
        .unwrap_or_default();
    let mut kept = decoded.clone();
    for key in keys.iter().filter(|key| !key.is_empty()) {
        kept = kept.replace(key, "***");
    }
    if kept == decoded {
        path.to_owned()
    } else {
        kept
    }
}

/// The body to keep, or why it is not kept: without its `handshake_key` members, and only if
/// none of the configured keys is left anywhere in it, written as it is or with JSON's
/// escapes. A body that is not one JSON object (which cannot be told apart into members) is
/// kept as it came only if it does not mention a handshake key at all.
pub fn body_to_keep(body: &[u8], keys: &[&str]) -> Result<String, String> {
    let kept = match strip_handshake_key(body) {
        Some(kept) => kept,
        None if contains(body, b"handshake") || contains(body, b"\\u") => {
            return Err("not a JSON object whose key could be removed".to_owned())
        }
        None => body.to_vec(),
    };
    if holds_a_key(&kept, keys) {
        return Err("a configured key appears in it outside `handshake_key`".to_owned());
    }
    Ok(String::from_utf8_lossy(&kept).into_owned())
}

/// Whether any of `keys` is in `body`: in its bytes, or, where JSON's escapes may spell it
/// otherwise, in the text of its strings and member names as they read. A body with escapes
/// that is not JSON cannot be read that way, and is taken to hold one.
fn holds_a_key(body: &[u8], keys: &[&str]) -> bool {
    let keys: Vec<&str> = keys.iter().copied().filter(|key| !key.is_empty()).collect();
    if keys.is_empty() {
        return false;
    }
    if keys.iter().any(|key| contains(body, key.as_bytes())) {
        return true;
    }
    if !body.contains(&b'\\') {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => value_holds(&value, &keys),
        Err(_) => true,
    }
}

fn value_holds(value: &serde_json::Value, keys: &[&str]) -> bool {
    let text_holds = |text: &str| {
        keys.iter()
            .any(|key| contains(text.as_bytes(), key.as_bytes()))
    };
    match value {
        serde_json::Value::String(text) => text_holds(text),
        serde_json::Value::Array(items) => items.iter().any(|item| value_holds(item, keys)),
        serde_json::Value::Object(members) => members
            .iter()
            .any(|(name, item)| text_holds(name) || value_holds(item, keys)),
        _ => false,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// A key that is surely not the receiver's: what a request that carried a wrong key is sent
/// again with.
pub const WRONG_KEY: &str = "clinchpad-webhook-replay-wrong-key";

/// The key a captured request is sent again with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResentKey {
    /// The configured key, where the request had its own.
    Configured,
    /// [`WRONG_KEY`], where the request had its own.
    Wrong,
    /// None at all.
    None,
}

/// What a request whose key was not checked ([`KeyCheck::Unchecked`]) is sent again with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchecked {
    /// The configured key, where it had one: `replay`, whose user gives the key, for a capture
    /// of a `listen` that had none to check.
    WithTheKey,
    /// No key: the web view, which vouches for no key it did not see match.
    WithoutAKey,
}

impl ResentKey {
    /// The one rule for sending a captured request again as it came, so that it is answered
    /// as it was: the configured key only where the request's key matched, a wrong key where
    /// a copy of it was wrong, none where it had none. A capture keeps no key, only where it
    /// was and what its check said, so this is as near as a sender can come.
    pub fn of(seen: KeySeen, unchecked: Unchecked) -> ResentKey {
        let carried = seen.in_body || seen.in_query;
        match seen.check {
            KeyCheck::Matched => ResentKey::Configured,
            KeyCheck::Wrong => ResentKey::Wrong,
            KeyCheck::Missing => ResentKey::None,
            KeyCheck::Unchecked if carried && unchecked == Unchecked::WithTheKey => {
                ResentKey::Configured
            }
            KeyCheck::Unchecked => ResentKey::None,
        }
    }
}

/// A captured request, ready to be sent again.
pub struct Resent {
    pub body: Vec<u8>,
    pub query: String,
    /// The key it carries: [`ResentKey::Configured`] with no key to put (none given) means
    /// it goes without the key it had.
    pub key: ResentKey,
}

/// `body` and `query` of the captured request `seen` describes, with the key it came with, by
/// [`ResentKey::of`]: `key` (the configured key) or [`WRONG_KEY`] where the request had its
/// own (in the body when the capture does not say where), or none; any other copy (one typed
/// into an edited body, say) is removed.
pub fn as_it_came(
    body: &[u8],
    query: &str,
    seen: KeySeen,
    key: Option<&str>,
    unchecked: Unchecked,
) -> Resent {
    let resent = ResentKey::of(seen, unchecked);
    let put = match resent {
        ResentKey::Configured => key,
        ResentKey::Wrong => Some(WRONG_KEY),
        ResentKey::None => None,
    };
    let places = Places {
        body: seen.in_body || !seen.in_query,
        query: seen.in_query,
    };
    let (body, query) = match put {
        Some(put) => with_key(body, query, Some(put), places),
        None => (
            strip_handshake_key(body).unwrap_or_else(|| body.to_vec()),
            strip_handshake_key_from_query(query).into_owned(),
        ),
    };
    Resent {
        body,
        query,
        key: resent,
    }
}

/// What the copies of the key a request carried say against `keys`, for a request the
/// receiver refused before it looked at them (a body that is not JSON, or with `--strict`
/// one that does not fit): any copy that matches none of the keys makes it
/// [`KeyCheck::Wrong`], no copy at all [`KeyCheck::Missing`], copies that all match
/// [`KeyCheck::Matched`]. The copies are the query's `handshake_key` parameters (decoded as a
/// form is, as the receiver reads them) and the body's `handshake_key` members, found at any
/// depth by scanning, so that a body that is not JSON is read too; a `null` member is no
/// copy, as the receiver reads it.
pub fn check_copies(query: &str, body: &[u8], keys: &[HandshakeKey]) -> KeyCheck {
    let matches = |copy: &str| keys.iter().any(|key| key.matches(copy));
    // Each copy, and whether it matches: a member that is not a string never does.
    let in_query = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "handshake_key")
        .map(|(_, value)| matches(&value));
    let in_body = key_values(body)
        .into_iter()
        .filter(|value| value.string || value.text != "null")
        .map(|value| value.string && matches(&value.text));
    let copies: Vec<bool> = in_query.chain(in_body).collect();
    if copies.is_empty() {
        KeyCheck::Missing
    } else if copies.iter().all(|&matched| matched) {
        KeyCheck::Matched
    } else {
        KeyCheck::Wrong
    }
}

/// `body` and `query` with the key `key` put where `place` says, and any other copy removed.
/// `None` for `key` leaves both as they are. A body that is not one JSON object cannot take a
/// body key: it is sent as it is, and the key goes in the query instead.
pub fn with_key(body: &[u8], query: &str, key: Option<&str>, place: Places) -> (Vec<u8>, String) {
    let Some(key) = key else {
        return (body.to_vec(), query.to_owned());
    };
    let mut query = strip_handshake_key_from_query(query).into_owned();
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
        query.extend(form_urlencoded::byte_serialize(key.as_bytes()));
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
        assert_eq!(query, "handshake_key=n+w%26");
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

    fn seen(in_body: bool, in_query: bool, check: KeyCheck) -> KeySeen {
        KeySeen {
            in_body,
            in_query,
            check,
        }
    }

    #[test]
    fn a_request_is_sent_again_with_the_key_it_came_with() {
        let body = br#"{"a": 1}"#;
        let sent = |seen: KeySeen, unchecked: Unchecked| {
            let resent = as_it_came(body, "x=1", seen, Some("k3y"), unchecked);
            let text = String::from_utf8(resent.body).unwrap();
            (resent.key, text, resent.query)
        };
        let with = Unchecked::WithTheKey;
        let without = Unchecked::WithoutAKey;
        assert_eq!(
            sent(seen(true, false, KeyCheck::Matched), without),
            (
                ResentKey::Configured,
                r#"{"a": 1,"handshake_key":"k3y"}"#.into(),
                "x=1".into()
            )
        );
        assert_eq!(
            sent(seen(false, true, KeyCheck::Wrong), without),
            (
                ResentKey::Wrong,
                r#"{"a": 1}"#.into(),
                format!("x=1&handshake_key={WRONG_KEY}")
            )
        );
        for check in [KeyCheck::Missing, KeyCheck::Unchecked] {
            assert_eq!(
                sent(seen(true, false, check), without),
                (ResentKey::None, r#"{"a": 1}"#.into(), "x=1".into())
            );
        }
        // `replay`'s user gives the key for a capture of a listen that had none to check.
        assert_eq!(
            sent(seen(true, false, KeyCheck::Unchecked), with).0,
            ResentKey::Configured
        );
        assert_eq!(
            sent(seen(false, false, KeyCheck::Unchecked), with).0,
            ResentKey::None
        );
        // A key typed into an edited body goes, when none is due.
        let typed = as_it_came(
            br#"{"a": 1, "handshake_key": "k3y"}"#,
            "handshake_key=k3y",
            seen(false, false, KeyCheck::Missing),
            Some("k3y"),
            without,
        );
        assert_eq!(
            (typed.body.as_slice(), typed.query.as_str()),
            (&br#"{"a": 1}"#[..], "")
        );
    }

    #[test]
    fn the_copies_of_a_key_are_checked_wherever_they_are() {
        let keys = [
            HandshakeKey::new("k3y").unwrap(),
            HandshakeKey::new("n3w").unwrap(),
        ];
        let check = |query: &str, body: &str| check_copies(query, body.as_bytes(), &keys);
        assert_eq!(check("", r#"{"activity": oops"#), KeyCheck::Missing);
        assert_eq!(
            check("", r#"{"handshake_key": null, "a": 1}"#),
            KeyCheck::Missing
        );
        assert_eq!(
            check("handshake_key=k3y", r#"{"a": oops"#),
            KeyCheck::Matched
        );
        assert_eq!(
            check(
                "handshake%5Fkey=n3w",
                r#"{"handshake_key": "k\u0033y", "a": oops"#
            ),
            KeyCheck::Matched
        );
        assert_eq!(
            check("handshake_key=k3y", r#"{"handshake_key": "guess"}"#),
            KeyCheck::Wrong
        );
        assert_eq!(
            check("handshake_key=guess", r#"{"handshake_key": "k3y"}"#),
            KeyCheck::Wrong
        );
        assert_eq!(
            check("", r#"{"handshake_key": 12, "a": [}"#),
            KeyCheck::Wrong
        );
        assert_eq!(
            check("", r#"{"lead": {"handshake_key": "x"}}"#),
            KeyCheck::Wrong
        );
    }

    #[test]
    fn a_kept_query_holds_no_key_however_it_is_spelled() {
        let keys = ["s3cr3t-k3y"];
        assert_eq!(
            query_to_keep("a=1&handshake_key=x&key=s3cr3t-k3y&b=2", &keys),
            "a=1&key=***&b=2"
        );
        assert_eq!(query_to_keep("key=%73%33cr3t%2Dk3y", &keys), "key=***");
        assert_eq!(query_to_keep("s3cr3t-k3y=1&c", &keys), "***&c");
        assert_eq!(query_to_keep("a=1&b", &keys), "a=1&b");
        assert_eq!(path_to_keep("/hooks/%73%33cr3t-k3y", &keys), "/hooks/***");
        assert_eq!(path_to_keep("/hooks/a%20b", &keys), "/hooks/a%20b");
    }

    #[test]
    fn a_web_views_session_cookie_is_kept_masked() {
        let kept = headers_to_keep(
            [
                ("Cookie", &b"a=1; clinchpad_view_8081=0123abcd;b=2"[..]),
                ("cookie", &b"clinchpad_view_9=x"[..]),
            ],
            &[],
        );
        assert_eq!(kept[0].1, "a=1; clinchpad_view_8081=***;b=2");
        assert_eq!(kept[1].1, "clinchpad_view_9=***");
    }

    #[test]
    fn a_kept_body_holds_no_key() {
        let body = br#"{"a": 1, "handshake_key": "s3cr3t-k3y"}"#;
        assert_eq!(body_to_keep(body, &["s3cr3t-k3y"]).unwrap(), r#"{"a": 1}"#);
        let elsewhere = br#"{"note": "the key is s3cr3t-k3y", "handshake_key": "s3cr3t-k3y"}"#;
        assert!(body_to_keep(elsewhere, &["s3cr3t-k3y"]).is_err());
        assert!(body_to_keep(br#"{"handshake_key": "k", "lead": "#, &[]).is_err());
        assert_eq!(body_to_keep(b"not json", &[]).unwrap(), "not json");
        // Spelled with escapes, as the body's own text or a member's name.
        let escaped = br#"{"note": "\u0073\u0033cr3t-k3y", "handshake_key": "x"}"#;
        assert!(body_to_keep(escaped, &["s3cr3t-k3y"]).is_err());
        let named = br#"{"s3cr3t\u002dk3y": 1}"#;
        assert!(body_to_keep(named, &["s3cr3t-k3y"]).is_err());
        // Escapes in a body that is not JSON: it cannot be read, so it is not kept.
        assert!(body_to_keep(br#"{"note": "\u0073\u0033cr3t-k3y"#, &["s3cr3t-k3y"]).is_err());
        // The whole body is the key.
        assert!(body_to_keep(br#""s3cr3t-k3y""#, &["s3cr3t-k3y"]).is_err());
        // Escapes that spell no key: kept.
        let fine = br#"{"note": "caf\u00e9", "handshake_key": "x"}"#;
        assert_eq!(
            body_to_keep(fine, &["s3cr3t-k3y"]).unwrap(),
            r#"{"note": "caf\u00e9"}"#
        );
    }
}
