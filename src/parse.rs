//! [`parse`] and [`parse_verified`]: from body bytes to a [`Payload`].

use crate::error::Track;
use crate::payload::PayloadReader;
use crate::read::body::failed;
use crate::read::locate::locate_path;
use crate::read::reader::{Fill, ObjectReader};
use crate::text::path::Segment;
use crate::{verify, Error, ExpectedKey, Payload};

/// Parses the body of a ClinchPad webhook POST.
///
/// The body must be one JSON object in UTF-8 (trailing whitespace is fine). Every data error
/// names the JSON path of the offending value and its line and column; see [`Error`].
/// This does not check the handshake key: use [`parse_verified`] for that.
///
/// ```
/// use clinchpad_webhook::{activity::NoteCreated, ActivityKind};
///
/// let body = br#"{
///   "activity": {"_id": "52cfbf76cce8b40f0f000005", "created_at": "2014-01-10T09:37:58Z",
///                "note_content": "Hello world!", "type": "note:created"},
///   "lead": {"_id": "52cfa124cce8b4d113000056", "name": "Webhook T"}
/// }"#;
/// let payload = clinchpad_webhook::parse(body)?;
/// if let ActivityKind::NoteCreated(NoteCreated { note_content }) = &payload.activity.kind {
///     assert_eq!(note_content, "Hello world!");
/// }
///
/// let err = clinchpad_webhook::parse(br#"{"activity": {"_id": 5}}"#).unwrap_err();
/// assert_eq!(err.path(), Some("activity._id"));
/// # Ok::<(), clinchpad_webhook::Error>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Payload, Error> {
    read_payload(body, &Track::default())
}

/// [`parse`], except that a documented type whose fields do not fit is read as
/// [`ActivityKind::Drifted`](crate::ActivityKind::Drifted): the typed part of what
/// [`Receiver::accept`](crate::Receiver::accept) hands over.
pub(crate) fn parse_tolerant(body: &[u8]) -> Result<Payload, Error> {
    read_payload(body, &Track::tolerant())
}

// Always inlined: `parse` is the hot path, and it keeps the code it had as one function
// (measured in instructions, anything else cost it up to 1 %).
#[inline(always)]
fn read_payload(body: &[u8], track: &Track) -> Result<Payload, Error> {
    // Checking UTF-8 once lets serde_json skip its per-string checks.
    let text = std::str::from_utf8(body).map_err(|err| Error::not_utf8(body, err))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let reader = PayloadReader(ObjectReader::new(track));
    let mut payload = PayloadReader::placeholder();
    let read = Fill::new(reader, &mut payload)
        .deserialize_into(&mut deserializer)
        .and_then(|()| deserializer.end());
    let Err(err) = read else {
        keep_number_texts(text, &mut payload);
        return Ok(payload);
    };
    Err(failed(body, text, track, err))
}

/// Parses the body and checks its handshake key against `expected_key` (a
/// [`HandshakeKey`](crate::HandshakeKey), or the key's text): [`parse`], then [`verify`]. An
/// empty expected key fails first, then a body that is not a valid payload, before its key is
/// looked at.
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
pub fn parse_verified<K: ExpectedKey + ?Sized>(
    body: &[u8],
    expected_key: &K,
) -> Result<Payload, Error> {
    expected_key.ready()?;
    let payload = parse(body)?;
    verify(&payload, expected_key)?;
    Ok(payload)
}

/// Puts back the body's own text of a number in a text field that takes one (`record_value`:
/// `19.90`, `1e3`, `12345678901234567890123`), which the reader had only as `serde_json`
/// parsed it. Only for a text that reads as a number, so a field of words costs nothing.
fn keep_number_texts(text: &str, payload: &mut Payload) {
    payload.activity.kind.scalar_texts_mut(|field, value| {
        if !value.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return;
        }
        let path = [Segment::Key("activity".into()), Segment::Key(field.into())];
        let Some(at) = locate_path(text, &[&path[0], &path[1]], false) else {
            return;
        };
        let number = &text[at..];
        let end = number
            .find(|c: char| !matches!(c, '0'..='9' | '-' | '+' | '.' | 'e' | 'E'))
            .unwrap_or(number.len());
        // A string holding digits stays as it is: it starts with a quote, and `end` is 0.
        if end > 0 {
            *value = number[..end].to_owned();
        }
    });
}
