//! Realistic payloads for your own tests: [`Payload::sample`] for any activity type, `with_*`
//! methods to change what a test is about, and [`to_wire_bytes`](Payload::to_wire_bytes) for
//! the body ClinchPad would POST.
//!
//! Samples are deterministic: fixed ids, a fixed time (`2024-03-05T14:07:31Z`), the same lead
//! ("Acme Corp", stage "Offer" of pipeline "Default") and user ("Dana Whitfield"), and
//! values for every field of the type, the "(if applicable)" ones included. They carry no
//! handshake key unless you add one, as ClinchPad sends none unless one is set.
//!
//! ```
//! use clinchpad_webhook::{parse_verified, ActivityKind, ActivityType, Error, Payload};
//!
//! // Your handler, taking the body as your HTTP framework gives it.
//! fn on_webhook(body: &[u8]) -> Result<String, Error> {
//!     let payload = parse_verified(body, "s3cret")?;
//!     Ok(match &payload.activity.kind {
//!         ActivityKind::LeadMoved { new_stage_name, .. } => {
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

use crate::{
    ActivityId, ActivityKind, ActivityType, HandshakeKey, Lead, Payload, Pipe, Stage, TodoDate,
    TodoTime, User,
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

fn text(value: &str) -> String {
    value.to_owned()
}

/// Realistic values for every field of the type.
fn sample_kind(activity_type: ActivityType) -> ActivityKind {
    use ActivityType as T;
    let todo = || text("Call about the renewal");
    match activity_type {
        T::LeadCreated => ActivityKind::LeadCreated {},
        T::LeadMoved => ActivityKind::LeadMoved {
            old_stage_name: text("Contact Made"),
            new_stage_name: text("Offer"),
        },
        T::LeadNameChanged => ActivityKind::LeadNameChanged {
            old_lead_name: text("Acme"),
        },
        T::LeadWon => ActivityKind::LeadWon {},
        T::LeadLost => ActivityKind::LeadLost {},
        T::LeadAssigned => ActivityKind::LeadAssigned {
            lead_assigned_to_name: text("Sam Okafor"),
        },
        T::LeadUnassigned => ActivityKind::LeadUnassigned {
            old_lead_assigned_to_name: text("Sam Okafor"),
        },
        T::LeadSizeChanged => ActivityKind::LeadSizeChanged {
            lead_size: 2500.0,
            old_lead_size: Some(1500.0),
        },
        T::LeadRestored => ActivityKind::LeadRestored {},
        T::TodoCreated => ActivityKind::TodoCreated {
            todo_name: todo(),
            todo_type: text("Call"),
            todo_date: Some(TodoDate::new("2024-03-12")),
            todo_time: Some(TodoTime::new("14:30")),
        },
        T::TodoNameChanged => ActivityKind::TodoNameChanged {
            todo_name: todo(),
            old_todo_name: text("Call Acme"),
        },
        T::TodoTypeChanged => ActivityKind::TodoTypeChanged {
            todo_name: todo(),
            todo_type: text("Meeting"),
            old_todo_type: text("Call"),
        },
        T::TodoDateChanged => ActivityKind::TodoDateChanged {
            todo_name: todo(),
            todo_date: TodoDate::new("2024-03-12"),
            old_todo_date: Some(TodoDate::new("2024-03-08")),
        },
        T::TodoTimeChanged => ActivityKind::TodoTimeChanged {
            todo_name: todo(),
            todo_time: TodoTime::new("14:30"),
            old_todo_time: Some(TodoTime::new("10:00")),
        },
        T::TodoDoneChanged => ActivityKind::TodoDoneChanged {
            todo_name: todo(),
            todo_done: true,
        },
        T::TodoDeleted => ActivityKind::TodoDeleted { todo_name: todo() },
        T::NoteCreated => ActivityKind::NoteCreated {
            note_content: text("Asked for a quote for 20 seats."),
        },
        T::NoteUpdated => ActivityKind::NoteUpdated {
            note_content: text("Asked for a quote for 25 seats."),
        },
        T::NoteDeleted => ActivityKind::NoteDeleted {
            note_content: text("Asked for a quote for 20 seats."),
        },
        T::AttachmentCreated => ActivityKind::AttachmentCreated {
            attachment_filename: text("quote-2024-03.pdf"),
            attachment_url: text("https://clinchpad.example/attachments/quote-2024-03.pdf"),
        },
        T::AttachmentDeleted => ActivityKind::AttachmentDeleted {
            attachment_filename: text("quote-2024-03.pdf"),
        },
        T::RecordCreated => ActivityKind::RecordCreated {
            record_name: text("Industry"),
            record_value: text("Manufacturing"),
        },
        T::RecordUpdated => ActivityKind::RecordUpdated {
            record_name: text("Industry"),
            record_value: text("Logistics"),
            old_record_value: Some(text("Manufacturing")),
        },
        T::RecordDeleted => ActivityKind::RecordDeleted {
            record_name: text("Industry"),
            record_value: text("Logistics"),
        },
        T::ContactAdded => ActivityKind::ContactAdded {
            contact_name: text("Jordan Lee"),
        },
        T::ContactRemoved => ActivityKind::ContactRemoved {
            contact_name: text("Jordan Lee"),
        },
        T::ProductAdded => ActivityKind::ProductAdded {
            product_name: text("Annual licence"),
            product_quantity: 20.0,
            product_price: Some(49.5),
        },
        T::ProductRemoved => ActivityKind::ProductRemoved {
            product_name: text("Annual licence"),
            product_quantity: 20.0,
        },
        T::ZoneAdded => ActivityKind::ZoneAdded {
            zone_name: text("EMEA"),
        },
        T::ZoneRemoved => ActivityKind::ZoneRemoved {
            zone_name: text("EMEA"),
        },
        T::SourceAdded => ActivityKind::SourceAdded {
            source_name: text("Website"),
        },
        T::SourceRemoved => ActivityKind::SourceRemoved {
            source_name: text("Website"),
        },
        T::EmailReceived => ActivityKind::EmailReceived {
            subject: text("Re: Quote for 20 seats"),
        },
    }
}

impl Payload {
    /// A realistic payload of the given type; see the [module docs](crate::testing) for its
    /// values. Change them with the `with_*` methods, or through the public fields.
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityKind, ActivityType, Payload};
    ///
    /// let sample = Payload::sample(ActivityType::NoteCreated);
    /// assert_eq!(sample.lead.name, "Acme Corp");
    /// assert!(matches!(sample.activity.kind, ActivityKind::NoteCreated { .. }));
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

    /// Replaces the activity's kind (its type and the fields of that type).
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityKind, ActivityType, Payload};
    ///
    /// let won = Payload::sample(ActivityType::LeadMoved).with_kind(ActivityKind::LeadMoved {
    ///     old_stage_name: "Negotiation".into(),
    ///     new_stage_name: "Won".into(),
    /// });
    /// assert!(won.to_wire_json().contains(r#""new_stage_name":"Won""#));
    /// ```
    pub fn with_kind(mut self, kind: ActivityKind) -> Self {
        self.activity.kind = kind;
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
        self.handshake_key = Some(HandshakeKey::received(key.into()));
        self
    }

    /// The payload as ClinchPad would send it: one line of JSON. [`parse`](crate::parse)
    /// gives back an equal payload, as long as every number in it is finite (JSON has no
    /// `NaN` or infinity: they are written as `null`, which `parse` refuses).
    ///
    /// ```
    /// use clinchpad_webhook::{ActivityType, Payload};
    ///
    /// let sample = Payload::sample(ActivityType::ZoneAdded);
    /// assert_eq!(clinchpad_webhook::parse(sample.to_wire_json().as_bytes())?, sample);
    /// # Ok::<(), clinchpad_webhook::Error>(())
    /// ```
    pub fn to_wire_json(&self) -> String {
        serde_json::to_string(self).expect(SERIALIZES)
    }

    /// [`to_wire_json`](Payload::to_wire_json) as bytes, ready to be a request body.
    pub fn to_wire_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect(SERIALIZES)
    }
}

/// Serializing a payload to JSON cannot fail: every map key is a string, and `serde_json`
/// writes a non-finite number as `null`.
const SERIALIZES: &str = "a payload always serializes to JSON";
