//! [`Receiver`]: what a webhook endpoint does with a request, for any framework. It knows the
//! keys and the body limit, takes the key from the body or the query string, and answers with
//! a [`Payload`] or a [`Rejection`] that carries its HTTP status.

use std::fmt;
use std::sync::Arc;

use crate::key::handshake::KEY_FIELD;
use crate::parse::parse_tolerant;
use crate::read::body::read_value;
use crate::read::query;
use crate::signal;
use crate::{parse, verify_key, Delivery, Error, HandshakeKey, Payload, ReceivedKey, Rejection};

/// Everything a ClinchPad webhook endpoint checks, in code that knows no framework: the body
/// limit, the handshake key (from the body field `handshake_key` and from `handshake_key`
/// query parameters, every copy of which must match), and the body itself.
///
/// Build it once at start-up; it is cheap to clone, and `Send` and `Sync`. Then, for each
/// request, hand it the raw query string and the body bytes:
///
/// ```
/// use clinchpad_webhook::{escape_text, Receiver, Rejection};
///
/// # std::env::set_var("CLINCHPAD_HANDSHAKE_KEY", "gfhkd1asfsa");
/// // At start-up: an unset or empty variable is an error naming it.
/// let receiver = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY")?;
///
/// // Per request, in any framework: the query string (without `?`) and the body.
/// let body = std::fs::read("fixtures/lead_moved.json")?;
/// match receiver.receive(None, &body) {
///     // What the body says is anyone's: escaped, and the keys masked.
///     Ok(payload) => println!("{}", receiver.redact(&escape_text(&payload.lead.name))),
///     Err(rejection) => {
///         // Safe to log and to send back: one line, never a key.
///         eprintln!("refused ({}): {rejection}", rejection.status());
///     }
/// }
/// assert_eq!(receiver.receive(Some("handshake_key=guess"), &body).unwrap_err().status(), 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Where the key comes from
///
/// ClinchPad documents the key as the body field `handshake_key` but also says it is
/// "included as a parameter", so a `handshake_key` query parameter is accepted too, decoded
/// as an HTML form is (`+` and `%XX`). **Every copy the request carries must match**: the
/// body field, and each `handshake_key` query parameter. One matching copy is enough, and a
/// request with none is refused. Two copies that disagree are never a delivery from ClinchPad,
/// which knows one key; they are what a request looks like when someone has edited one copy.
///
/// # Several keys, to change the key without downtime
///
/// [`with_key`](Receiver::with_key) adds a key: a payload carrying any configured key passes.
/// Every key is compared, each in constant time, so the time taken does not depend on which
/// key matched or where a wrong key differs. To change the key: deploy with the new key added,
/// set the new key in ClinchPad, then deploy without the old one.
///
/// ```
/// use clinchpad_webhook::{HandshakeKey, Receiver};
///
/// let receiver = Receiver::new(HandshakeKey::new("new-key")?).with_key(HandshakeKey::new("old-key")?);
/// let unsigned = std::fs::read("fixtures/edge/no_handshake_key.json")?;
/// assert!(receiver.receive(Some("handshake_key=old-key"), &unsigned).is_ok());
/// assert!(receiver.receive(Some("handshake_key=new-key"), &unsigned).is_ok());
/// assert_eq!(receiver.receive(Some("handshake_key=other"), &unsigned).unwrap_err().status(), 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Without a key
///
/// [`Receiver::unverified`] checks no key: anyone who knows the URL can post. Use it only
/// when no handshake key is set in ClinchPad, and choose it explicitly (a flag, a setting of
/// its own), never as the fallback for a key that is missing from the configuration.
///
/// # Answers
///
/// | [`Rejection`] | status | when |
/// |---|---|---|
/// | [`InvalidPayload`](Rejection::InvalidPayload) | 400 | the body is not a valid payload; the text has the error's path, line and column |
/// | [`BodyUnreadable`](Rejection::BodyUnreadable) | 400 | the framework could not read the body |
/// | [`Unauthorized`](Rejection::Unauthorized) | 401 | a key is configured, and the request carries none or a copy that does not match |
/// | [`PayloadTooLarge`](Rejection::PayloadTooLarge) | 413 | the body is over the limit |
///
/// Answer 2xx for everything accepted: ClinchPad shows failed deliveries in the webhook's
/// error log and emails its owner.
///
/// To log or keep a request as it came, remove the key first:
/// [`strip_handshake_key`](crate::strip_handshake_key) for the body,
/// [`strip_handshake_key_from_query`](crate::strip_handshake_key_from_query) for the query. The `Content-Type` header is not looked at: ClinchPad's is
/// not documented, and the body is checked strictly anyway.
#[derive(Clone)]
pub struct Receiver {
    /// The accepted keys; empty for an unverified receiver.
    keys: Arc<Vec<HandshakeKey>>,
    body_limit: usize,
}

impl Receiver {
    /// The default body limit: 1 MiB.
    ///
    /// A ClinchPad payload is about 1 KB; only free text (a note's content, an email's
    /// subject, names) can make it grow. 1 MiB leaves three orders of magnitude of room for a
    /// long note while bounding what one request can make the server buffer.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

    /// Checks every payload's handshake key against `key`.
    pub fn new(key: HandshakeKey) -> Self {
        Receiver {
            keys: Arc::new(vec![key]),
            body_limit: Self::DEFAULT_BODY_LIMIT,
        }
    }

    /// Accepts `key` too, beside the keys already configured: for changing the key without
    /// downtime. On an [unverified](Receiver::unverified) receiver, turns checking on, with
    /// `key` as its one key.
    pub fn with_key(mut self, key: HandshakeKey) -> Self {
        Arc::make_mut(&mut self.keys).push(key);
        self
    }

    /// Checks no key: every valid payload is accepted, whoever sent it. Only for a webhook
    /// with no handshake key set in ClinchPad, and only when chosen explicitly.
    pub fn unverified() -> Self {
        Receiver {
            keys: Arc::new(Vec::new()),
            body_limit: Self::DEFAULT_BODY_LIMIT,
        }
    }

    /// Checks every payload's key against the key in the environment variable `variable`;
    /// fails closed, with [`Error::KeyNotConfigured`] naming the variable, when it is not set
    /// or is empty (see [`HandshakeKey::from_env`]).
    ///
    /// ```
    /// use clinchpad_webhook::Receiver;
    ///
    /// # std::env::remove_var("CLINCHPAD_HANDSHAKE_KEY_MISSPELLED");
    /// let err = Receiver::from_env("CLINCHPAD_HANDSHAKE_KEY_MISSPELLED").unwrap_err();
    /// assert!(err.to_string().contains(r#""CLINCHPAD_HANDSHAKE_KEY_MISSPELLED" is not set"#));
    /// ```
    pub fn from_env(variable: &str) -> Result<Self, Error> {
        HandshakeKey::from_env(variable).map(Receiver::new)
    }

    /// Sets the largest body accepted, in bytes: a body of exactly `bytes` passes, a longer
    /// one is `413 Payload Too Large`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest body accepted, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Whether payloads' keys are checked: `false` only for [`Receiver::unverified`].
    pub fn is_verified(&self) -> bool {
        !self.keys.is_empty()
    }

    /// What can be refused from a request's head, before its body is read: a declared
    /// `Content-Length` over the limit (413), or a `handshake_key` query parameter that does
    /// not match (401). For adapters, so that such a request's body is never read;
    /// [`receive`](Receiver::receive) checks both again.
    pub fn check_head(
        &self,
        query: Option<&str>,
        content_length: Option<u64>,
    ) -> Result<(), Rejection> {
        if content_length.is_some_and(|length| length > self.body_limit as u64) {
            return Err(self.too_large()).inspect_err(signal::refused);
        }
        self.check_query(query)
            .map(drop)
            .inspect_err(signal::refused)
    }

    /// The payload in a request, checked: `query` is the request's raw query string (without
    /// the `?`, `None` or empty when there is none), `body` the body's bytes.
    pub fn receive(&self, query: Option<&str>, body: &[u8]) -> Result<Payload, Rejection> {
        self.receive_checked(query, body)
            .inspect_err(signal::refused)
    }

    fn receive_checked(&self, query: Option<&str>, body: &[u8]) -> Result<Payload, Rejection> {
        if body.len() > self.body_limit {
            return Err(self.too_large());
        }
        let query_keys = self.check_query(query)?;
        let payload = parse(body).map_err(|err| self.invalid(err))?;
        let key = payload
            .handshake_key
            .as_ref()
            .map(ReceivedKey::expose_secret);
        self.check_body_key(BodyKey::Text(key), query_keys)?;
        Ok(payload)
    }

    /// The delivery in a request, checked as strictly as [`receive`](Receiver::receive)
    /// checks it, except that its shape is not a reason to refuse it: for the edge, where a
    /// delivery refused is a delivery lost.
    ///
    /// Refused as by `receive`: a body over the limit (413); while a key is configured, a
    /// request with no copy of the key, a copy that does not match, or a body `handshake_key`
    /// that is not a string (401); a body that is not one JSON object in UTF-8 (not JSON,
    /// another value, bytes after it, a byte-order mark, nesting 128 deep) or has a key twice
    /// in any object (400). Every other body is accepted: fully typed when it fits, and
    /// otherwise with the [`error`](Delivery::error) `receive` would have refused it with,
    /// and what could be typed. See [`Delivery`].
    ///
    /// On a body that fits, this is `receive` with the body kept: the same payload, in the
    /// same time.
    ///
    /// ```
    /// use clinchpad_webhook::{HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
    /// let body = std::fs::read_to_string("fixtures/lead_moved.json")?;
    /// assert!(receiver.accept(None, body.as_bytes())?.is_typed());
    ///
    /// // A user given by its id: not what the documentation says, still a delivery.
    /// let drifted = body.replacen(r#""user": {"#, r#""user": "52cf8c0acce8b4c375000001", "was": {"#, 1);
    /// let delivery = receiver.accept(None, drifted.as_bytes())?;
    /// assert_eq!(delivery.error().and_then(|err| err.path()), Some("activity.user"));
    /// assert_eq!(delivery.type_name(), Some("lead:moved"));
    /// assert!(delivery.payload().is_none());
    ///
    /// // The key is checked as strictly as ever.
    /// let forged = drifted.replace("gfhkd1asfsa", "guess");
    /// assert_eq!(receiver.accept(None, forged.as_bytes()).unwrap_err().status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept(&self, query: Option<&str>, body: &[u8]) -> Result<Delivery, Rejection> {
        if body.len() > self.body_limit {
            return Err(self.too_large()).inspect_err(signal::refused);
        }
        self.accept_body(query, body.to_vec())
    }

    /// [`accept`](Receiver::accept), for adapters that own the body already.
    #[inline]
    pub(crate) fn accept_body(
        &self,
        query: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Delivery, Rejection> {
        match self.accept_checked(query, body) {
            Ok(delivery) if delivery.is_typed() => Ok(delivery),
            Ok(delivery) => {
                signal::drifted(&delivery);
                Ok(delivery)
            }
            Err(rejection) => {
                signal::refused(&rejection);
                Err(rejection)
            }
        }
    }

    #[inline]
    fn accept_checked(&self, query: Option<&str>, body: Vec<u8>) -> Result<Delivery, Rejection> {
        if body.len() > self.body_limit {
            return Err(self.too_large());
        }
        let query_keys = self.check_query(query)?;
        match parse(&body) {
            Ok(payload) => {
                let key = payload
                    .handshake_key
                    .as_ref()
                    .map(ReceivedKey::expose_secret);
                self.check_body_key(BodyKey::Text(key), query_keys)?;
                Ok(Delivery::typed(payload, body, self.masking()))
            }
            Err(err) => self.accept_drifted(err, query_keys, body),
        }
    }

    /// The rest of [`accept`](Receiver::accept), for a body that is not a payload: out of the
    /// way of the bodies that are.
    #[cold]
    fn accept_drifted(
        &self,
        err: Error,
        query_keys: usize,
        body: Vec<u8>,
    ) -> Result<Delivery, Rejection> {
        if let Error::NotJson { .. } = err {
            return Err(self.invalid(err));
        }
        // The shape does not fit. Typed as far as the type's fields, when the rest fits;
        // otherwise read as a value, as strictly, to check it is one object and find its key.
        let read = match parse_tolerant(&body) {
            Ok(payload) => Drifted::Typed(Box::new(payload)),
            Err(_) => match read_value(&body) {
                Ok(value) if value.is_object() => Drifted::Untyped(value),
                Ok(_) => return Err(self.invalid(err)),
                Err(structure) => return Err(self.invalid(structure)),
            },
        };
        let key = match &read {
            Drifted::Typed(payload) => BodyKey::Text(
                payload
                    .handshake_key
                    .as_ref()
                    .map(ReceivedKey::expose_secret),
            ),
            Drifted::Untyped(value) => match value.get(KEY_FIELD) {
                None | Some(serde_json::Value::Null) => BodyKey::Text(None),
                Some(serde_json::Value::String(key)) => BodyKey::Text(Some(key)),
                Some(_) => BodyKey::NotText,
            },
        };
        self.check_body_key(key, query_keys)?;
        let err = self.redact_error(err);
        Ok(match read {
            Drifted::Typed(payload) => {
                Delivery::drifted(Some(*payload), err, None, body, self.masking())
            }
            Drifted::Untyped(value) => {
                Delivery::drifted(None, err, Some(&value), body, self.masking())
            }
        })
    }

    /// `text` with the text of every configured key masked (`***`), wherever it is: see
    /// [`HandshakeKey::redact`]. [`receive`](Receiver::receive) does this to the errors it
    /// returns, which quote the body: a key posted where a string is quoted (the whole body
    /// `"<key>"`, or the key as `created_at`) is never shown. Do the same to anything else
    /// you log from a request, a payload's text included.
    ///
    /// ```
    /// use clinchpad_webhook::{HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
    /// let refusal = receiver.receive(None, br#""gfhkd1asfsa""#).unwrap_err();
    /// assert!(refusal.to_string().contains(r#"string "***""#), "{refusal}");
    /// assert_eq!(receiver.redact("?key=gfhkd1asfsa"), "?key=***");
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        crate::key::redact::redact(text, self.keys.iter().map(HandshakeKey::expose_secret))
    }

    /// `body` with the text of every configured key masked (`***`) where it is free text,
    /// for storing a body that may quote a key: see [`Delivery::body_to_store`], which does
    /// this to a delivery's body. Inside the string values whose text is free (a note, a
    /// name, an unknown field), each copy of a key is masked, however the string spells it
    /// (`"g\u0066hkd1asfsa"` too), and only the key, never a piece of it; ids, the type, the
    /// time, numbers, booleans, dates and times are read by their format and kept exactly, so
    /// the body reads as the same payload. Every other byte is kept. A body that is not JSON
    /// has every copy of a key's text replaced. Borrowed when there is nothing to mask.
    ///
    /// Remove the `handshake_key` itself first ([`strip_handshake_key`](crate::strip_handshake_key)).
    ///
    /// ```
    /// use clinchpad_webhook::{HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("2014")?); // a weak key: see key_warnings
    /// let body = br#"{"activity": {"_id": "a1", "created_at": "2014-01-10T09:37:58Z",
    ///     "type": "note:created", "note_content": "PIN 2014"}, "lead": {"_id": "l1", "name": "Acme"}}"#;
    /// let kept = receiver.redact_body(body);
    /// let kept = std::str::from_utf8(&kept)?;
    /// assert!(kept.contains(r#""note_content": "PIN ***""#));
    /// assert!(kept.contains(r#""created_at": "2014-01-10T09:37:58Z""#)); // still the same time
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact_body<'b>(&self, body: &'b [u8]) -> std::borrow::Cow<'b, [u8]> {
        let keys: Vec<&str> = self.keys.iter().map(HandshakeKey::expose_secret).collect();
        crate::key::masked_body::mask_body(body, &keys)
    }

    /// A sentence for each configured key that ordinary text could hold too: one shorter than
    /// 8 characters, or made of digits (and the punctuation of times) only. Such a key is
    /// found in dates, amounts and ids: it is masked where a body's free text holds it, and
    /// kept where it is part of an id, a time or a number, which must read as they came. Say
    /// them at start-up; each names the key by its place among the configured keys, never by
    /// its text. Empty when every key is fine.
    ///
    /// ```
    /// use clinchpad_webhook::{HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?).with_key(HandshakeKey::new("2014")?);
    /// let warnings = receiver.key_warnings();
    /// assert_eq!(warnings.len(), 1);
    /// assert!(warnings[0].starts_with("handshake key 2 of 2 is 4 characters long"), "{}", warnings[0]);
    /// assert!(!warnings[0].contains("2014"));
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn key_warnings(&self) -> Vec<String> {
        let count = self.keys.len();
        self.keys
            .iter()
            .enumerate()
            .filter_map(|(i, key)| {
                let text = key.expose_secret();
                let length = text.chars().count();
                let what = if text
                    .chars()
                    .all(|c| c.is_ascii_digit() || "-:.+/ TZ".contains(c))
                {
                    format!("{length} characters long and only digits")
                } else if length < 8 {
                    format!("{length} characters long")
                } else {
                    return None;
                };
                let which = match count {
                    1 => "the handshake key".to_owned(),
                    _ => format!("handshake key {} of {count}", i + 1),
                };
                Some(format!(
                    "{which} is {what}: ordinary text holds it too (dates, amounts, ids), \
                     so it is masked as *** wherever a delivery's free text has it, and left in \
                     ids, times and numbers, which must read as they came; set a longer, \
                     random key in ClinchPad (16 characters or more)"
                ))
            })
            .collect()
    }

    /// The keys, for the values this receiver makes to mask in what they show.
    pub(crate) fn masking(&self) -> crate::key::redact::Masking {
        crate::key::redact::Masking(self.keys.clone())
    }

    /// A body that is not a valid payload, as a rejection with no key in its text.
    fn invalid(&self, err: Error) -> Rejection {
        Rejection::InvalidPayload(self.redact_error(err))
    }

    /// Checks the body's copy of the key: when there is one, it must match too; with none,
    /// the query copies checked before are enough, and a request with no copy at all is
    /// refused. A body copy that is not a string never matches.
    fn check_body_key(&self, key: BodyKey<'_>, query_keys: usize) -> Result<(), Rejection> {
        if !self.is_verified() {
            return Ok(());
        }
        match key {
            BodyKey::NotText => Err(Rejection::Unauthorized(Error::WrongKey)),
            BodyKey::Text(None) if query_keys > 0 => Ok(()),
            BodyKey::Text(key) => {
                verify_key(key, self.keys.as_slice()).map_err(Rejection::Unauthorized)
            }
        }
    }

    /// `err` with the configured keys masked in its text.
    fn redact_error(&self, err: Error) -> Error {
        if self.keys.is_empty() {
            return err;
        }
        let keys: Vec<&str> = self.keys.iter().map(HandshakeKey::expose_secret).collect();
        err.redacted(&keys)
    }

    /// The limit, as a rejection.
    pub fn too_large(&self) -> Rejection {
        Rejection::PayloadTooLarge {
            limit: self.body_limit,
        }
    }

    /// Checks every `handshake_key` query parameter; the number there were.
    fn check_query(&self, query: Option<&str>) -> Result<usize, Rejection> {
        let mut count = 0;
        for key in query::values(query.unwrap_or_default(), KEY_FIELD) {
            count += 1;
            if self.is_verified() {
                verify_key(Some(&key), self.keys.as_slice()).map_err(Rejection::Unauthorized)?;
            }
        }
        Ok(count)
    }
}

/// A body that is not a payload, read as far as it goes: typed but for its type's fields, or
/// only as one JSON object.
enum Drifted {
    Typed(Box<Payload>),
    Untyped(serde_json::Value),
}

/// The body's copy of the key, as the body has it.
enum BodyKey<'b> {
    /// A string, or none (absent or `null`).
    Text(Option<&'b str>),
    /// Another JSON value: never a key.
    NotText,
}

/// Shows how many keys are configured, never a key.
///
/// ```
/// use clinchpad_webhook::{HandshakeKey, Receiver};
///
/// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
/// assert_eq!(format!("{receiver:?}"), "Receiver { keys: 1, body_limit: 1048576 }");
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("keys", &self.keys.len())
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "gfhkd1asfsa";

    fn body(key: Option<&str>) -> Vec<u8> {
        let key = key.map_or(String::new(), |key| {
            format!(r#", "handshake_key": {}"#, serde_json::json!(key))
        });
        format!(
            r#"{{"activity": {{"_id": "a1", "created_at": "2024-03-05T14:07:31Z", "type": "lead:won"}},
                "lead": {{"_id": "l1", "name": "Acme"}}{key}}}"#
        )
        .into_bytes()
    }

    fn keyed() -> Receiver {
        Receiver::new(HandshakeKey::new(KEY).unwrap())
    }

    fn refusal(result: Result<Payload, Rejection>) -> (u16, Option<Error>) {
        let rejection = result.expect_err("refused");
        (rejection.status(), rejection.error().cloned())
    }

    #[test]
    fn every_copy_of_the_key_must_match() {
        let receiver = keyed();
        let take = |query: &str, key: Option<&str>| receiver.receive(Some(query), &body(key));
        // One copy, in either place; both right; the same copy twice.
        assert!(take("", Some(KEY)).is_ok());
        assert!(take("handshake_key=gfhkd1asfsa", None).is_ok());
        assert!(take("handshake_key=gfhkd1asfsa", Some(KEY)).is_ok());
        assert!(take("handshake_key=gfhkd1asfsa&handshake_key=gfhkd1asfsa", None).is_ok());
        // Any wrong or empty copy fails, whichever place is right.
        let wrong = (401, Some(Error::WrongKey));
        assert_eq!(refusal(take("handshake_key=wrong", Some(KEY))), wrong);
        assert_eq!(
            refusal(take("handshake_key=gfhkd1asfsa", Some("wrong"))),
            wrong
        );
        assert_eq!(
            refusal(take("handshake_key=gfhkd1asfsa&handshake_key=x", None)),
            wrong
        );
        assert_eq!(refusal(take("handshake_key=", None)), wrong);
        assert_eq!(refusal(take("handshake_key", None)), wrong);
        assert_eq!(refusal(take("", Some(""))), wrong);
        // No copy.
        let missing = (401, Some(Error::MissingKey));
        assert_eq!(refusal(take("", None)), missing);
        assert_eq!(refusal(take("other=gfhkd1asfsa", None)), missing);
        assert_eq!(refusal(receiver.receive(None, &body(None))), missing);
    }

    #[test]
    fn a_wrong_query_key_is_refused_before_the_body_is_parsed() {
        let (status, err) = refusal(keyed().receive(Some("handshake_key=nope"), b"not json"));
        assert_eq!((status, err), (401, Some(Error::WrongKey)));
        assert_eq!(
            keyed()
                .check_head(Some("handshake_key=nope"), None)
                .unwrap_err()
                .status(),
            401
        );
    }

    #[test]
    fn query_keys_are_form_decoded() {
        let key = "a b+c/d&e=f ü";
        let receiver = Receiver::new(HandshakeKey::new(key).unwrap());
        let query = "handshake_key=a+b%2Bc%2Fd%26e%3Df%20%C3%BC&x=1";
        assert!(receiver.receive(Some(query), &body(None)).is_ok());
        assert!(receiver.receive(None, &body(Some(key))).is_ok());
    }

    #[test]
    fn the_body_limit_is_inclusive() {
        let body = body(Some(KEY));
        assert!(keyed()
            .with_body_limit(body.len())
            .receive(None, &body)
            .is_ok());
        let short = keyed().with_body_limit(body.len() - 1);
        assert_eq!(refusal(short.receive(None, &body)), (413, None));
        assert!(short.check_head(None, Some(body.len() as u64 - 1)).is_ok());
        assert_eq!(
            short
                .check_head(None, Some(body.len() as u64))
                .unwrap_err()
                .status(),
            413
        );
        assert_eq!(
            Receiver::unverified().body_limit(),
            Receiver::DEFAULT_BODY_LIMIT
        );
    }

    #[test]
    fn unverified_parses_and_checks_no_key() {
        let receiver = Receiver::unverified();
        assert!(!receiver.is_verified());
        let payload = receiver
            .receive(Some("handshake_key=x"), &body(Some("y")))
            .unwrap();
        assert_eq!(payload.handshake_key.unwrap().expose_secret(), "y");
        assert_eq!(refusal(receiver.receive(None, b"[]")).0, 400);
        // A key added later turns checking on.
        let receiver = receiver.with_key(HandshakeKey::new(KEY).unwrap());
        assert!(receiver.is_verified());
        assert_eq!(refusal(receiver.receive(None, &body(None))).0, 401);
    }

    #[test]
    fn any_configured_key_passes() {
        let receiver = keyed()
            .with_key(HandshakeKey::new("second").unwrap())
            .with_key(HandshakeKey::new("third").unwrap());
        for key in [KEY, "second", "third"] {
            assert!(receiver.receive(None, &body(Some(key))).is_ok(), "{key}");
            assert!(receiver
                .receive(Some(&format!("handshake_key={key}")), &body(None))
                .is_ok());
        }
        assert_eq!(
            refusal(receiver.receive(None, &body(Some("fourth")))).0,
            401
        );
        // Copies that each match a different configured key: each copy is a configured key.
        assert!(receiver
            .receive(Some("handshake_key=second"), &body(Some("third")))
            .is_ok());
    }

    #[test]
    fn no_rejection_and_no_debug_shows_a_key() {
        let receiver = keyed().with_key(HandshakeKey::new("s3cond-k3y").unwrap());
        assert!(!format!("{receiver:?}").contains(KEY));
        assert!(!format!("{receiver:?}").contains("s3cond"));
        for (query, body) in [
            ("handshake_key=gfhkd1asfsb", body(Some(KEY))),
            ("", body(Some("gfhkd1asfsb"))),
            ("", body(None)),
            ("handshake_key=gfhkd1asfsb", b"[]".to_vec()),
        ] {
            let rejection = receiver.receive(Some(query), &body).unwrap_err();
            for text in [rejection.to_string(), format!("{rejection:?}")] {
                assert!(
                    !text.contains("gfhkd1asfs") && !text.contains("s3cond"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn a_receiver_can_be_shared_between_threads() {
        fn assert_bounds<T: Clone + Send + Sync + 'static>() {}
        assert_bounds::<Receiver>();
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<Rejection>();
    }
}
