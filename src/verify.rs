//! [`verify`] and [`verify_key`]: checking the handshake key.

use crate::handshake::keys_match;
use crate::{Error, Payload};

/// Checks that the payload carries the handshake key `expected_key`.
///
/// The comparison is constant-time. An empty `expected_key` is
/// [`Error::EmptyExpectedKey`], never a pass; a payload without a key is
/// [`Error::MissingKey`]; a different key is [`Error::WrongKey`]. No error holds either key.
///
/// ```
/// use clinchpad_webhook::{verify, Error};
///
/// let payload = clinchpad_webhook::parse(&std::fs::read("fixtures/doc_example.json")?)?;
/// assert_eq!(verify(&payload, "gfhkd1asfsa"), Ok(()));
/// assert_eq!(verify(&payload, "gfhkd1asfsb"), Err(Error::WrongKey));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(payload: &Payload, expected_key: &str) -> Result<(), Error> {
    let received = payload
        .handshake_key
        .as_ref()
        .map(|key| key.expose_secret());
    verify_key(received, expected_key)
}

/// Checks a handshake key that arrived outside the body, e.g. as a `handshake_key` query
/// parameter, with the same constant-time comparison and the same errors as [`verify`].
///
/// ```
/// use clinchpad_webhook::{verify_key, Error};
///
/// // e.g. from `POST /hooks/clinchpad?handshake_key=...`
/// assert_eq!(verify_key(Some("gfhkd1asfsa"), "gfhkd1asfsa"), Ok(()));
/// assert_eq!(verify_key(None, "gfhkd1asfsa"), Err(Error::MissingKey));
/// assert_eq!(verify_key(Some("x"), ""), Err(Error::EmptyExpectedKey));
/// ```
pub fn verify_key(received: Option<&str>, expected_key: &str) -> Result<(), Error> {
    if expected_key.is_empty() {
        return Err(Error::EmptyExpectedKey);
    }
    let received = received.ok_or(Error::MissingKey)?;
    if keys_match(received.as_bytes(), expected_key.as_bytes()) {
        Ok(())
    } else {
        Err(Error::WrongKey)
    }
}
