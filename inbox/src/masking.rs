//! Whose keys are masked in what the inbox stores beside the bodies: a handler's error, and
//! a payload stored without a receiver of its own.

use std::borrow::Cow;

use clinchpad_webhook::Receiver;

/// The keys of a receiver, masked (`***`) where stored text quotes them; none by default.
#[derive(Clone, Default)]
pub(crate) struct Masking(Option<Receiver>);

impl Masking {
    /// The keys of `receiver`.
    pub fn of(receiver: Receiver) -> Masking {
        Masking(Some(receiver))
    }

    /// `text` with the masked keys' text replaced, whole copies only: for what the inbox
    /// stores that is not a body (a handler's error).
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.0 {
            Some(receiver) => {
                let masked = receiver.redact_body(text.as_bytes());
                match masked {
                    Cow::Borrowed(_) => Cow::Borrowed(text),
                    Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                }
            }
            None => Cow::Borrowed(text),
        }
    }
}
