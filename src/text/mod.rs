//! Text the crate writes: what it quotes from a body escaped and bounded, and the syntax of
//! the path that says where.
//!
//! This folder owns the rule that every message is one bounded line ([`escape`]) and the
//! path syntax of [`Error::path`](crate::Error::path) ([`path`]).

pub(crate) mod escape;
pub(crate) mod path;
