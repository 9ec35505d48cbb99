//! The handshake key on both sides: [`HandshakeKey`], the key you expect, never empty, and
//! [`ReceivedKey`], the key a payload carries, whatever it is. Both are compared in constant
//! time and never printed; an empty key, on either side, never passes a check.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::de;
use subtle::{Choice, ConstantTimeEq};

use crate::{Error, VarProblem};

/// The name of the key, as a body field and as a query parameter.
pub(crate) const KEY_FIELD: &str = "handshake_key";

/// The handshake key you expect: the one set for the webhook in ClinchPad.
///
/// Build it once, at start-up. Every way of building one refuses an empty key
/// ([`Error::EmptyExpectedKey`]), because an empty key means "no key configured", never
/// "accept all": [`new`](HandshakeKey::new), [`FromStr`], `TryFrom<String>`, `Deserialize`
/// (for configuration files), and [`from_env`](HandshakeKey::from_env), which also refuses an
/// unset variable.
///
/// - Comparing (`==`, [`matches`](HandshakeKey::matches)) takes time that depends only on
///   the length of the key compared with, never on where two keys differ.
/// - `Debug` prints `HandshakeKey(<redacted>)`; there is no `Display` and no `Serialize`.
///   Reading the text takes the explicit [`expose_secret`](HandshakeKey::expose_secret).
///
/// ```
/// use clinchpad_webhook::HandshakeKey;
///
/// let key = HandshakeKey::new("gfhkd1asfsa")?;
/// assert!(key.matches("gfhkd1asfsa"));
/// assert!(!key.matches("gfhkd1asfsA"));
/// assert!(!key.matches(""));
/// assert_eq!(format!("{key:?}"), "HandshakeKey(<redacted>)");
///
/// assert!(HandshakeKey::new("").is_err());
/// assert!("".parse::<HandshakeKey>().is_err());
/// assert!(serde_json::from_str::<HandshakeKey>(r#""""#).is_err());
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
#[derive(Clone)]
pub struct HandshakeKey(String);

impl HandshakeKey {
    /// Wraps the key to compare payloads against. An empty key is refused with
    /// [`Error::EmptyExpectedKey`].
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        if key.is_empty() {
            Err(Error::EmptyExpectedKey)
        } else {
            Ok(HandshakeKey(key))
        }
    }

    /// Reads the key from the environment variable `variable`, failing closed: a variable that
    /// is not set, is empty, is not valid Unicode, or has whitespace at its start or end is
    /// [`Error::KeyNotConfigured`], whose message names the variable (never its value).
    ///
    /// Whitespace around a key is refused rather than trimmed: it is how a key read from a
    /// secret file with a trailing newline looks, and taking it as it is would answer every
    /// delivery 401, while trimming it would accept a key other than the one configured. The
    /// error says which, so the fix is made where the key is kept.
    ///
    /// To run without checking keys, say so explicitly instead
    /// ([`Receiver::unverified`](crate::Receiver::unverified)); never fall back to it when this
    /// fails.
    ///
    /// ```
    /// use clinchpad_webhook::{Error, HandshakeKey, VarProblem};
    ///
    /// # std::env::remove_var("CLINCHPAD_KEY_UNSET_IN_THIS_EXAMPLE");
    /// let err = HandshakeKey::from_env("CLINCHPAD_KEY_UNSET_IN_THIS_EXAMPLE").unwrap_err();
    /// assert!(matches!(err, Error::KeyNotConfigured { problem: VarProblem::Unset, .. }));
    /// assert!(err.to_string().contains("CLINCHPAD_KEY_UNSET_IN_THIS_EXAMPLE"));
    /// ```
    pub fn from_env(variable: &str) -> Result<Self, Error> {
        let problem = |problem| Error::KeyNotConfigured {
            variable: variable.to_owned(),
            problem,
        };
        match std::env::var(variable) {
            Ok(key) if key.is_empty() => Err(problem(VarProblem::Empty)),
            Ok(key) if key.trim() != key => Err(problem(VarProblem::Whitespace)),
            Ok(key) => Ok(HandshakeKey(key)),
            Err(std::env::VarError::NotPresent) => Err(problem(VarProblem::Unset)),
            Err(std::env::VarError::NotUnicode(_)) => Err(problem(VarProblem::NotUnicode)),
        }
    }

    /// Compares `candidate` with this key in constant time. An empty candidate never matches.
    ///
    /// ```
    /// let key = clinchpad_webhook::HandshakeKey::new("s3cret")?;
    /// assert!(key.matches("s3cret") && !key.matches("s3cre") && !key.matches(""));
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn matches(&self, candidate: &str) -> bool {
        keys_match(candidate.as_bytes(), self.0.as_bytes())
    }

    /// The key's text. Named so that every place that reads a secret says so.
    ///
    /// ```
    /// let key = clinchpad_webhook::HandshakeKey::new("s3cret")?;
    /// assert_eq!(key.expose_secret(), "s3cret");
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// `text` with every copy of this key's text in it replaced by `***`, for a line that
    /// quotes a request: the key is found as it is, as the crate's messages, `{:?}` and JSON
    /// escape it, and where a shortened text was cut (`…`) part way through it. The mask is
    /// the same whatever the key, so it shows neither the key nor its length. Borrowed when
    /// there is nothing to mask.
    ///
    /// A key can arrive where no one expects it (in a note, as the whole body, as a field's
    /// value): mask it in whatever you log from a request. [`Receiver::redact`] masks every
    /// key a receiver has.
    ///
    /// [`Receiver::redact`]: crate::Receiver::redact
    ///
    /// ```
    /// let key = clinchpad_webhook::HandshakeKey::new("gfhkd1asfsa")?;
    /// assert_eq!(key.redact("note: my key is gfhkd1asfsa"), "note: my key is ***");
    /// assert_eq!(key.redact(r#"invalid timestamp "gfhkd1a…""#), r#"invalid timestamp "***…""#);
    /// assert_eq!(key.redact("nothing to hide"), "nothing to hide");
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        crate::key::redact::redact(text, [self.expose_secret()])
    }
}

impl FromStr for HandshakeKey {
    type Err = Error;

    /// The same as [`HandshakeKey::new`]: an empty key is refused.
    fn from_str(key: &str) -> Result<Self, Error> {
        HandshakeKey::new(key)
    }
}

impl TryFrom<String> for HandshakeKey {
    type Error = Error;

    fn try_from(key: String) -> Result<Self, Error> {
        HandshakeKey::new(key)
    }
}

impl TryFrom<&str> for HandshakeKey {
    type Error = Error;

    fn try_from(key: &str) -> Result<Self, Error> {
        HandshakeKey::new(key)
    }
}

impl PartialEq for HandshakeKey {
    fn eq(&self, other: &Self) -> bool {
        keys_match(other.0.as_bytes(), self.0.as_bytes())
    }
}

impl Eq for HandshakeKey {}

impl fmt::Debug for HandshakeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HandshakeKey(<redacted>)")
    }
}

/// Reads the expected key from configuration (a string), refusing an empty one.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Config {
///     handshake_key: clinchpad_webhook::HandshakeKey,
/// }
///
/// let config: Config = serde_json::from_str(r#"{"handshake_key": "s3cret"}"#)?;
/// assert!(config.handshake_key.matches("s3cret"));
/// let err = serde_json::from_str::<Config>(r#"{"handshake_key": ""}"#).unwrap_err();
/// assert!(err.to_string().contains("empty"));
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de> serde::Deserialize<'de> for HandshakeKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = deserializer.deserialize_any(KeyVisitor)?;
        HandshakeKey::new(key).map_err(|_| {
            de::Error::custom("the handshake key is empty: set the key configured in ClinchPad")
        })
    }
}

/// The handshake key a payload carries (the body field `handshake_key`), exactly as it came:
/// possibly empty, possibly wrong. Check it with [`matches`](ReceivedKey::matches),
/// [`verify`](crate::verify) or [`verify_key`](crate::verify_key).
///
/// - An empty received key never matches anything, so a payload with `"handshake_key": ""`
///   parses, and round-trips, but never verifies.
/// - `Debug` prints `ReceivedKey(<redacted>)`; there is no `Display`.
/// - `Serialize` writes the key, so that a payload serialized and parsed again is equal to
///   itself. To store or log a payload without it, see
///   [`Payload::without_handshake_key`](crate::Payload::without_handshake_key).
/// - `==` between two received keys (as part of comparing two payloads) is constant-time
///   equality of their texts; it is not a check of either.
///
/// ```
/// let body = br#"{"activity": {"_id": "a", "type": "lead:won", "created_at": "2024-03-05T14:07:31Z"},
///                 "lead": {"_id": "l", "name": "Acme"}, "handshake_key": ""}"#;
/// let payload = clinchpad_webhook::parse(body)?;
/// let received = payload.handshake_key.as_ref().unwrap();
/// // Whatever the expected key, empty or not, an empty received key does not match.
/// let expected = std::env::var("UNSET_IN_THIS_EXAMPLE").unwrap_or_default();
/// assert!(!received.matches(&expected));
/// assert!(!received.matches("gfhkd1asfsa"));
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
#[derive(Clone)]
pub struct ReceivedKey(String);

impl ReceivedKey {
    #[cfg_attr(not(any(test, feature = "testing")), allow(dead_code))]
    pub(crate) fn new(key: String) -> Self {
        ReceivedKey(key)
    }

    /// Compares this key with the expected one in constant time: a [`HandshakeKey`], or its
    /// text. `false` when either is empty.
    ///
    /// ```
    /// use clinchpad_webhook::HandshakeKey;
    ///
    /// let body = std::fs::read("fixtures/doc_example.json")?;
    /// let received = clinchpad_webhook::parse(&body)?.handshake_key.unwrap();
    /// assert!(received.matches("gfhkd1asfsa"));
    /// assert!(received.matches(&HandshakeKey::new("gfhkd1asfsa")?));
    /// assert!(!received.matches("gfhkd1asfs"));
    /// assert!(!received.matches(""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches<K: ExpectedKey + ?Sized>(&self, expected: &K) -> bool {
        expected.check(Some(&self.0)).is_ok()
    }

    /// Whether the key is the empty string (which never matches).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key's text. Named so that every place that reads a secret says so.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl PartialEq for ReceivedKey {
    fn eq(&self, other: &Self) -> bool {
        let same_length = (self.0.len() as u64).ct_eq(&(other.0.len() as u64));
        bool::from(same_length & same_bytes(self.0.as_bytes(), other.0.as_bytes()))
    }
}

impl Eq for ReceivedKey {}

impl fmt::Debug for ReceivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceivedKey(<redacted>)")
    }
}

impl serde::Serialize for ReceivedKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ReceivedKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any`, so that a number reaches the visitor: for `deserialize_string`
        // serde_json writes the error itself, quoting the number.
        deserializer.deserialize_any(KeyVisitor).map(ReceivedKey)
    }
}

/// What a received key is checked against: a [`HandshakeKey`], the key's text (`&str`,
/// `String`), or several keys at once (`[HandshakeKey]`, `Vec<HandshakeKey>`) while one
/// replaces another. Implemented by this crate only.
///
/// Every implementation refuses an empty expected key (or no key at all) with
/// [`Error::EmptyExpectedKey`] and never lets an empty received key pass. Several keys are
/// each compared in constant time, all of them every time, so the time taken does not depend
/// on which one matched.
///
/// ```
/// use clinchpad_webhook::{verify_key, Error, HandshakeKey};
///
/// let keys = vec![HandshakeKey::new("new-key")?, HandshakeKey::new("old-key")?];
/// assert_eq!(verify_key(Some("old-key"), &keys), Ok(()));
/// assert_eq!(verify_key(Some("new-key"), &keys), Ok(()));
/// assert_eq!(verify_key(Some("other"), &keys), Err(Error::WrongKey));
/// assert_eq!(verify_key(Some("new-key"), &Vec::new()), Err(Error::EmptyExpectedKey));
/// # Ok::<(), Error>(())
/// ```
pub trait ExpectedKey: sealed::Sealed {
    /// `Ok` when `received` matches, compared in constant time; else the error that says why:
    /// [`Error::EmptyExpectedKey`], [`Error::MissingKey`] or [`Error::WrongKey`].
    #[doc(hidden)]
    fn check(&self, received: Option<&str>) -> Result<(), Error>;

    /// `Err` when no received key could ever match ([`Error::EmptyExpectedKey`]).
    #[doc(hidden)]
    fn ready(&self) -> Result<(), Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for super::HandshakeKey {}
    impl Sealed for [super::HandshakeKey] {}
    impl Sealed for Vec<super::HandshakeKey> {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

/// The check shared by every [`ExpectedKey`]: `expected` is the key's text.
fn check_text(received: Option<&str>, expected: &str) -> Result<(), Error> {
    if expected.is_empty() {
        return Err(Error::EmptyExpectedKey);
    }
    let received = received.ok_or(Error::MissingKey)?;
    if keys_match(received.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(Error::WrongKey)
    }
}

impl ExpectedKey for str {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        check_text(received, self)
    }

    fn ready(&self) -> Result<(), Error> {
        if self.is_empty() {
            Err(Error::EmptyExpectedKey)
        } else {
            Ok(())
        }
    }
}

impl ExpectedKey for String {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        check_text(received, self)
    }

    fn ready(&self) -> Result<(), Error> {
        self.as_str().ready()
    }
}

impl ExpectedKey for HandshakeKey {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        check_text(received, &self.0)
    }

    fn ready(&self) -> Result<(), Error> {
        self.0.ready()
    }
}

impl ExpectedKey for [HandshakeKey] {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        self.ready()?;
        let received = received.ok_or(Error::MissingKey)?;
        // Every key, without stopping at a match: which one matched does not show.
        let matched = self.iter().fold(Choice::from(0), |matched, key| {
            matched | key_choice(received.as_bytes(), key.0.as_bytes())
        });
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Error::WrongKey)
        }
    }

    fn ready(&self) -> Result<(), Error> {
        if self.is_empty() {
            Err(Error::EmptyExpectedKey)
        } else {
            Ok(())
        }
    }
}

impl ExpectedKey for Vec<HandshakeKey> {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        self.as_slice().check(received)
    }

    fn ready(&self) -> Result<(), Error> {
        self.as_slice().ready()
    }
}

impl<T: ExpectedKey + ?Sized> ExpectedKey for &T {
    fn check(&self, received: Option<&str>) -> Result<(), Error> {
        (**self).check(received)
    }

    fn ready(&self) -> Result<(), Error> {
        (**self).ready()
    }
}

/// Constant-time equality of a received key with the expected one: the work depends on
/// `expected.len()` only, so neither the position of the first difference nor the candidate's
/// length shows in the timing. An empty key on either side never matches.
pub(crate) fn keys_match(candidate: &[u8], expected: &[u8]) -> bool {
    bool::from(key_choice(candidate, expected))
}

/// [`keys_match`] as a [`Choice`], to combine with others without branching.
fn key_choice(candidate: &[u8], expected: &[u8]) -> Choice {
    // Whether a key is empty is not a secret: its length shows anyway.
    if candidate.is_empty() || expected.is_empty() {
        return Choice::from(0);
    }
    let same_length = (candidate.len() as u64).ct_eq(&(expected.len() as u64));
    same_length & same_bytes(candidate, expected)
}

/// Whether `candidate` starts with `expected`, looking at every byte of `expected`.
fn same_bytes(candidate: &[u8], expected: &[u8]) -> Choice {
    expected
        .iter()
        .enumerate()
        .fold(Choice::from(1), |acc, (i, e)| {
            acc & candidate.get(i).copied().unwrap_or(!e).ct_eq(e)
        })
}

/// Reads a key from a string, and refuses anything else without quoting it: serde's usual
/// message for a number, "invalid type: integer `123`", would print a numeric key.
struct KeyVisitor;

impl KeyVisitor {
    fn refuse<E: de::Error>(self, what: &'static str) -> Result<String, E> {
        Err(E::invalid_type(de::Unexpected::Other(what), &self))
    }
}

impl de::Visitor<'_> for KeyVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
        Ok(key.to_owned())
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<String, E> {
        Ok(key)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        self.refuse("a boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        self.refuse("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        self.refuse("a number")
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<String, E> {
        self.refuse("a number")
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<String, E> {
        self.refuse("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        self.refuse("a number")
    }

    fn visit_char<E: de::Error>(self, _: char) -> Result<String, E> {
        self.refuse("a character")
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<String, E> {
        self.refuse("bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        assert!(keys_match(b"abc", b"abc"));
        for candidate in [&b""[..], b"ab", b"abcd", b"abd", b"Abc", b"abc ", b"\0\0\0"] {
            assert!(!keys_match(candidate, b"abc"), "{candidate:?}");
        }
    }

    #[test]
    fn an_empty_key_on_either_side_never_matches() {
        assert!(!keys_match(b"", b""));
        assert!(!keys_match(b"abc", b""));
        assert!(!keys_match(b"", b"abc"));
        let empty = ReceivedKey::new(String::new());
        assert!(!empty.matches(""));
        assert!(!empty.matches(&String::new()));
        assert_eq!("".check(Some("")), Err(Error::EmptyExpectedKey));
        assert_eq!("abc".check(Some("")), Err(Error::WrongKey));
        // Two empty received keys are equal values (a payload equals itself), not a match.
        assert_eq!(empty, ReceivedKey::new(String::new()));
    }
}
