//! A key's text masked wherever it shows in a text: the machinery behind
//! [`HandshakeKey::redact`](crate::HandshakeKey::redact) and
//! [`Receiver::redact`](crate::Receiver::redact).
//!
//! A key can reach a message by a way no one meant: posted as a body's `created_at`, as the
//! whole body, in a note, as an object's key. Where the key's text arrives, it may come out
//! written as it is, escaped (by the crate's messages, by `{:?}`, by JSON), or cut part way
//! with `…` by a message or a window that shortens what it quotes. Each of these is masked.

use std::borrow::Cow;

use crate::text::escape::{escape_text, push_quoted};

/// What a key's text is replaced with: the same whatever the key, so that it shows neither
/// the key nor its length.
pub(crate) const MASK: &str = "***";

/// Where a shortened text was cut.
const CUT: char = '…';

/// The shortest piece of a key, in bytes, masked where a text is cut inside it: a lone
/// character in common with a key's first or last is no leak, two are a start.
const SHORTEST_PIECE: usize = 2;

/// `text` with every form of every secret in `secrets` masked. Empty secrets are skipped.
pub(crate) fn redact<'t, 's>(
    text: &'t str,
    secrets: impl IntoIterator<Item = &'s str>,
) -> Cow<'t, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets {
        for form in forms(secret) {
            if let Some(masked) = mask_form(&out, &form) {
                out = Cow::Owned(masked);
            }
        }
    }
    out
}

/// The keys a value made by a [`Receiver`](crate::Receiver) masks in what it shows of a
/// request: the receiver's own. Not part of what the value is: two values are equal, or not,
/// whichever receiver made them.
#[derive(Clone, Default)]
pub(crate) struct Masking(pub(crate) std::sync::Arc<Vec<crate::HandshakeKey>>);

impl Masking {
    /// The keys' texts.
    pub(crate) fn texts(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(crate::HandshakeKey::expose_secret)
            .collect()
    }

    /// Writes `shown`'s `Debug` with the keys masked: see [`write_redacted`].
    pub(crate) fn debug(
        &self,
        f: &mut std::fmt::Formatter<'_>,
        shown: &dyn std::fmt::Debug,
    ) -> std::fmt::Result {
        write_redacted(f, shown, &self.0)
    }
}

impl PartialEq for Masking {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Writes `shown`'s `Debug` (pretty with `{:#?}`) with every one of `keys` masked: for the
/// `Debug` of a type that holds what a request carried.
pub(crate) fn write_redacted(
    f: &mut std::fmt::Formatter<'_>,
    shown: &dyn std::fmt::Debug,
    keys: &[crate::HandshakeKey],
) -> std::fmt::Result {
    let text = match f.alternate() {
        true => format!("{shown:#?}"),
        false => format!("{shown:?}"),
    };
    f.write_str(&redact(
        &text,
        keys.iter().map(crate::HandshakeKey::expose_secret),
    ))
}

/// Every way `secret` is written by something that may show it: as it is, as
/// [`escape_text`] and the crate's quoted messages write it, as `{:?}` does (serde's
/// messages), and as a JSON string holds it. Longest first, so that a longer form is masked
/// whole before a shorter one could match part of it.
fn forms(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let debug = format!("{secret:?}");
    let json = serde_json::to_string(secret).unwrap_or_default();
    let mut quoted = String::new();
    secret.chars().for_each(|c| push_quoted(&mut quoted, c));
    let mut forms = vec![
        secret.to_owned(),
        escape_text(secret).into_owned(),
        quoted,
        inner(&debug).to_owned(),
        inner(&json).to_owned(),
    ];
    forms.retain(|form| !form.is_empty());
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

/// A quoted string without its quotes.
fn inner(quoted: &str) -> &str {
    quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(quoted)
}

/// `text` with `form` masked: every whole copy, and every piece of it that a cut (`…`) left
/// at the end of what precedes the cut, at the start of what follows it, or between two cuts.
/// `None` when there is nothing to mask.
fn mask_form(text: &str, form: &str) -> Option<String> {
    let whole = text.contains(form);
    if !whole && !text.contains(CUT) {
        return None;
    }
    let masked = if whole {
        text.replace(form, MASK)
    } else {
        text.to_owned()
    };
    let pieces: Vec<&str> = masked.split(CUT).collect();
    let last = pieces.len() - 1;
    let mut cut_inside = false;
    let mut out = String::with_capacity(masked.len());
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.push(CUT);
        }
        let after_cut = i > 0;
        let before_cut = i < last;
        if after_cut && before_cut && piece.len() >= SHORTEST_PIECE && form.contains(piece) {
            out.push_str(MASK);
            cut_inside = true;
            continue;
        }
        let start = if after_cut {
            ends_of(piece, form, false)
        } else {
            0
        };
        let end = if before_cut {
            piece.len() - ends_of(piece, form, true)
        } else {
            piece.len()
        };
        if start == 0 && end == piece.len() {
            out.push_str(piece);
            continue;
        }
        cut_inside = true;
        if start >= end {
            out.push_str(MASK);
            continue;
        }
        if start > 0 {
            out.push_str(MASK);
        }
        out.push_str(&piece[start..end]);
        if end < piece.len() {
            out.push_str(MASK);
        }
    }
    (whole || cut_inside).then_some(out)
}

/// The length of the longest piece of `form` (at least [`SHORTEST_PIECE`] bytes, shorter
/// than `form`) that `piece` ends with and `form` starts with (`at_end`), or that `piece`
/// starts with and `form` ends with; 0 when there is none.
fn ends_of(piece: &str, form: &str, at_end: bool) -> usize {
    (SHORTEST_PIECE..form.len().min(piece.len() + 1))
        .rev()
        .find(|&n| {
            if at_end {
                form.is_char_boundary(n) && piece.ends_with(&form[..n])
            } else {
                form.is_char_boundary(form.len() - n) && piece.starts_with(&form[form.len() - n..])
            }
        })
        .unwrap_or(0)
}

/// What the `ClinchPadWebhook` extractors' `Debug` shows: the payload (whose `Debug` hides
/// its key) and the body's length, never the body, which holds the key as it came.
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) struct WebhookDebug<'p>(pub(crate) &'p crate::Payload, pub(crate) usize);

#[cfg(any(feature = "axum", feature = "actix-web"))]
impl std::fmt::Debug for WebhookDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClinchPadWebhook")
            .field("payload", self.0)
            .field("body", &format_args!("<{} bytes>", self.1))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str, secret: &str) -> String {
        redact(text, [secret]).into_owned()
    }

    #[test]
    fn every_copy_is_masked_with_a_mask_of_one_length() {
        assert_eq!(
            masked("a gfhkd1asfsa b gfhkd1asfsa", "gfhkd1asfsa"),
            "a *** b ***"
        );
        assert_eq!(masked("k", "a-much-longer-key"), "k");
        assert!(matches!(redact("nothing here", ["key1"]), Cow::Borrowed(_)));
        assert_eq!(
            masked("empty secrets mask nothing", ""),
            "empty secrets mask nothing"
        );
    }

    #[test]
    fn escaped_forms_are_masked() {
        let secret = "s3\"cr\\et\u{1b}";
        for shown in [
            format!("{secret:?}"),
            serde_json::to_string(secret).unwrap(),
            crate::text::escape::quote(secret),
            format!("\"{}\"", escape_text(secret)),
        ] {
            assert_eq!(
                masked(&format!("x {shown} y"), secret),
                "x \"***\" y",
                "{shown}"
            );
        }
    }

    #[test]
    fn a_key_cut_short_is_masked_where_it_was_cut() {
        let key = "0123456789abcdef";
        assert_eq!(masked("string \"0123456…\"", key), "string \"***…\"");
        assert_eq!(masked("…cdef} rest", key), "…***} rest");
        assert_eq!(masked("…56789a…", key), "…***…");
        // A cut elsewhere, or a single character in common, is left alone.
        assert_eq!(masked("text… more", key), "text… more");
        assert_eq!(masked("x0… fx", key), "x0… fx");
    }
}
