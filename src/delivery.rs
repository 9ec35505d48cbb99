//! [`Delivery`]: what [`Receiver::accept`](crate::Receiver::accept) hands over, a verified
//! delivery typed as far as it fits.

use std::fmt;

use serde_json::Value;

use crate::key::redact::Masking;
use crate::{strip_handshake_key, Error, Payload};

/// A delivery that [`Receiver::accept`](crate::Receiver::accept) took: its key checked, its
/// body one well-formed JSON object, and typed as far as its shape fits the documentation.
///
/// ClinchPad documents no retries: a delivery refused for its shape is an entry in the
/// webhook's error log, an email to its owner, and an event lost. So a body whose shape
/// drifted from the documentation (an empty string for a price, a field of another JSON type)
/// is accepted with the [`error`](Delivery::error) that says where, and kept whole:
///
/// - **Fully typed**: [`payload`](Delivery::payload) is `Some` and [`error`](Delivery::error)
///   `None`, exactly what [`parse`](crate::parse) gives.
/// - **The type's fields drifted**: `payload` is `Some`, with the id, time, user, lead and
///   type typed, and the kind [`ActivityKind::Drifted`](crate::ActivityKind::Drifted)
///   holding the type's fields as they came; `error` says which field and where.
/// - **The envelope drifted** (the activity's id, time, type or user, or the lead): `payload`
///   is `None`; [`activity_id`](Delivery::activity_id) and [`type_name`](Delivery::type_name)
///   still give what can be read, and [`body`](Delivery::body) has it all.
///
/// What to do with one that is not fully typed: keep the body (without its key:
/// [`body_without_key`](Delivery::body_without_key)) and the error, answer 2xx, and look at
/// it later.
///
/// ```
/// use clinchpad_webhook::{ActivityKind, ActivityType, HandshakeKey, Receiver};
///
/// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
/// let body = std::fs::read_to_string("fixtures/product_added.json")?
///     .replace("\"product_price\": 499.99", "\"product_price\": \"\"");
/// let delivery = receiver.accept(None, body.as_bytes())?;
///
/// let error = delivery.error().expect("the price is not a number");
/// assert_eq!(error.path(), Some("activity.product_price"));
/// let payload = delivery.payload().expect("all but the type's fields are typed");
/// assert_eq!(payload.activity.kind.activity_type(), Some(ActivityType::ProductAdded));
/// assert!(matches!(&payload.activity.kind, ActivityKind::Drifted { fields, .. } if fields["product_price"] == ""));
/// assert_eq!(delivery.body(), body.as_bytes());
///
/// // Strictly, the same body is refused, with the same error.
/// let refusal = receiver.receive(None, body.as_bytes()).unwrap_err();
/// assert_eq!((refusal.status(), refusal.error()), (400, Some(error)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Delivery {
    payload: Option<Payload>,
    /// What only a delivery that does not fit has, boxed so that one that fits (the common
    /// case, and a large value already) is not moved around the larger for it.
    drift: Option<Box<Drift>>,
    body: Vec<u8>,
    /// The keys of the receiver that took it (none when unverified): masked in what is
    /// shown or stored of it, wherever in the body they arrived.
    keys: Masking,
}

/// Why a delivery does not fit, and the activity's id and type as its body has them, for
/// when there is no payload to take them from.
#[derive(Clone, PartialEq)]
struct Drift {
    error: Error,
    activity_id: Option<String>,
    type_name: Option<String>,
}

impl Delivery {
    /// A delivery whose shape fits.
    #[inline]
    pub(crate) fn typed(payload: Payload, body: Vec<u8>, keys: Masking) -> Self {
        Delivery {
            payload: Some(payload),
            drift: None,
            body,
            keys,
        }
    }

    /// A delivery whose shape does not fit: `error` says where, `payload` is what could be
    /// typed, and `value` the body read as JSON, for what the payload does not have.
    pub(crate) fn drifted(
        payload: Option<Payload>,
        error: Error,
        value: Option<&Value>,
        body: Vec<u8>,
        keys: Masking,
    ) -> Self {
        let activity = value.and_then(|value| value.get("activity"));
        let drift = Drift {
            error,
            // An id is opaque: a number is kept as its text.
            activity_id: activity.and_then(|activity| match activity.get("_id")? {
                Value::String(id) => Some(id.clone()),
                Value::Number(id) => Some(id.to_string()),
                _ => None,
            }),
            type_name: activity
                .and_then(|activity| activity.get("type")?.as_str())
                .map(str::to_owned),
        };
        Delivery {
            payload,
            drift: Some(Box::new(drift)),
            body,
            keys,
        }
    }

    /// What could be typed: the whole payload when the delivery fits, the payload with an
    /// [`ActivityKind::Drifted`](crate::ActivityKind::Drifted) kind when only the type's
    /// fields do not, and `None` when the envelope does not.
    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref()
    }

    /// The payload, when there is one: see [`payload`](Delivery::payload).
    pub fn into_payload(self) -> Option<Payload> {
        self.payload
    }

    /// Why the delivery is not fully typed, with the path, line and column at fault: the
    /// error [`Receiver::receive`](crate::Receiver::receive) refuses the same body with.
    /// `None` when everything fits.
    pub fn error(&self) -> Option<&Error> {
        self.drift.as_ref().map(|drift| &drift.error)
    }

    /// Whether everything fits: the payload is whole and there is no error.
    ///
    /// ```
    /// # use clinchpad_webhook::Receiver;
    /// let delivery = Receiver::unverified().accept(None, &std::fs::read("fixtures/lead_won.json")?)?;
    /// assert!(delivery.is_typed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_typed(&self) -> bool {
        self.drift.is_none()
    }

    /// The activity's `_id`: from the payload, or read from the body when the envelope does
    /// not fit (a number kept as its text); `None` when the body has none.
    pub fn activity_id(&self) -> Option<&str> {
        match (&self.payload, &self.drift) {
            (Some(payload), _) => Some(payload.activity.id.as_str()),
            (None, drift) => drift.as_ref()?.activity_id.as_deref(),
        }
    }

    /// The activity's wire `type`, when it is a string.
    pub fn type_name(&self) -> Option<&str> {
        match (&self.payload, &self.drift) {
            (Some(payload), _) => Some(payload.activity.kind.type_name()),
            (None, drift) => drift.as_ref()?.type_name.as_deref(),
        }
    }

    /// The body exactly as it was received, key included.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as it was received, without its top-level `handshake_key`: what to store.
    /// `accept` takes only bodies that are one JSON object, so this is never `None` for a
    /// delivery it made.
    ///
    /// ```
    /// # use clinchpad_webhook::Receiver;
    /// let delivery = Receiver::unverified().accept(None, &std::fs::read("fixtures/lead_won.json")?)?;
    /// let kept = delivery.body_without_key().unwrap();
    /// assert!(!String::from_utf8(kept)?.contains("handshake_key"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_without_key(&self) -> Option<Vec<u8>> {
        strip_handshake_key(&self.body)
    }

    /// What to store of the body: as it was received, without its `handshake_key`, and with
    /// every key of the receiver that took it masked (`***`) wherever the body quotes it in
    /// free text (a note, a name), however it is spelled (`"g\u0066hkd1asfsa"` too). Only the
    /// key itself is masked, never a piece of it, and nothing the payload reads by its format
    /// (ids, the type, the time, numbers, dates) is touched: the body stored reads as the same
    /// payload as the body received, but for the key in its text. See
    /// [`Receiver::redact_body`](crate::Receiver::redact_body).
    ///
    /// ```
    /// use clinchpad_webhook::{HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
    /// let body = std::fs::read_to_string("fixtures/note_created.json")?
    ///     .replace("\"note_content\": \"", "\"note_content\": \"the key is g\\u0066hkd1asfsa; ");
    /// let delivery = receiver.accept(None, body.as_bytes())?;
    /// let kept = String::from_utf8(delivery.body_to_store().unwrap())?;
    /// assert!(kept.contains("the key is ***; ") && !kept.contains("handshake_key"));
    /// let stored = clinchpad_webhook::parse(kept.as_bytes())?;
    /// assert_eq!(stored.activity.id, delivery.payload().unwrap().activity.id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_to_store(&self) -> Option<Vec<u8>> {
        let body = self.body_without_key()?;
        Some(
            match crate::key::masked_body::mask_body(&body, &self.keys.texts()) {
                std::borrow::Cow::Borrowed(_) => body,
                std::borrow::Cow::Owned(masked) => masked,
            },
        )
    }

    /// `text` with every key of the receiver that took this delivery masked (`***`), however
    /// it is written: for logging what the delivery carries, after
    /// [`escape_text`](crate::escape_text), since whoever finds the URL writes the body and a
    /// note can quote the key. See [`Receiver::redact`](crate::Receiver::redact).
    ///
    /// ```
    /// use clinchpad_webhook::{escape_text, HandshakeKey, Receiver};
    ///
    /// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
    /// let body = std::fs::read_to_string("fixtures/lead_won.json")?
    ///     .replace("Acme Corp", "Acme gfhkd1asfsa\\n[INFO] forged");
    /// let delivery = receiver.accept(None, body.as_bytes())?;
    /// let name = &delivery.payload().unwrap().lead.name;
    /// assert!(delivery.redact(&escape_text(name)).starts_with(r"Acme ***\n[INFO] forged"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        crate::key::redact::redact(text, self.keys.texts())
    }

    /// Whether the receiver that took it checked a key: `false` only for one taken by
    /// [`Receiver::unverified`](crate::Receiver::unverified).
    pub fn is_verified(&self) -> bool {
        !self.keys.0.is_empty()
    }
}

/// The payload (whose key is redacted), the error, the id and type, and the body's length:
/// never the body, which holds the key as it came. Every key of the receiver that took it is
/// masked (`***`) wherever it shows, as the error is: a key posted as the activity's `_id`,
/// its `type`, the lead's name or a drifted field is not shown either.
impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.keys.debug(f, &DebugView(self))
    }
}

/// What [`Delivery`]'s `Debug` shows, before the keys are masked.
struct DebugView<'d>(&'d Delivery);

impl fmt::Debug for DebugView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delivery = self.0;
        f.debug_struct("Delivery")
            .field("payload", &delivery.payload)
            .field("error", &delivery.error())
            .field("activity_id", &delivery.activity_id())
            .field("type_name", &delivery.type_name())
            .field("body", &format_args!("<{} bytes>", delivery.body.len()))
            .finish()
    }
}
