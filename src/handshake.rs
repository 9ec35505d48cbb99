//! [`HandshakeKey`]: the shared secret, compared in constant time and never printed.

use std::fmt;

use serde::de;
use subtle::{Choice, ConstantTimeEq};

use crate::Error;

/// A handshake key: the shared secret ClinchPad sends with each payload.
///
/// - Equality (`==`, [`matches`](HandshakeKey::matches)) takes time that depends only on the
///   length of the key it is compared with, never on where two keys differ.
/// - `Debug` prints `HandshakeKey(<redacted>)`; there is no `Display`. Reading the text takes
///   the explicit [`expose_secret`](HandshakeKey::expose_secret).
/// - `Serialize` writes the key, so a payload serialized and parsed again is equal to itself.
///
/// ```
/// use clinchpad_webhook::HandshakeKey;
///
/// let key = HandshakeKey::new("gfhkd1asfsa")?;
/// assert!(key.matches("gfhkd1asfsa"));
/// assert!(!key.matches("gfhkd1asfsA"));
/// assert_eq!(format!("{key:?}"), "HandshakeKey(<redacted>)");
/// assert!(HandshakeKey::new("").is_err());
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
#[derive(Clone)]
pub struct HandshakeKey(String);

impl HandshakeKey {
    /// Wraps a key to compare payloads against. An empty key is refused with
    /// [`Error::EmptyExpectedKey`]: it would mean "no key configured", never "accept all".
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        if key.is_empty() {
            Err(Error::EmptyExpectedKey)
        } else {
            Ok(HandshakeKey(key))
        }
    }

    /// Wraps a key received on the wire, which may be empty.
    pub(crate) fn received(key: String) -> Self {
        HandshakeKey(key)
    }

    /// Compares `candidate` with this key in constant time.
    ///
    /// ```
    /// let key = clinchpad_webhook::HandshakeKey::new("s3cret")?;
    /// assert!(key.matches("s3cret") && !key.matches("s3cre"));
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
}

/// Constant-time equality: the work depends on `expected.len()` only, so neither the
/// position of the first difference nor the candidate's length shows in the timing.
pub(crate) fn keys_match(candidate: &[u8], expected: &[u8]) -> bool {
    let same_length = (candidate.len() as u64).ct_eq(&(expected.len() as u64));
    let same_bytes = expected
        .iter()
        .enumerate()
        .fold(Choice::from(1), |acc, (i, e)| {
            acc & candidate.get(i).copied().unwrap_or(!e).ct_eq(e)
        });
    bool::from(same_length & same_bytes)
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

impl serde::Serialize for HandshakeKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for HandshakeKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any`, so that a number reaches the visitor: for `deserialize_string`
        // serde_json writes the error itself, quoting the number.
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Reads a key from a string, and refuses anything else without quoting it: serde's usual
/// message for a number, "invalid type: integer `123`", would print a numeric key.
struct KeyVisitor;

impl KeyVisitor {
    fn refuse<E: de::Error>(self, what: &'static str) -> Result<HandshakeKey, E> {
        Err(E::invalid_type(de::Unexpected::Other(what), &self))
    }
}

impl de::Visitor<'_> for KeyVisitor {
    type Value = HandshakeKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<HandshakeKey, E> {
        Ok(HandshakeKey::received(key.to_owned()))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<HandshakeKey, E> {
        Ok(HandshakeKey::received(key))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<HandshakeKey, E> {
        self.refuse("a boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<HandshakeKey, E> {
        self.refuse("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<HandshakeKey, E> {
        self.refuse("a number")
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<HandshakeKey, E> {
        self.refuse("a number")
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<HandshakeKey, E> {
        self.refuse("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<HandshakeKey, E> {
        self.refuse("a number")
    }

    fn visit_char<E: de::Error>(self, _: char) -> Result<HandshakeKey, E> {
        self.refuse("a character")
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<HandshakeKey, E> {
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
        assert!(keys_match(b"", b""));
    }
}
