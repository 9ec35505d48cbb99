//! [`Rejection`]: why a [`Receiver`](crate::Receiver) refused a request, with the HTTP status
//! to answer.

use std::fmt;

use crate::Error;

/// Why a [`Receiver`](crate::Receiver) refused a request, with the HTTP status to answer. Its
/// `Display` is one line of at most a few hundred bytes, however the rejection was built, and
/// what [`Receiver::receive`](crate::Receiver::receive) returns never holds a configured key:
/// safe to log, and to send back as the response's body. Its `Debug` is as bounded.
#[non_exhaustive]
pub enum Rejection {
    /// `400 Bad Request`: the body is not a valid payload. The error has the JSON path, line
    /// and column at fault, and so has the text.
    InvalidPayload(Error),
    /// `401 Unauthorized`: a key is configured, and the request carries none
    /// ([`Error::MissingKey`]) or a copy that does not match ([`Error::WrongKey`]).
    Unauthorized(Error),
    /// `413 Payload Too Large`: the body is longer than the limit.
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// `400 Bad Request`: the framework could not read the body (the client went away, a
    /// broken chunked encoding). Made by adapters with [`Rejection::body_unreadable`]; built
    /// directly, its reason is still shown as one bounded line, escaped.
    BodyUnreadable(String),
}

impl Rejection {
    /// A [`BodyUnreadable`](Rejection::BodyUnreadable) rejection, with the framework's reason
    /// made one bounded line.
    pub fn body_unreadable(reason: impl fmt::Display) -> Self {
        Rejection::BodyUnreadable(crate::text::escape::one_line(&reason.to_string()))
    }

    /// The HTTP status to answer with: 400, 401 or 413.
    ///
    /// ```
    /// use clinchpad_webhook::{Error, Rejection};
    ///
    /// assert_eq!(Rejection::Unauthorized(Error::WrongKey).status(), 401);
    /// assert_eq!(Rejection::PayloadTooLarge { limit: 10 }.status(), 413);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Rejection::InvalidPayload(_) | Rejection::BodyUnreadable(_) => 400,
            Rejection::Unauthorized(_) => 401,
            Rejection::PayloadTooLarge { .. } => 413,
        }
    }

    /// The crate's error behind the rejection, for a bad body or key.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Rejection::InvalidPayload(err) | Rejection::Unauthorized(err) => Some(err),
            _ => None,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::InvalidPayload(err) => {
                write!(f, "invalid ClinchPad webhook payload: {err}")
            }
            Rejection::Unauthorized(Error::MissingKey) => f.write_str(
                "handshake key missing: send it as the `handshake_key` body field or query parameter",
            ),
            Rejection::Unauthorized(_) => {
                f.write_str("handshake key does not match the expected key")
            }
            Rejection::PayloadTooLarge { limit } => {
                write!(f, "request body is larger than the limit of {limit} bytes")
            }
            Rejection::BodyUnreadable(reason) => {
                write!(
                    f,
                    "could not read the request body: {}",
                    crate::text::escape::one_line(reason)
                )
            }
        }
    }
}

/// The variant and what it holds, as bounded as the `Display`.
impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::InvalidPayload(err) => f.debug_tuple("InvalidPayload").field(err).finish(),
            Rejection::Unauthorized(err) => f.debug_tuple("Unauthorized").field(err).finish(),
            Rejection::PayloadTooLarge { limit } => f
                .debug_struct("PayloadTooLarge")
                .field("limit", limit)
                .finish(),
            Rejection::BodyUnreadable(reason) => f
                .debug_tuple("BodyUnreadable")
                .field(&crate::text::escape::one_line(reason))
                .finish(),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().map(|err| err as _)
    }
}
