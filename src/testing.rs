//! Realistic payloads for your own tests: [`Payload::sample`] for any activity type, `with_*`
//! methods to change what a test is about, and [`to_wire_bytes`](Payload::to_wire_bytes) for
//! the body ClinchPad would POST.
//!
//! **Available with the crate feature `testing` only**, as a dev-dependency:
//! `clinchpad-webhook = { version = "0.1", features = ["testing"] }`.
//!
//! Samples are deterministic: fixed ids, a fixed time (`2024-03-05T14:07:31Z`), the same lead
//! ("Acme Corp", stage "Offer" of pipeline "Default") and user ("Dana Whitfield"), and
//! values for every field of the type, the "(if applicable)" ones included. They carry no
//! handshake key unless you add one, as ClinchPad sends none unless one is set.
//!
//! ```
//! use clinchpad_webhook::activity::LeadMoved;
//! use clinchpad_webhook::{parse_verified, ActivityKind, ActivityType, Error, Payload};
//!
//! // Your handler, taking the body as your HTTP framework gives it.
//! fn on_webhook(body: &[u8]) -> Result<String, Error> {
//!     let payload = parse_verified(body, "s3cret")?;
//!     Ok(match &payload.activity.kind {
//!         ActivityKind::LeadMoved(LeadMoved { new_stage_name, .. }) => {
//!             format!("{} is now in {new_stage_name}", payload.lead.name)
//!         }
//!         other => format!("{} on {}", other.type_name(), payload.lead.name),
//!     })
//! }
//!
//! let body = Payload::sample(ActivityType::LeadMoved)
//!     .with_lead_name("Globex")
//!     .with_handshake_key("s3cret")
//!     .to_wire_bytes();
//! assert_eq!(on_webhook(&body)?, "Globex is now in Offer");
//!
//! // Every documented type gets through.
//! for sample in clinchpad_webhook::testing::samples() {
//!     on_webhook(&sample.with_handshake_key("s3cret").to_wire_bytes())?;
//! }
//!
//! // And a forged one does not.
//! let forged = Payload::sample(ActivityType::LeadWon).with_handshake_key("guess");
//! assert_eq!(on_webhook(&forged.to_wire_bytes()), Err(Error::WrongKey));
//! # Ok::<(), Error>(())
//! ```

use chrono::{DateTime, TimeZone, Utc};

use serde_json::{json, Map, Value};

use crate::{
    ActivityId, ActivityKind, ActivityType, Lead, Payload, Pipe, ReceivedKey, Stage, User,
};

/// One sample payload per documented type, in [`ActivityType::ALL`] order.
///
/// ```
/// use clinchpad_webhook::ActivityType;
///
/// let types: Vec<_> = clinchpad_webhook::testing::samples()
///     .map(|sample| sample.activity.kind.activity_type().unwrap())
///     .collect();
/// assert_eq!(types, ActivityType::ALL);
/// ```
pub fn samples() -> impl Iterator<Item = Payload> {
    ActivityType::ALL.into_iter().map(Payload::sample)
}

/// The time of every sample: `2024-03-05T14:07:31Z`.
fn sample_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 31)
        .single()
        .unwrap_or_default()
}

/// A distinct, fixed activity id per type: `65e7262bcce8b40f0f0000NN`, NN its position in
/// [`ActivityType::ALL`] from `01`.
fn sample_activity_id(activity_type: ActivityType) -> ActivityId {
    let position = ActivityType::ALL
        .iter()
        .position(|t| *t == activity_type)
        .unwrap_or_default();
    ActivityId::new(&format!("65e7262bcce8b40f0f0000{:02x}", position + 1))
}

fn sample_user() -> User {
    let mut user = User::new("65e7262bcce8b4c375000001", "Dana Whitfield");
    user.photo_url =
        Some("https://clinchpad.example/photos/65e7262bcce8b4c375000001.png".to_owned());
    user
}

fn sample_lead() -> Lead {
    let mut lead = Lead::new("65e7262bcce8b4d113000001", "Acme Corp");
    lead.stage = Some(Stage::new("65e7262bcce8b4c37500000c", "Offer"));
    lead.pipe = Some(Pipe::new("65e7262bcce8b4c375000008", "Default"));
    lead
}

/// A realistic value for a field of the table of activity types, by its wire name. Every
/// field of every documented type has one (a test checks it); the kind is then read from
/// `{"type": ..., <fields>}` like one that came over the wire, so the table of types stays the
/// one in `activity/types.rs`.
fn sample_field(field: &str) -> Option<Value> {
    Some(match field {
        "old_stage_name" => json!("Contact Made"),
        "new_stage_name" => json!("Offer"),
        "old_lead_name" => json!("Acme"),
        "lead_assigned_to_name" | "old_lead_assigned_to_name" => json!("Sam Okafor"),
        "lead_size" => json!(2500),
        "old_lead_size" => json!(1500),
        "todo_name" => json!("Call about the renewal"),
        "old_todo_name" => json!("Call Acme"),
        "todo_type" => json!("Meeting"),
        "old_todo_type" => json!("Call"),
        "todo_date" => json!("2024-03-12"),
        "old_todo_date" => json!("2024-03-08"),
        "todo_time" => json!("14:30"),
        "old_todo_time" => json!("10:00"),
        "todo_done" => json!(true),
        "note_content" => json!("Asked for a quote for 20 seats."),
        "attachment_filename" => json!("quote-2024-03.pdf"),
        "attachment_url" => json!("https://clinchpad.example/attachments/quote-2024-03.pdf"),
        "record_name" => json!("Industry"),
        "record_value" => json!("Logistics"),
        "old_record_value" => json!("Manufacturing"),
        "contact_name" => json!("Jordan Lee"),
        "product_name" => json!("Annual licence"),
        "product_quantity" => json!(20),
        "product_price" => json!(49.5),
        "zone_name" => json!("EMEA"),
        "source_name" => json!("Website"),
        "subject" => json!("Re: Quote for 20 seats"),
        _ => return None,
    })
}

/// The kind of a sample: every field of the type, the "(if applicable)" ones included.
fn sample_kind(activity_type: ActivityType) -> ActivityKind {
    let mut object = Map::new();
    object.insert("type".into(), activity_type.as_str().into());
    for field in activity_type.field_names() {
        if let Some(value) = sample_field(field) {
            object.insert((*field).into(), value);
        }
    }
    // Only fails if a field above lacks a value or has the wrong type, which the tests of
    // every sample would show; the fallback keeps the function total.
    serde_json::from_value(Value::Object(object.clone())).unwrap_or_else(|_| {
        object.remove("type");
        ActivityKind::Unknown {
            type_name: activity_type.as_str().into(),
            fields: object,
        }
    })
}

/// Samples and builders for tests. **Available with the crate feature `testing` only.**
impl Payload {
    /// A realistic payload of the given type; see the [module docs](crate::testing) for its
    /// values. Change them with the `with_*` methods, or through the public fields.
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityKind, ActivityType, Payload};
    ///
    /// let sample = Payload::sample(ActivityType::NoteCreated);
    /// assert_eq!(sample.lead.name, "Acme Corp");
    /// assert!(matches!(sample.activity.kind, ActivityKind::NoteCreated(_)));
    /// assert_eq!(sample.activity.created_at.to_rfc3339(), "2024-03-05T14:07:31+00:00");
    /// assert!(sample.handshake_key.is_none());
    /// ```
    pub fn sample(activity_type: ActivityType) -> Payload {
        let mut activity = crate::Activity::new(
            sample_activity_id(activity_type),
            sample_time(),
            sample_kind(activity_type),
        );
        activity.user = Some(sample_user());
        Payload::new(activity, sample_lead())
    }

    /// Replaces the activity's kind (its type and the fields of that type), given as a
    /// type's data or as an [`ActivityKind`].
    ///
    /// ```
    /// use clinchpad_webhook::{activity::LeadMoved, ActivityType, Payload};
    ///
    /// let won = Payload::sample(ActivityType::LeadMoved).with_kind(LeadMoved {
    ///     old_stage_name: "Negotiation".into(),
    ///     new_stage_name: "Won".into(),
    /// });
    /// assert!(won.to_wire_json().contains(r#""new_stage_name":"Won""#));
    /// ```
    pub fn with_kind(mut self, kind: impl Into<ActivityKind>) -> Self {
        self.activity.kind = kind.into();
        self
    }

    /// Sets the activity's `created_at`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinchpad_webhook::{ActivityType, Payload};
    ///
    /// let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
    /// let sample = Payload::sample(ActivityType::LeadWon).with_created_at(at);
    /// assert!(sample.to_wire_json().contains(r#""created_at":"2025-01-02T03:04:05Z""#));
    /// ```
    pub fn with_created_at(mut self, created_at: DateTime<Utc>) -> Self {
        self.activity.created_at = created_at;
        self
    }

    /// Sets the activity's `_id`.
    pub fn with_activity_id(mut self, id: impl Into<ActivityId>) -> Self {
        self.activity.id = id.into();
        self
    }

    /// Sets the user who did the activity.
    pub fn with_user(mut self, user: User) -> Self {
        self.activity.user = Some(user);
        self
    }

    /// Removes the activity's user, as for an activity done by ClinchPad itself.
    pub fn without_user(mut self) -> Self {
        self.activity.user = None;
        self
    }

    /// Replaces the lead.
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityType, Lead, Payload};
    ///
    /// let mut lead = Lead::new("65e7262bcce8b4d1130000ff", "Initech");
    /// lead.size = Some(12_000.0);
    /// let sample = Payload::sample(ActivityType::LeadCreated).with_lead(lead);
    /// assert_eq!(sample.lead.name, "Initech");
    /// ```
    pub fn with_lead(mut self, lead: Lead) -> Self {
        self.lead = lead;
        self
    }

    /// Renames the lead, keeping its id, stage and pipeline.
    pub fn with_lead_name(mut self, name: impl Into<String>) -> Self {
        self.lead.name = name.into();
        self
    }

    /// Adds the body field `handshake_key`. Any text is taken, the empty one too, so that
    /// tests can send what a misconfigured or forged sender would.
    ///
    /// ```
    /// use clinchpad_webhook::{verify, ActivityType, Payload};
    ///
    /// let sample = Payload::sample(ActivityType::LeadWon).with_handshake_key("s3cret");
    /// assert_eq!(verify(&sample, "s3cret"), Ok(()));
    /// ```
    pub fn with_handshake_key(mut self, key: impl Into<String>) -> Self {
        self.handshake_key = Some(ReceivedKey::new(key.into()));
        self
    }

    /// The payload as ClinchPad would send it: one line of JSON, which [`parse`](crate::parse)
    /// reads back as an equal payload.
    ///
    /// # Panics
    ///
    /// When the payload holds what no body can carry, with the error that names the field:
    /// a number that is not finite (JSON has no `NaN`), a `created_at` outside the years
    /// `0000`–`9999`, an `extra` key that the object reads as its own field, an
    /// [`ActivityKind::Unknown`] named like a documented type. `serde_json::to_vec` returns
    /// the same error instead.
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityType, Payload};
    ///
    /// let sample = Payload::sample(ActivityType::ZoneAdded);
    /// assert_eq!(clinchpad_webhook::parse(sample.to_wire_json().as_bytes())?, sample);
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn to_wire_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|err| unwritable(&err))
    }

    /// [`to_wire_json`](Payload::to_wire_json) as bytes, ready to be a request body.
    ///
    /// # Panics
    ///
    /// As [`to_wire_json`](Payload::to_wire_json).
    pub fn to_wire_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|err| unwritable(&err))
    }

    /// The body ClinchPad would send, drifted from the documentation at one place: the value
    /// at `path` set to `value`, or removed when `value` is `None`. For testing how a receiver
    /// handles a delivery that does not fit, which
    /// [`Receiver::accept`](crate::Receiver::accept) hands over with its error.
    ///
    /// `path` names a member of the body as [`Error::path`](crate::Error::path) writes it,
    /// for keys that are identifiers: `activity.product_price`, `lead.stage._id`,
    /// `activity.user`. Its parent must be there; the member itself need not be.
    ///
    /// # Panics
    ///
    /// When `path` is empty, is not keys joined by `.`, or its parent is not an object of the
    /// body; and as [`to_wire_json`](Payload::to_wire_json).
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityType, Payload, Receiver};
    /// use serde_json::json;
    ///
    /// let sample = Payload::sample(ActivityType::ProductAdded);
    /// let body = sample.to_drifted_bytes("activity.product_price", Some(json!("")));
    /// let delivery = Receiver::unverified().accept(None, &body)?;
    /// assert_eq!(delivery.error().and_then(|err| err.path()), Some("activity.product_price"));
    ///
    /// // A lead whose stage is gone, and a user given by its id.
    /// let body = sample.to_drifted_bytes("lead.stage._id", None);
    /// assert!(Receiver::unverified().accept(None, &body)?.payload().is_none());
    /// let body = sample.to_drifted_bytes("activity.user", Some(json!("65e7262bcce8b4c375000001")));
    /// assert_eq!(Receiver::unverified().accept(None, &body)?.type_name(), Some("product:added"));
    /// # Ok::<(), clinchpad_webhook::Rejection>(())
    /// ```
    #[track_caller]
    pub fn to_drifted_bytes(&self, path: &str, value: Option<Value>) -> Vec<u8> {
        let mut body: Value = serde_json::from_slice(&self.to_wire_bytes())
            .unwrap_or_else(|err| panic!("a sample reads back as JSON: {err}"));
        let keys: Vec<&str> = path.split('.').collect();
        let Some((last, parents)) = keys.split_last().filter(|_| !path.is_empty()) else {
            panic!("to_drifted_bytes: the path is empty");
        };
        let mut parent = &mut body;
        for key in parents {
            parent = parent
                .get_mut(*key)
                .unwrap_or_else(|| panic!("to_drifted_bytes: {path:?} has no parent in the body"));
        }
        let Value::Object(parent) = parent else {
            panic!("to_drifted_bytes: the parent of {path:?} is not an object");
        };
        match value {
            Some(value) => parent.insert((*last).to_owned(), value),
            None => parent.remove(*last),
        };
        serde_json::to_vec(&body).unwrap_or_else(|err| unwritable(&err))
    }
}

/// A test built a payload that no body can carry: say which field.
#[track_caller]
fn unwritable(err: &serde_json::Error) -> ! {
    panic!("this payload cannot be written as a ClinchPad body: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_every_type_has_a_sample_value() {
        for activity_type in ActivityType::ALL {
            for field in activity_type.field_names() {
                assert!(sample_field(field).is_some(), "{activity_type}: {field}");
            }
            let kind = sample_kind(activity_type);
            assert_eq!(kind.activity_type(), Some(activity_type), "{kind:?}");
        }
    }
}
