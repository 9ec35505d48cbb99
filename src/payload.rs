//! [`Payload`]: the whole body of one webhook POST.

use std::fmt;

use serde::de::MapAccess;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::activity::ActivityReader;
use crate::lead::LeadReader;
use crate::read::extra::write_extra;
use crate::read::reader::{plain, FillIn, Nullable, ObjectReader};
use crate::{Activity, Lead, ReceivedKey};

/// One webhook delivery: the activity, the lead it happened on, and the handshake key when
/// one is configured in ClinchPad.
///
/// Read it with [`parse`](crate::parse) or [`parse_verified`](crate::parse_verified), which
/// report errors with their path, line and column; the `Deserialize` impl reads the same
/// shape from any serde format but its errors carry no path.
///
/// ```
/// let body = std::fs::read("fixtures/doc_example.json")?;
/// let payload = clinchpad_webhook::parse(&body)?;
/// assert_eq!(payload.lead.name, "Webhook T");
/// assert_eq!(payload.activity.kind.type_name(), "note:created");
///
/// // Serializing gives the wire form back: parsing it again gives an equal payload.
/// let again = clinchpad_webhook::parse(&serde_json::to_vec(&payload)?)?;
/// assert_eq!(again, payload);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Payload {
    /// What happened.
    pub activity: Activity,
    /// The lead it happened on.
    pub lead: Lead,
    /// `handshake_key`: present only when a key is configured for the webhook. Check it with
    /// [`verify`](crate::verify); drop it before storing or logging the payload with
    /// [`without_handshake_key`](Payload::without_handshake_key).
    pub handshake_key: Option<ReceivedKey>,
    /// Top-level fields this version does not model, kept as they came.
    pub extra: Map<String, Value>,
}

impl Payload {
    /// A payload with the given activity and lead, no key and no other fields.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinchpad_webhook::{activity::LeadCreated, Activity, Lead, Payload};
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 31).unwrap();
    /// let payload = Payload::new(
    ///     Activity::new("a1", at, LeadCreated {}),
    ///     Lead::new("l1", "Acme"),
    /// );
    /// assert!(payload.handshake_key.is_none());
    /// ```
    pub fn new(activity: Activity, lead: Lead) -> Self {
        Payload {
            activity,
            lead,
            handshake_key: None,
            extra: Map::new(),
        }
    }

    /// The payload without its handshake key: what to store, log, print or forward.
    ///
    /// `Serialize` writes every field, the key too, so that a payload serialized and parsed
    /// again is equal to itself; a stored payload needs no key, and a key in a database or a
    /// log is a key one leak away from forged deliveries. Check the key first, then drop it.
    ///
    /// ```
    /// let body = std::fs::read("fixtures/doc_example.json")?;
    /// let payload = clinchpad_webhook::parse_verified(&body, "gfhkd1asfsa")?;
    ///
    /// let stored = serde_json::to_string(&payload.without_handshake_key())?;
    /// assert!(!stored.contains("handshake_key") && !stored.contains("gfhkd1asfsa"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_handshake_key(mut self) -> Self {
        self.handshake_key = None;
        self
    }
}

/// The keys `Payload` reads as its own fields (see its reader below).
const FIELDS: [&str; 3] = ["activity", "lead", "handshake_key"];

object_reader!(
    PayloadReader fills Payload = Payload::new(ActivityReader::placeholder(), LeadReader::placeholder())
);

impl<'de> FillIn<'de> for PayloadReader<'_> {
    type Target = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a ClinchPad webhook payload object")
    }

    #[inline]
    fn fill_in<A: MapAccess<'de>>(self, mut map: A, payload: &mut Payload) -> Result<(), A::Error> {
        let object = self.0;
        let track = object.track;
        let (mut activity, mut lead, mut handshake_key) = (false, false, None);
        while let Some(key) = object.next_key(&mut map)? {
            match key.as_ref() {
                "activity" => {
                    let reader = ActivityReader(ObjectReader::new(track));
                    let target = &mut payload.activity;
                    object.fill_in(&mut map, &mut activity, target, "activity", reader)?
                }
                "lead" => {
                    let reader = LeadReader(ObjectReader::new(track));
                    object.fill_in(&mut map, &mut lead, &mut payload.lead, "lead", reader)?
                }
                "handshake_key" => object.fill(
                    &mut map,
                    &mut handshake_key,
                    "handshake_key",
                    Nullable(plain()),
                )?,
                _ => object.keep(&mut map, &mut payload.extra, key)?,
            }
        }
        object.require_seen(activity, "activity")?;
        object.require_seen(lead, "lead")?;
        payload.handshake_key = handshake_key.flatten();
        Ok(())
    }
}

impl serde::Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("activity", &self.activity)?;
        map.serialize_entry("lead", &self.lead)?;
        if let Some(key) = &self.handshake_key {
            map.serialize_entry("handshake_key", key)?;
        }
        write_extra(&mut map, &self.extra, "Payload", 1, |key| {
            FIELDS.contains(&key)
        })?;
        map.end()
    }
}
