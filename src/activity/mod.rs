//! What happened on the lead: [`Activity`], its [`ActivityKind`], the [`ActivityType`] names,
//! and one struct per documented type with that type's fields ([`LeadMoved`],
//! [`NoteCreated`], ...), all generated from one table of the 33 types.
//!
//! ```
//! use clinchpad_webhook::activity::LeadMoved;
//! use clinchpad_webhook::{Lead, Payload};
//!
//! fn on_moved(lead: &Lead, moved: &LeadMoved) -> String {
//!     format!("{}: {} -> {}", lead.name, moved.old_stage_name, moved.new_stage_name)
//! }
//!
//! let payload: Payload = clinchpad_webhook::parse(&std::fs::read("fixtures/lead_moved.json")?)?;
//! if let Some(moved) = payload.activity.kind.get::<LeadMoved>() {
//!     println!("{}", on_moved(&payload.lead, moved));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[macro_use]
mod table;
pub(crate) mod data;
pub(crate) mod de;
pub(crate) mod fields;
mod types;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::extra::write_extra;
use crate::{ActivityId, User};

pub use data::ActivityData;
pub(crate) use de::ActivityReader;
pub use types::*;

/// One activity on a lead: who did what, and when.
///
/// `_id`, `created_at` and `type` are required; the fields that depend on `type` live in
/// [`kind`](Activity::kind).
///
/// ```
/// use clinchpad_webhook::{Activity, ActivityKind};
///
/// let activity: Activity = serde_json::from_str(r#"{
///     "_id": "52cfbf76cce8b40f0f000005", "created_at": "2014-01-10T09:37:58Z",
///     "note_content": "Hello world!", "type": "note:created"
/// }"#)?;
/// assert!(matches!(activity.kind, ActivityKind::NoteCreated(ref note) if note.note_content == "Hello world!"));
/// assert_eq!(activity.created_at.to_rfc3339(), "2014-01-10T09:37:58+00:00");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Activity {
    /// `_id`.
    pub id: ActivityId,
    /// When the activity happened, converted to UTC.
    pub created_at: DateTime<Utc>,
    /// The user who did it, when the payload says.
    pub user: Option<User>,
    /// The activity's type (`type` on the wire) with the fields of that type.
    pub kind: ActivityKind,
    /// Fields this version does not model for this type, kept as they came. For an
    /// [`ActivityKind::Unknown`] type they are in the kind instead.
    pub extra: Map<String, Value>,
}

impl Activity {
    /// An activity with the given id, time and kind (or a type's data), no user and no other
    /// fields.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinchpad_webhook::{activity::LeadWon, Activity};
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 31).unwrap();
    /// let activity = Activity::new("a1", at, LeadWon {});
    /// assert_eq!(activity.kind.type_name(), "lead:won");
    /// ```
    pub fn new(
        id: impl Into<ActivityId>,
        created_at: DateTime<Utc>,
        kind: impl Into<ActivityKind>,
    ) -> Self {
        Activity {
            id: id.into(),
            created_at,
            user: None,
            kind: kind.into(),
            extra: Map::new(),
        }
    }
}

/// The keys an activity of any type reads as its own (see `de.rs`); the type's fields are
/// [`ActivityType::field_names`].
pub(crate) const ACTIVITY_FIELDS: [&str; 4] = ["_id", "created_at", "type", "user"];

/// Written as ClinchPad sends it. Fails, naming the field, for what [`parse`](crate::parse)
/// would not read back as the same activity: a `created_at` whose year is outside
/// `0000`–`9999`, unknown fields that are the activity's own or its type's, unknown fields
/// beside an [`ActivityKind::Unknown`] (whose fields hold them all), and what
/// [`ActivityKind`]'s `Serialize` refuses.
impl serde::Serialize for Activity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !crate::wire::writable(&self.created_at) {
            return Err(serde::ser::Error::custom(format_args!(
                "Activity::created_at {} is outside the years 0000-9999 that RFC 3339 can write",
                self.created_at
            )));
        }
        let own_fields = match self.kind.activity_type() {
            Some(activity_type) => activity_type.field_names(),
            None if self.extra.is_empty() => &[],
            None => {
                return Err(serde::ser::Error::custom(
                    "Activity has unknown fields beside an ActivityKind::Unknown: a type this \
                     version does not know keeps all its fields in ActivityKind::Unknown's \
                     `fields`, so put them there",
                ))
            }
        };
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("_id", &self.id)?;
        map.serialize_entry("created_at", &self.created_at)?;
        map.serialize_entry("type", self.kind.type_name())?;
        if let Some(user) = &self.user {
            map.serialize_entry("user", user)?;
        }
        self.kind.write_fields(&mut map)?;
        write_extra(&mut map, &self.extra, "Activity", 2, |key| {
            ACTIVITY_FIELDS.contains(&key) || own_fields.contains(&key)
        })?;
        map.end()
    }
}

/// Serialized as `{"type": ..., <the type's fields>}`, the shape of an activity without its
/// `_id`, `created_at` and `user`. An [`ActivityKind::Unknown`] named like a documented type,
/// or whose fields hold `_id`, `created_at`, `type` or `user`, is refused with an error that
/// says so: it would read back as another kind, or as an activity's own field.
impl serde::Serialize for ActivityKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.type_name())?;
        self.write_fields(&mut map)?;
        map.end()
    }
}

/// The error of [`ActivityType::from_str`] for a name that is not a documented type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activity type {}", crate::escape::quote(.0))]
pub struct ParseActivityTypeError(String);

impl FromStr for ActivityType {
    type Err = ParseActivityTypeError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ActivityType::from_wire(name).ok_or_else(|| ParseActivityTypeError(name.to_owned()))
    }
}

impl fmt::Display for ActivityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ActivityType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ActivityType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = serde::de::DeserializeSeed::deserialize(crate::extra::Key, deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
