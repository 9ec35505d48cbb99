//! A body read as JSON: its text checked as UTF-8, one value read as strictly as a payload is,
//! and a failed read turned into an [`Error`] with its path, line and column.

use serde::de::DeserializeSeed;
use serde_json::Value;

use crate::error::{line_column, Spot, Track};
use crate::read::extra::StrictValue;
use crate::read::locate::locate;
use crate::Error;

/// The body as one JSON value, read as strictly as a payload is (UTF-8, no byte-order mark,
/// nothing after it, nesting within serde_json's limit, no key twice in any object), whatever
/// its shape: what [`Receiver::accept`](crate::Receiver::accept) checks a body with when it
/// is not a payload. Errors have their path, line and column as [`parse`](crate::parse)'s do.
pub(crate) fn read_value(body: &[u8]) -> Result<Value, Error> {
    let text = std::str::from_utf8(body).map_err(|err| Error::not_utf8(body, err))?;
    let track = Track::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = StrictValue(&track)
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    read.map_err(|err| failed(body, text, &track, err))
}

/// A failed read as an [`Error`]: with the path `track` recorded, and the position found from
/// it.
#[cold]
pub(crate) fn failed(body: &[u8], text: &str, track: &Track, err: serde_json::Error) -> Error {
    let failure = track.take_failure();
    let relocated = failure
        .as_ref()
        // A syntax error keeps serde_json's position: the value around it is not whole. So
        // does a missing field: serde_json stopped at the end of the object that lacks it.
        .filter(|failure| failure.spot != Spot::End && err.is_data())
        .and_then(|failure| locate(text, failure))
        .or_else(|| ended_line(body, &err))
        .map(|offset| line_column(body, offset));
    Error::from_json(err, failure, relocated)
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
