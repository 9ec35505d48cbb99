//! [`User`]: the ClinchPad user who did an activity, or to whom a lead is assigned.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::read::extra::write_extra;
use crate::read::reader::{plain, Nullable};
use crate::UserId;

/// A ClinchPad user: `{"_id", "name", "photo_url"}` on the wire.
///
/// ```
/// let user: clinchpad_webhook::User = serde_json::from_str(
///     r#"{"_id": "52cf8c0acce8b4c375000001", "name": "Webhook Testing", "photo_url": null}"#,
/// )?;
/// assert_eq!(user.name, "Webhook Testing");
/// assert_eq!(user.photo_url, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct User {
    /// `_id`.
    pub id: UserId,
    /// The user's display name.
    pub name: String,
    /// URL of the user's photo; `null` and absent both read as `None`.
    pub photo_url: Option<String>,
    /// Fields this version does not model, kept as they came.
    pub extra: Map<String, Value>,
}

impl User {
    /// A user with the given id and name, no photo and no other fields.
    ///
    /// ```
    /// let user = clinchpad_webhook::User::new("52cf8c0acce8b4c375000001", "Ana");
    /// assert_eq!(user.id, "52cf8c0acce8b4c375000001");
    /// ```
    pub fn new(id: impl Into<UserId>, name: impl Into<String>) -> Self {
        User {
            id: id.into(),
            name: name.into(),
            photo_url: None,
            extra: Map::new(),
        }
    }
}

/// The keys `User` reads as its own fields (see its reader below).
const FIELDS: [&str; 3] = ["_id", "name", "photo_url"];

object_reader!(UserReader reads User);

impl<'de> Visitor<'de> for UserReader<'_> {
    type Value = User;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user object")
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<User, A::Error> {
        let object = self.0;
        let (mut id, mut name, mut photo_url) = (None, None, None);
        let mut extra = Map::new();
        while let Some(key) = object.next_key(&mut map)? {
            match key.as_ref() {
                "_id" => object.fill(&mut map, &mut id, "_id", plain())?,
                "name" => object.fill(&mut map, &mut name, "name", plain())?,
                "photo_url" => {
                    object.fill(&mut map, &mut photo_url, "photo_url", Nullable(plain()))?
                }
                _ => object.keep(&mut map, &mut extra, key)?,
            }
        }
        Ok(User {
            id: object.required(id, "_id")?,
            name: object.required(name, "name")?,
            photo_url: photo_url.flatten(),
            extra,
        })
    }
}

impl serde::Serialize for User {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("_id", &self.id)?;
        map.serialize_entry("name", &self.name)?;
        if let Some(photo_url) = &self.photo_url {
            map.serialize_entry("photo_url", photo_url)?;
        }
        // Inside `activity` or `lead`: three objects deep.
        write_extra(&mut map, &self.extra, "User", 3, |key| {
            FIELDS.contains(&key)
        })?;
        map.end()
    }
}
