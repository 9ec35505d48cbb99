//! [`Stage`] and [`Pipe`]: where a lead sits in the sales pipeline. Both are a named
//! reference `{"_id", "name"}` on the wire, so one macro writes both.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::read::extra::write_extra;
use crate::read::reader::plain;
use crate::{PipeId, StageId};

macro_rules! named_reference {
    ($(#[$doc:meta])* $name:ident, $reader:ident, $id:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// `_id`.
            pub id: $id,
            /// The name shown in ClinchPad.
            pub name: String,
            /// Fields this version does not model, kept as they came.
            pub extra: Map<String, Value>,
        }

        impl $name {
            #[doc = concat!("A ", $what, " with the given id and name and no other fields.")]
            pub fn new(id: impl Into<$id>, name: impl Into<String>) -> Self {
                $name { id: id.into(), name: name.into(), extra: Map::new() }
            }
        }

        object_reader!($reader reads $name);

        impl<'de> Visitor<'de> for $reader<'_> {
            type Value = $name;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("a ", $what, " object"))
            }

            #[inline]
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                let object = self.0;
                let (mut id, mut name) = (None, None);
                let mut extra = Map::new();
                while let Some(key) = object.next_key(&mut map)? {
                    match key.as_ref() {
                        "_id" => object.fill(&mut map, &mut id, "_id", plain())?,
                        "name" => object.fill(&mut map, &mut name, "name", plain())?,
                        _ => object.keep(&mut map, &mut extra, key)?,
                    }
                }
                Ok($name {
                    id: object.required(id, "_id")?,
                    name: object.required(name, "name")?,
                    extra,
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("_id", &self.id)?;
                map.serialize_entry("name", &self.name)?;
                // Inside `lead`: three objects deep.
                let own = |key: &str| key == "_id" || key == "name";
                write_extra(&mut map, &self.extra, stringify!($name), 3, own)?;
                map.end()
            }
        }
    };
}

named_reference! {
    /// A stage of a pipeline (`"Offer"`, `"Negotiation"`, ...): `{"_id", "name"}` on the wire.
    ///
    /// ```
    /// let stage = clinchpad_webhook::Stage::new("52cf8c0bcce8b4c37500000c", "Offer");
    /// assert_eq!(serde_json::to_string(&stage)?, r#"{"_id":"52cf8c0bcce8b4c37500000c","name":"Offer"}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    Stage, StageReader, StageId, "stage"
}

named_reference! {
    /// A pipeline (`"Default"`, ...): `{"_id", "name"}` on the wire.
    ///
    /// ```
    /// let pipe: clinchpad_webhook::Pipe =
    ///     serde_json::from_str(r#"{"_id": "52cf8c0bcce8b4c375000008", "name": "Default", "color": "red"}"#)?;
    /// assert_eq!(pipe.name, "Default");
    /// assert_eq!(pipe.extra["color"], "red");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    Pipe, PipeReader, PipeId, "pipe"
}
