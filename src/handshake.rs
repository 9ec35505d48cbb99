//! [`HandshakeKey`]: the shared secret, compared in constant time and never printed.

use std::fmt;

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
        String::deserialize(deserializer).map(HandshakeKey::received)
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
