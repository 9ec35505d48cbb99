//! [`Lead`]: the CRM record every activity happens on.

use std::fmt;

use serde::de::MapAccess;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::pipeline::{PipeReader, StageReader};
use crate::read::extra::write_extra;
use crate::read::reader::{plain, FillIn, Nullable, ObjectReader};
use crate::read::wire::{LenientNumber, WireNumber};
use crate::user::UserReader;
use crate::{LeadId, Pipe, Stage, User};

/// The lead an activity happened on.
///
/// The webhook example shows `_id`, `name`, `stage` and `pipe`; leads from ClinchPad's API
/// also carry `size`, `archived` and `user`, so those are modelled too. `null` and absent
/// read the same for every optional field.
///
/// ```
/// let lead: clinchpad_webhook::Lead = serde_json::from_str(r#"{
///     "_id": "52cfa124cce8b4d113000056", "name": "Webhook T",
///     "size": "1500", "archived": false, "user": null,
///     "stage": {"_id": "52cf8c0bcce8b4c37500000c", "name": "Offer"}
/// }"#)?;
/// assert_eq!(lead.size, Some(1500.0));
/// assert_eq!(lead.stage.unwrap().name, "Offer");
/// assert!(lead.user.is_none() && lead.pipe.is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Lead {
    /// `_id`.
    pub id: LeadId,
    /// The lead's name.
    pub name: String,
    /// The lead's value, when set. Read from a JSON number or a string holding one.
    pub size: Option<f64>,
    /// Whether the lead is archived, when the payload says.
    pub archived: Option<bool>,
    /// The user the lead is assigned to, if any.
    pub user: Option<User>,
    /// The lead's current stage.
    pub stage: Option<Stage>,
    /// The lead's pipeline.
    pub pipe: Option<Pipe>,
    /// Fields this version does not model, kept as they came.
    pub extra: Map<String, Value>,
}

impl Lead {
    /// A lead with the given id and name and nothing else.
    ///
    /// ```
    /// let lead = clinchpad_webhook::Lead::new("52cfa124cce8b4d113000056", "Acme Corp");
    /// assert_eq!(lead.name, "Acme Corp");
    /// ```
    pub fn new(id: impl Into<LeadId>, name: impl Into<String>) -> Self {
        Lead {
            id: id.into(),
            name: name.into(),
            size: None,
            archived: None,
            user: None,
            stage: None,
            pipe: None,
            extra: Map::new(),
        }
    }
}

/// The keys `Lead` reads as its own fields (see its reader below).
const FIELDS: [&str; 7] = ["_id", "name", "size", "archived", "user", "stage", "pipe"];

object_reader!(LeadReader fills Lead = Lead::new("", ""));

impl<'de> FillIn<'de> for LeadReader<'_> {
    type Target = Lead;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a lead object")
    }

    #[inline]
    fn fill_in<A: MapAccess<'de>>(self, mut map: A, lead: &mut Lead) -> Result<(), A::Error> {
        let object = self.0;
        let track = object.track;
        let (mut id, mut name, mut size, mut archived) = (None, None, None, None);
        let (mut user, mut stage, mut pipe) = (None, None, None);
        while let Some(key) = object.next_key(&mut map)? {
            match key.as_ref() {
                "_id" => object.fill(&mut map, &mut id, "_id", plain())?,
                "name" => object.fill(&mut map, &mut name, "name", plain())?,
                "size" => object.fill(&mut map, &mut size, "size", Nullable(LenientNumber))?,
                "archived" => {
                    object.fill(&mut map, &mut archived, "archived", Nullable(plain()))?
                }
                "user" => {
                    let reader = UserReader(ObjectReader::new(track));
                    object.place_nullable(&mut map, &mut user, "user", reader)?
                }
                "stage" => {
                    let reader = StageReader(ObjectReader::new(track));
                    object.place_nullable(&mut map, &mut stage, "stage", reader)?
                }
                "pipe" => {
                    let reader = PipeReader(ObjectReader::new(track));
                    object.place_nullable(&mut map, &mut pipe, "pipe", reader)?
                }
                _ => object.keep(&mut map, &mut lead.extra, key)?,
            }
        }
        lead.id = object.required(id, "_id")?;
        lead.name = object.required(name, "name")?;
        lead.size = size.flatten();
        lead.archived = archived.flatten();
        lead.user = user.flatten();
        lead.stage = stage.flatten();
        lead.pipe = pipe.flatten();
        Ok(())
    }
}

impl serde::Serialize for Lead {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("_id", &self.id)?;
        map.serialize_entry("name", &self.name)?;
        if let Some(size) = self.size {
            map.serialize_entry("size", &WireNumber(size, "lead.size"))?;
        }
        if let Some(archived) = self.archived {
            map.serialize_entry("archived", &archived)?;
        }
        if let Some(user) = &self.user {
            map.serialize_entry("user", user)?;
        }
        if let Some(stage) = &self.stage {
            map.serialize_entry("stage", stage)?;
        }
        if let Some(pipe) = &self.pipe {
            map.serialize_entry("pipe", pipe)?;
        }
        write_extra(&mut map, &self.extra, "Lead", 2, |key| {
            FIELDS.contains(&key)
        })?;
        map.end()
    }
}
