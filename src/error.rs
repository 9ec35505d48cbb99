//! The crate's one error type, and the bookkeeping that gives each data error its path.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::text::path::{write_path, Segment};

/// Everything that can go wrong while reading or verifying a webhook payload, or setting up
/// the key to verify it with.
///
/// Data errors say where: [`Error::InvalidPayload`] carries the [path](Error::path) of the
/// offending value (`activity.created_at`, `lead.stage._id`, `lead.extra[3].x`, ...) and, like
/// [`Error::NotJson`], the one-based line and column (counted in bytes) in the body.
///
/// Every error's `Display` is one line of at most 400 bytes, whatever the body: input quoted
/// in it is cut after 64 bytes, a long path is shown with its middle left out ([`path`]
/// gives it whole), and control characters, line separators and bidirectional overrides are
/// escaped (`\n`, `\u{1b}`), so that logging an error can never write a line the body made
/// up. No variant ever holds or prints a handshake key.
///
/// [`path`]: Error::path
///
/// ```
/// let err = clinchpad_webhook::parse(br#"{"activity": {}, "lead": {}}"#).unwrap_err();
/// assert_eq!(err.path(), Some("activity._id"));
/// assert!(err.to_string().contains("activity._id"));
///
/// let forged = br#"{"activity": {"_id": "a", "type": "lead:won",
///     "created_at": "2024-03-05T14:07:31Z\n[INFO] admin logged in"}}"#;
/// let err = clinchpad_webhook::parse(forged).unwrap_err();
/// assert!(!err.to_string().contains('\n'));
/// assert!(err.to_string().contains(r"2024-03-05T14:07:31Z\n[INFO]"));
/// ```
///
/// # Paths
///
/// A path names one value of the body: keys that are identifiers are joined with `.`, array
/// elements are their zero-based index in brackets, and any other key is a JSON string in
/// brackets, so that no two places share a path:
///
/// | path | the value |
/// |---|---|
/// | `""` | the body itself |
/// | `activity.created_at` | `created_at` of the `activity` object |
/// | `lead.extra[3].x` | key `x` of the fourth element of the lead's unknown field `extra` |
/// | `lead["a.b"]` | the lead's unknown field named `a.b` |
/// | `lead["x\ny"]` | a key holding a newline, written with JSON's escapes |
///
/// ```
/// let body = br#"{"activity": {"_id": "a", "type": "lead:won", "created_at": "2024-03-05T14:07:31Z"},
///                 "lead": {"_id": "l", "name": "Acme", "extra": [0, 1, 2, {"x": 1, "x": 2}]}}"#;
/// let err = clinchpad_webhook::parse(body).unwrap_err();
/// assert_eq!(err.path(), Some("lead.extra[3].x"));
/// assert_eq!((err.line(), err.column()), (Some(2), Some(82))); // the repeated `"x"`
/// ```
///
/// # `Debug` is the message
///
/// `{:?}` writes the same line as `{}`, so that `fn main() -> Result<(), Box<dyn Error>>`,
/// which prints `Error: {:?}` when it fails, shows what went wrong and what to do
/// (`Error: handshake key not configured: environment variable "…" is not set; …`). `{:#?}`
/// writes the variant and its fields.
///
/// ```
/// # std::env::remove_var("CLINCHPAD_KEY_UNSET_IN_THIS_EXAMPLE");
/// let err = clinchpad_webhook::Receiver::from_env("CLINCHPAD_KEY_UNSET_IN_THIS_EXAMPLE").unwrap_err();
/// let from_main: Box<dyn std::error::Error> = err.clone().into();
/// assert_eq!(format!("{from_main:?}"), err.to_string());
/// assert!(format!("{err:#?}").starts_with("KeyNotConfigured {"));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
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
        /// The [path](Error#paths) of the offending value, e.g. `lead.stage._id`; empty for
        /// the top-level value itself. For a key that appears twice, the path of that key.
        path: String,
        /// What is wrong, without the position.
        message: String,
        /// One-based line of the offending value, or of the repeated key.
        line: usize,
        /// One-based column (in bytes) of the offending value, or of the repeated key.
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
    /// The expected key was to be read from an environment variable that is not set, is
    /// empty, or is not valid Unicode. The message names the variable, never its value.
    #[error(
        "handshake key not configured: environment variable {} is {problem}; set it to the key \
         set in ClinchPad, or opt out of verification explicitly",
        crate::text::escape::quote(.variable)
    )]
    #[non_exhaustive]
    KeyNotConfigured {
        /// The variable's name.
        variable: String,
        /// What is wrong with it.
        problem: VarProblem,
    },
}

/// The message, or with `{:#?}` the variant and its fields: see [`Error`].
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !f.alternate() {
            return std::fmt::Display::fmt(self, f);
        }
        match self {
            Error::NotJson {
                message,
                line,
                column,
            } => f
                .debug_struct("NotJson")
                .field("message", message)
                .field("line", line)
                .field("column", column)
                .finish(),
            Error::InvalidPayload {
                path,
                message,
                line,
                column,
            } => f
                .debug_struct("InvalidPayload")
                .field("path", path)
                .field("message", message)
                .field("line", line)
                .field("column", column)
                .finish(),
            Error::MissingKey => f.write_str("MissingKey"),
            Error::WrongKey => f.write_str("WrongKey"),
            Error::EmptyExpectedKey => f.write_str("EmptyExpectedKey"),
            Error::KeyNotConfigured { variable, problem } => f
                .debug_struct("KeyNotConfigured")
                .field("variable", variable)
                .field("problem", problem)
                .finish(),
        }
    }
}

/// Why [`Error::KeyNotConfigured`]: what is wrong with the environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VarProblem {
    /// The variable is not set.
    Unset,
    /// The variable is set to the empty string.
    Empty,
    /// The variable's value is not valid Unicode.
    NotUnicode,
    /// The variable's value starts or ends with whitespace, as a key read from a file with
    /// its trailing newline does.
    Whitespace,
}

impl std::fmt::Display for VarProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VarProblem::Unset => "not set",
            VarProblem::Empty => "empty",
            VarProblem::NotUnicode => "not valid Unicode",
            VarProblem::Whitespace => {
                "set with whitespace at its start or end (a trailing newline from a file?)"
            }
        })
    }
}

/// The path as the message shows it: in backticks, and with its middle left out when it is
/// long (a path holds keys from the body). [`Error::path`] gives it whole.
fn place(path: &str) -> Cow<'_, str> {
    const SHOWN: usize = 100;
    if path.is_empty() {
        return Cow::Borrowed("the top level");
    }
    if path.len() <= SHOWN {
        return Cow::Owned(format!("`{path}`"));
    }
    let mut head = SHOWN / 3;
    while !path.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = path.len() - (SHOWN - head);
    while !path.is_char_boundary(tail) {
        tail += 1;
    }
    Cow::Owned(format!("`{}…{}`", &path[..head], &path[tail..]))
}

impl Error {
    /// The [path](Error#paths) of the offending value, for [`Error::InvalidPayload`].
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
            Error::MissingKey
                | Error::WrongKey
                | Error::EmptyExpectedKey
                | Error::KeyNotConfigured { .. }
        )
    }

    /// The error with every form of each of `secrets` masked in its text: its message and
    /// its path, which quote the body.
    pub(crate) fn redacted(self, secrets: &[&str]) -> Error {
        let mask = |text: String| match crate::key::redact::redact(&text, secrets.iter().copied()) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(masked) => masked,
        };
        match self {
            Error::NotJson {
                message,
                line,
                column,
            } => Error::NotJson {
                message: mask(message),
                line,
                column,
            },
            Error::InvalidPayload {
                path,
                message,
                line,
                column,
            } => Error::InvalidPayload {
                path: mask(path),
                message: mask(message),
                line,
                column,
            },
            other => other,
        }
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
    /// offending value or repeated key, found from the failure's path (`serde_json` reports
    /// where it stopped reading, after the value); or of the newline `serde_json` reports as
    /// column 0 of the next line.
    pub(crate) fn from_json(
        err: serde_json::Error,
        failure: Option<Failure>,
        relocated: Option<(usize, usize)>,
    ) -> Error {
        let message = crate::text::escape::one_line(&bare_message(&err));
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

/// What the error of a failed parse points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spot {
    /// The value at the path (a wrong value): the error points at where it starts.
    Value,
    /// The key at the end of the path appeared twice: the error points at its second copy.
    RepeatedKey,
    /// A required key is missing: the error keeps `serde_json`'s position, the object's end.
    End,
}

/// Where the first failure of a parse happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The path, innermost segment first: each reader adds its own while the error unwinds.
    segments: Vec<Segment>,
    pub spot: Spot,
}

impl Failure {
    /// The path's segments, outermost first.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().rev()
    }

    pub(crate) fn path(&self) -> String {
        write_path(self.segments())
    }
}

/// Records the path of the first failure while the readers unwind.
///
/// `serde_json` errors carry a line and column but no path. The reader that sees a failure
/// first (a wrong value, a repeated key, a missing field) records what it is about; each
/// reader the error then passes through adds the key or index it was reading.
#[derive(Debug, Default)]
pub(crate) struct Track {
    failure: RefCell<Option<Failure>>,
    /// Whether a documented type's fields that do not fit are kept as
    /// [`ActivityKind::Drifted`](crate::ActivityKind::Drifted) instead of failing the read.
    tolerate_drift: bool,
}

impl Track {
    /// A track for the tolerant reading of [`Receiver::accept`](crate::Receiver::accept).
    pub(crate) fn tolerant() -> Self {
        Track {
            failure: RefCell::default(),
            tolerate_drift: true,
        }
    }

    pub(crate) fn tolerates_drift(&self) -> bool {
        self.tolerate_drift
    }

    /// Reading the value at `segment` failed: the failure is there, unless a reader inside
    /// that value recorded one already, which is then inside `segment`.
    #[cold]
    pub(crate) fn value_failed(&self, segment: Segment) {
        let mut failure = self.failure.borrow_mut();
        match failure.as_mut() {
            Some(failure) => failure.segments.push(segment),
            None => {
                *failure = Some(Failure {
                    segments: vec![segment],
                    spot: Spot::Value,
                })
            }
        }
    }

    /// The failure is about the key `key` of the object being read, or its value (`spot`).
    #[cold]
    pub(crate) fn fail(&self, key: &str, spot: Spot) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(Failure {
                segments: vec![Segment::Key(key.into())],
                spot,
            });
        }
    }

    pub(crate) fn take_failure(&self) -> Option<Failure> {
        self.failure.take()
    }
}
