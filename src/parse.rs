//! [`parse`] and [`parse_verified`]: from body bytes to a [`Payload`].

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::error::{line_column, Failure, Track};
use crate::payload::PayloadReader;
use crate::reader::{Fill, ObjectReader};
use crate::{verify, Error, Payload};

/// Parses the body of a ClinchPad webhook POST.
///
/// The body must be one JSON object in UTF-8 (trailing whitespace is fine). Every data error
/// names the JSON path of the offending value and its line and column; see [`Error`].
/// This does not check the handshake key: use [`parse_verified`] for that.
///
/// ```
/// use clinchpad_webhook::ActivityKind;
///
/// let body = br#"{
///   "activity": {"_id": "52cfbf76cce8b40f0f000005", "created_at": "2014-01-10T09:37:58Z",
///                "note_content": "Hello world!", "type": "note:created"},
///   "lead": {"_id": "52cfa124cce8b4d113000056", "name": "Webhook T"}
/// }"#;
/// let payload = clinchpad_webhook::parse(body)?;
/// if let ActivityKind::NoteCreated { note_content } = &payload.activity.kind {
///     assert_eq!(note_content, "Hello world!");
/// }
///
/// let err = clinchpad_webhook::parse(br#"{"activity": {"_id": 5}}"#).unwrap_err();
/// assert_eq!(err.path(), Some("activity._id"));
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Payload, Error> {
    // Checking UTF-8 once lets serde_json skip its per-string checks.
    let text = std::str::from_utf8(body).map_err(|err| Error::not_utf8(body, err))?;
    let track = Track::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let reader = PayloadReader(ObjectReader::new(&track, ""));
    let mut payload = PayloadReader::placeholder();
    let read = Fill::new(reader, &mut payload)
        .deserialize_into(&mut deserializer)
        .and_then(|()| deserializer.end());
    let Err(err) = read else {
        return Ok(payload);
    };
    let failure = track.into_failure();
    let relocated = failure
        .as_ref()
        // A syntax error keeps serde_json's position: the value around it is not whole.
        .filter(|failure| failure.at_value && err.is_data())
        .and_then(|failure| locate(text, failure))
        .or_else(|| ended_line(body, &err))
        .map(|offset| line_column(body, offset));
    Err(Error::from_json(err, failure, relocated))
}

/// Parses the body and checks its handshake key against `expected_key`: [`parse`], then
/// [`verify`]. A body that is not a valid payload fails before its key is looked at.
///
/// ```
/// use clinchpad_webhook::Error;
///
/// let body = std::fs::read("fixtures/doc_example.json")?;
/// let payload = clinchpad_webhook::parse_verified(&body, "gfhkd1asfsa")?;
/// assert_eq!(payload.lead.name, "Webhook T");
///
/// assert_eq!(clinchpad_webhook::parse_verified(&body, "wrong").unwrap_err(), Error::WrongKey);
/// assert_eq!(clinchpad_webhook::parse_verified(&body, "").unwrap_err(), Error::EmptyExpectedKey);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_verified(body: &[u8], expected_key: &str) -> Result<Payload, Error> {
    if expected_key.is_empty() {
        return Err(Error::EmptyExpectedKey);
    }
    let payload = parse(body)?;
    verify(&payload, expected_key)?;
    Ok(payload)
}

/// serde_json's column is that of the last byte it read, and 0 when that byte is a newline
/// (or when it read nothing): then the offset of that newline (or of the body's start), so
/// that the reported column stays one-based. `None` when serde_json's column is usable.
fn ended_line(body: &[u8], err: &serde_json::Error) -> Option<usize> {
    if err.column() != 0 {
        return None;
    }
    match err.line() {
        0 | 1 => Some(0),
        line => body
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(line - 2)
            .map(|(offset, _)| offset),
    }
}

/// Byte offset of the value that failed, found by walking the body again. Only on the error
/// path: serde_json reports where it stopped (after a wrong value, or at the end of the
/// activity for a per-type field checked once the type is known), and pointing at the start
/// of the value is clearer.
fn locate(text: &str, failure: &Failure) -> Option<usize> {
    let mut value = text;
    let segments = failure.object.split('.').filter(|s| !s.is_empty());
    for key in segments.chain(std::iter::once(failure.key.as_str())) {
        let object: BTreeMap<String, &RawValue> = serde_json::from_str(value).ok()?;
        value = object.get(key)?.get();
    }
    (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize)
}
