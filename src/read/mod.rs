//! Reading: from body bytes to typed values, and back to where a failure is.
//!
//! Everything here is private to the crate; the model (`Payload`, `Lead`, the activity
//! structs) and [`parse`](crate::parse) are its public face. This folder owns the rules of
//! reading: a key repeated in any object is refused ([`reader`], [`extra`]), unknown fields
//! are kept ([`extra`]), the leniency the documentation leaves room for is in one place
//! ([`wire`], [`parsed_text`]), and a failed read is an error whose line and column are those
//! of the value it is about ([`body`], [`locate`], with [`scan`], a scanner that gives byte
//! offsets). [`query`] reads a query string's parameters, as an HTML form is decoded.

#[macro_use]
pub(crate) mod reader;
pub(crate) mod body;
pub(crate) mod extra;
pub(crate) mod locate;
pub(crate) mod parsed_text;
pub(crate) mod query;
pub(crate) mod scan;
pub(crate) mod wire;
