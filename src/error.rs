//! The crate's one error type, and the bookkeeping that gives each data error its path.

use std::borrow::Cow;
use std::cell::RefCell;

/// Everything that can go wrong while reading or verifying a webhook payload.
///
/// Data errors say where: [`Error::InvalidPayload`] carries the JSON path of the offending
/// value (`activity.created_at`, `lead.stage._id`, ...) and, like [`Error::NotJson`], the
/// one-based line and column (counted in bytes) in the body. No variant ever holds or prints
/// a handshake key.
///
/// ```
/// let err = clinchpad_webhook::parse(br#"{"activity": {}, "lead": {}}"#).unwrap_err();
/// assert_eq!(err.path(), Some("activity._id"));
/// assert!(err.to_string().contains("activity._id"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not one well-formed JSON value in UTF-8 (syntax error, truncation,
    /// trailing bytes, invalid UTF-8, a byte-order mark, a lone surrogate escape), or is JSON
    /// beyond what `serde_json` reads: a number out of `f64`'s range (`1e400`) or nesting 128
    /// levels deep. These are found while reading the text, so they carry no path.
    #[error("body is not JSON: {message} at line {line}, column {column}")]
    #[non_exhaustive]
    NotJson {
        /// What is wrong, without the position.
        message: String,
        /// One-based line of the offending byte.
        line: usize,
        /// One-based column (in bytes) of the offending byte.
        column: usize,
    },
    /// The body is JSON but not a ClinchPad payload: a required field is missing or null, a
    /// value has the wrong type or format, or a key appears twice in one object.
    #[error("invalid payload at {}, line {line}, column {column}: {message}", place(.path))]
    #[non_exhaustive]
    InvalidPayload {
        /// Dotted JSON path of the offending value, e.g. `lead.stage._id`; empty for the
        /// top-level value itself.
        path: String,
        /// What is wrong, without the position.
        message: String,
        /// One-based line of the offending value.
        line: usize,
        /// One-based column (in bytes) of the offending value.
        column: usize,
    },
    /// Verification was asked for but the payload carries no handshake key.
    #[error("handshake key missing: the payload carries no handshake key")]
    MissingKey,
    /// The payload's handshake key is not the expected one.
    #[error("handshake key does not match the expected key")]
    WrongKey,
    /// The expected key is empty: a configuration mistake that must never let payloads pass.
    #[error("expected handshake key is empty: configure the key set in ClinchPad")]
    EmptyExpectedKey,
}

fn place(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        Cow::Borrowed("the top level")
    } else {
        Cow::Owned(format!("`{path}`"))
    }
}

impl Error {
    /// The JSON path of the offending value, for [`Error::InvalidPayload`].
    ///
    /// ```
    /// let body = br#"{"activity": {"_id": "a", "type": "lead:won", "created_at": "yesterday"},
    ///                 "lead": {"_id": "l", "name": "Acme"}}"#;
    /// let err = clinchpad_webhook::parse(body).unwrap_err();
    /// assert_eq!(err.path(), Some("activity.created_at"));
    /// ```
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::InvalidPayload { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The one-based line of the offending byte or value, for data errors.
    ///
    /// ```
    /// let err = clinchpad_webhook::parse(b"{\n  \"activity\": nope").unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// ```
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::NotJson { line, .. } | Error::InvalidPayload { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The one-based column, in bytes, of the offending byte or value, for data errors.
    ///
    /// ```
    /// let err = clinchpad_webhook::parse(b"{\"activity\" nope").unwrap_err();
    /// assert_eq!(err.column(), Some(13));
    /// ```
    pub fn column(&self) -> Option<usize> {
        match self {
            Error::NotJson { column, .. } | Error::InvalidPayload { column, .. } => Some(*column),
            _ => None,
        }
    }

    /// Whether the error is about the handshake key (missing, wrong, or not configured),
    /// as opposed to the body's content: the line between "401" and "400" for a receiver.
    ///
    /// ```
    /// assert!(clinchpad_webhook::Error::WrongKey.is_key_error());
    /// assert!(!clinchpad_webhook::parse(b"[]").unwrap_err().is_key_error());
    /// ```
    pub fn is_key_error(&self) -> bool {
        matches!(
            self,
            Error::MissingKey | Error::WrongKey | Error::EmptyExpectedKey
        )
    }

    pub(crate) fn not_utf8(body: &[u8], err: std::str::Utf8Error) -> Error {
        let (line, column) = line_column(body, err.valid_up_to());
        Error::NotJson {
            message: "invalid UTF-8".to_owned(),
            line,
            column,
        }
    }

    /// Turns a `serde_json` error into ours. `relocated` is the line and column of the
    /// offending value when the error was found after the value was read (a field checked once
    /// the activity's type was known), in which case `serde_json`'s position is the end of the
    /// object; or of the newline `serde_json` reports as column 0 of the next line.
    pub(crate) fn from_json(
        err: serde_json::Error,
        failure: Option<Failure>,
        relocated: Option<(usize, usize)>,
    ) -> Error {
        let message = bare_message(&err);
        let (line, column) = relocated.unwrap_or((err.line(), err.column()));
        match err.classify() {
            serde_json::error::Category::Data => Error::InvalidPayload {
                path: failure.map(|f| f.path()).unwrap_or_default(),
                message,
                line,
                column,
            },
            _ => Error::NotJson {
                message,
                line,
                column,
            },
        }
    }
}

/// `serde_json` appends " at line L column C" to its messages; we report those separately.
fn bare_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&suffix) {
        Some(bare) => bare.to_owned(),
        None => full,
    }
}

/// One-based line and column (in bytes) of `offset` in `text`.
pub(crate) fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// Shortens attacker-controlled text (keys, values) before it goes into a message.
pub(crate) fn shorten(text: &str) -> Cow<'_, str> {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// Where the first (innermost) failure of a parse happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// Dotted path of the object holding the failing key (`""` for the top level).
    pub object: &'static str,
    /// The failing key, shortened.
    pub key: String,
    /// True when the failure is about the key's value (not a missing or repeated key): the
    /// error then points at the start of that value (see `parse::locate`).
    pub at_value: bool,
}

impl Failure {
    pub(crate) fn path(&self) -> String {
        if self.object.is_empty() {
            self.key.clone()
        } else {
            format!("{}.{}", self.object, self.key)
        }
    }
}

/// Records the path of the first failure while the hand-written visitors unwind.
///
/// `serde_json` errors carry a line and column but no path; each of our visitors knows its
/// own path, so the innermost one to see an error writes it down here and outer ones leave it.
#[derive(Debug, Default)]
pub(crate) struct Track {
    failure: RefCell<Option<Failure>>,
}

impl Track {
    pub(crate) fn fail(&self, object: &'static str, key: &str, at_value: bool) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(Failure {
                object,
                key: shorten(key).into_owned(),
                at_value,
            });
        }
    }

    pub(crate) fn into_failure(self) -> Option<Failure> {
        self.failure.into_inner()
    }
}
