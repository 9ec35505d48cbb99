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

use crate::read::extra::write_extra;
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
        if !crate::read::wire::writable(&self.created_at) {
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

/// The error of [`ActivityType::from_str`] for a name that is not a documented type. When the
/// name looks like a documented one mistyped, the message says which.
///
/// ```
/// let err = "lead:wonn".parse::<clinchpad_webhook::ActivityType>().unwrap_err();
/// assert_eq!(err.to_string(), r#"unknown activity type "lead:wonn"; did you mean `lead:won`?"#);
/// assert_eq!(err.suggestion(), Some(clinchpad_webhook::ActivityType::LeadWon));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activity type {}{}", crate::text::escape::quote(.0), Suggestion(self.suggestion()))]
pub struct ParseActivityTypeError(String);

impl ParseActivityTypeError {
    /// The documented type the name was most likely meant to be: the one whose wire name is
    /// the same but for letter case, or else differs from it by one or two characters (one
    /// for names of up to 8), when exactly one type is that close.
    pub fn suggestion(&self) -> Option<ActivityType> {
        let given = self.0.to_lowercase();
        if given.chars().count() > 64 {
            return None;
        }
        let allowed = if given.chars().count() <= 8 { 1 } else { 2 };
        let mut best: Option<(usize, ActivityType)> = None;
        let mut tied = false;
        for candidate in ActivityType::ALL {
            let distance = edit_distance(&given, candidate.as_str());
            match best {
                Some((nearest, _)) if distance > nearest => {}
                Some((nearest, _)) if distance == nearest => tied = true,
                _ => {
                    best = Some((distance, candidate));
                    tied = false;
                }
            }
        }
        best.filter(|&(distance, _)| distance <= allowed && !tied)
            .map(|(_, candidate)| candidate)
    }
}

/// "; did you mean `…`?", when there is a suggestion.
struct Suggestion(Option<ActivityType>);

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(meant) => write!(f, "; did you mean `{meant}`?"),
            None => Ok(()),
        }
    }
}

/// The number of characters to insert, delete or replace to turn `a` into `b` (Levenshtein).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

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
        let name = serde::de::DeserializeSeed::deserialize(crate::read::extra::Key, deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggested(name: &str) -> Option<ActivityType> {
        name.parse::<ActivityType>().unwrap_err().suggestion()
    }

    #[test]
    fn a_mistyped_type_name_gets_the_type_it_was_meant_to_be() {
        assert_eq!(suggested("lead:wonn"), Some(ActivityType::LeadWon));
        assert_eq!(suggested("LEAD:WON"), Some(ActivityType::LeadWon));
        assert_eq!(suggested("lead_moved"), Some(ActivityType::LeadMoved));
        assert_eq!(suggested("note:create"), Some(ActivityType::NoteCreated));
        assert_eq!(
            suggested("todo:done_change"),
            Some(ActivityType::TodoDoneChanged)
        );
        // Too far from every type, or as near to two of them: no guess.
        assert_eq!(suggested("lead:flown"), None);
        assert_eq!(suggested("deal:won"), None);
        assert_eq!(suggested("zone:add"), None);
        assert_eq!(suggested(""), None);
        assert_eq!(suggested(&"x".repeat(10_000)), None);
        let err = "lead:flown".parse::<ActivityType>().unwrap_err();
        assert_eq!(err.to_string(), r#"unknown activity type "lead:flown""#);
    }
}
