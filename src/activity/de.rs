//! The one hand-written reader for an activity: common keys into typed slots, every other
//! key into [`Pending`], and the kind built at the end, when `type` is surely known.
//!
//! A derive with `#[serde(flatten)]` and an internally tagged enum would buffer the whole
//! object into serde's private content type and replay it; this reads each value once.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::fields::{FieldError, Pending};
use crate::error::{Spot, Track};
use crate::read::extra::{Key, StrictValue};
use crate::read::reader::{plain, FillIn, ObjectReader};
use crate::read::wire::Timestamp;
use crate::user::UserReader;
use crate::{Activity, ActivityKind, ActivityType};
use chrono::{DateTime, Utc};

object_reader!(
    ActivityReader fills Activity = Activity::new("", DateTime::<Utc>::MIN_UTC, ActivityKind::LeadCreated(super::LeadCreated {}))
);

impl<'de> FillIn<'de> for ActivityReader<'_> {
    type Target = Activity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an activity object")
    }

    #[inline]
    fn fill_in<A: MapAccess<'de>>(
        self,
        mut map: A,
        activity: &mut Activity,
    ) -> Result<(), A::Error> {
        let object = self.0;
        let (mut id, mut created_at, mut type_name, mut user) = (None, None, None, None);
        let mut pending = Pending::default();
        while let Some(key) = object.next_key(&mut map)? {
            match key.as_ref() {
                "_id" => object.fill(&mut map, &mut id, "_id", plain())?,
                "created_at" => object.fill(&mut map, &mut created_at, "created_at", Timestamp)?,
                "type" => object.fill(&mut map, &mut type_name, "type", Key)?,
                "user" => {
                    let reader = UserReader(ObjectReader::new(object.track));
                    object.place_nullable(&mut map, &mut user, "user", reader)?
                }
                _ => keep_pending(&object, &mut map, &mut pending, key)?,
            }
        }
        activity.id = object.required(id, "_id")?;
        activity.created_at = object.required(created_at, "created_at")?;
        let type_name = object.required(type_name, "type")?;
        activity.kind = build_kind(&object, type_name, &mut pending)?;
        activity.user = user.flatten();
        if !pending.is_empty() {
            // Assigned only when needed: replacing the placeholder's empty map costs a drop.
            activity.extra = pending.into_map();
        }
        Ok(())
    }
}

fn keep_pending<'de, A: MapAccess<'de>>(
    object: &ObjectReader<'_>,
    map: &mut A,
    pending: &mut Pending<'de>,
    key: Cow<'de, str>,
) -> Result<(), A::Error> {
    if pending.contains(&key) {
        return Err(object.duplicate(&key));
    }
    let value = object.value(map, &key, StrictValue(object.track))?;
    pending
        .insert(key, value)
        .map_err(|key| object.duplicate(&key))
}

/// Builds the kind from the pending fields. Where the reading tolerates drift, a documented
/// type whose fields do not fit becomes [`ActivityKind::Drifted`] instead of an error.
#[inline]
fn build_kind<E: de::Error>(
    object: &ObjectReader<'_>,
    type_name: Cow<'_, str>,
    pending: &mut Pending<'_>,
) -> Result<ActivityKind, E> {
    let kind = if object.track.tolerates_drift() {
        build_kind_tolerantly(type_name, pending)
    } else {
        ActivityKind::from_pending(type_name, pending)
    };
    kind.map_err(
        |FieldError {
             field,
             message,
             at_value,
         }| {
            let spot = if at_value { Spot::Value } else { Spot::End };
            object.track.fail(field, spot);
            E::custom(message)
        },
    )
}

/// [`build_kind`] on the tolerant path (out of the strict one's way): the type's fields as
/// they came, when they do not fit.
#[cold]
#[inline(never)]
fn build_kind_tolerantly(
    type_name: Cow<'_, str>,
    pending: &mut Pending<'_>,
) -> Result<ActivityKind, FieldError> {
    // Copied before the type's reader takes them out. (An unknown type takes whatever
    // fields there are, and never fails.)
    let Some(activity_type) = ActivityType::from_wire(&type_name) else {
        return ActivityKind::from_pending(type_name, pending);
    };
    let fields = pending.copy_of(activity_type.field_names());
    Ok(
        ActivityKind::from_pending(type_name, pending).unwrap_or_else(|_| {
            for field in activity_type.field_names() {
                pending.take(field);
            }
            ActivityKind::Drifted {
                activity_type,
                fields,
            }
        }),
    )
}

/// Reads an [`ActivityKind`] on its own: `{"type": ..., <fields>}`. Fields other than the
/// type's are an error here, as there is no activity to keep them on.
struct KindReader<'t>(ObjectReader<'t>);

impl<'de> Visitor<'de> for KindReader<'_> {
    type Value = ActivityKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a `type` and the type's fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ActivityKind, A::Error> {
        let object = self.0;
        let mut type_name = None;
        let mut pending = Pending::default();
        while let Some(key) = object.next_key(&mut map)? {
            match key.as_ref() {
                "type" => object.fill(&mut map, &mut type_name, "type", Key)?,
                _ => keep_pending(&object, &mut map, &mut pending, key)?,
            }
        }
        let type_name = object.required(type_name, "type")?;
        let kind = build_kind(&object, type_name, &mut pending)?;
        no_other_fields(pending, kind.type_name())?;
        Ok(kind)
    }
}

/// Refuses the fields left once a type's own are taken: read on their own (a kind, a type's
/// data), there is no activity to keep them on.
fn no_other_fields<E: de::Error>(pending: Pending<'_>, type_name: &str) -> Result<(), E> {
    match pending.into_map().into_iter().next() {
        None => Ok(()),
        Some((key, _)) => Err(E::custom(format_args!(
            "unknown field {} for activity type {}",
            crate::text::escape::quote(&key),
            crate::text::escape::quote(type_name)
        ))),
    }
}

impl<'de> serde::Deserialize<'de> for ActivityKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(KindReader(ObjectReader::new(&Track::default())))
    }
}

/// Reads the fields of one documented type on their own, `{<fields>}`, with `build` (the
/// type's `from_pending`). Fields other than the type's are an error.
pub(crate) fn read_data<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    activity_type: ActivityType,
    build: fn(&mut Pending<'_>) -> Result<T, FieldError>,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(DataReader {
        activity_type,
        build,
    })
}

struct DataReader<T> {
    activity_type: ActivityType,
    build: fn(&mut Pending<'_>) -> Result<T, FieldError>,
}

impl<'de, T> Visitor<'de> for DataReader<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with the fields of `{}`", self.activity_type)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let track = Track::default();
        let object = ObjectReader::new(&track);
        let mut pending = Pending::default();
        while let Some(key) = object.next_key(&mut map)? {
            keep_pending(&object, &mut map, &mut pending, key)?;
        }
        let data = (self.build)(&mut pending).map_err(|err| de::Error::custom(err.message))?;
        no_other_fields(pending, self.activity_type.as_str())?;
        Ok(data)
    }
}
