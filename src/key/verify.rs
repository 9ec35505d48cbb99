//! [`verify`] and [`verify_key`]: checking the handshake key.

use crate::{Error, ExpectedKey, Payload};

/// Checks that the payload carries the handshake key `expected_key`: a
/// [`HandshakeKey`](crate::HandshakeKey), or the key's text.
///
/// The comparison is constant-time. An empty `expected_key` is
/// [`Error::EmptyExpectedKey`], never a pass; a payload without a key is
/// [`Error::MissingKey`]; a different key, or an empty one, is [`Error::WrongKey`]. No error
/// holds either key.
///
/// ```
/// use clinchpad_webhook::{verify, Error, HandshakeKey};
///
/// let payload = clinchpad_webhook::parse(&std::fs::read("fixtures/doc_example.json")?)?;
/// let key = HandshakeKey::new("gfhkd1asfsa")?; // once, at start-up
/// assert_eq!(verify(&payload, &key), Ok(()));
/// assert_eq!(verify(&payload, "gfhkd1asfsa"), Ok(()));
/// assert_eq!(verify(&payload, "gfhkd1asfsb"), Err(Error::WrongKey));
/// assert_eq!(verify(&payload, ""), Err(Error::EmptyExpectedKey));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify<K: ExpectedKey + ?Sized>(payload: &Payload, expected_key: &K) -> Result<(), Error> {
    let received = payload
        .handshake_key
        .as_ref()
        .map(|key| key.expose_secret());
    expected_key.check(received)
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
/// assert_eq!(verify_key(Some(""), "gfhkd1asfsa"), Err(Error::WrongKey));
/// assert_eq!(verify_key(Some("x"), ""), Err(Error::EmptyExpectedKey));
/// ```
pub fn verify_key<K: ExpectedKey + ?Sized>(
    received: Option<&str>,
    expected_key: &K,
) -> Result<(), Error> {
    expected_key.check(received)
}
