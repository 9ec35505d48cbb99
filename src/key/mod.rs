//! The handshake key: what is expected, what came, how they are compared, and how a key is
//! kept out of everything shown or stored.
//!
//! This folder owns the rules of the key: a [`HandshakeKey`](crate::HandshakeKey) is never
//! empty and never printed, and keys are compared in constant time ([`handshake`],
//! [`verify`]); a key's text is masked wherever a message, a `Debug` or a log line could show
//! it ([`redact`]); a body is stored with the keys masked in its free text only
//! ([`masked_body`]); the `handshake_key` is removed from a raw body or query kept as it came
//! ([`strip`]).

pub(crate) mod handshake;
pub(crate) mod masked_body;
pub(crate) mod redact;
pub(crate) mod strip;
pub(crate) mod verify;
