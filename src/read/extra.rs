//! Unknown fields: kept as JSON values, with duplicated keys refused at every depth.
//!
//! `serde_json::Value` keeps the last of two equal keys. For a webhook that is how a forged
//! field slips past one reader and not another, so unknown fields are read with
//! [`StrictValue`] instead.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, SerializeMap};
use serde_json::{Map, Number, Value};

use crate::error::{Spot, Track};
use crate::text::escape::quote;
use crate::text::path::Segment;

/// Reads a key without copying it when the input allows.
pub(crate) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text))
    }
}

/// The error for a key seen twice in one object, recorded in `track` as the failure.
pub(crate) fn duplicate<E: de::Error>(track: &Track, key: &str) -> E {
    track.fail(key, Spot::RepeatedKey);
    E::custom(format_args!("duplicate field {}", quote(key)))
}

/// Reads any JSON value, refusing duplicated keys in every object inside it; a failure inside
/// is recorded in the track with its path from here (`[3].x`).
#[derive(Clone, Copy)]
pub(crate) struct StrictValue<'t>(pub &'t Track);

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq
            .next_element_seed(self)
            .inspect_err(|_| self.0.value_failed(Segment::Index(items.len())))?
        {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if object.contains_key(key.as_ref()) {
                return Err(duplicate(self.0, &key));
            }
            let value = map
                .next_value_seed(self)
                .inspect_err(|_| self.0.value_failed(Segment::Key(key.as_ref().into())))?;
            object.insert(key.into_owned(), value);
        }
        Ok(Value::Object(object))
    }
}

/// The deepest nesting of arrays and objects a body can have: serde_json refuses the 128th
/// level, so what is written deeper would not read back.
pub(crate) const MAX_DEPTH: usize = 127;

/// Writes an object's unknown fields after its known ones, refusing, with an error that names
/// the field, what `parse` would not read back as the same value: a key the object reads as
/// one of its own (`modelled`), which would be written twice or read into that field; or a
/// value nested deeper than a body can be, given the `depth` of objects around `extra`.
pub(crate) fn write_extra<M: SerializeMap>(
    map: &mut M,
    extra: &Map<String, Value>,
    owner: &str,
    depth: usize,
    modelled: impl Fn(&str) -> bool,
) -> Result<(), M::Error> {
    for (key, value) in extra {
        if modelled(key) {
            return Err(ser::Error::custom(format_args!(
                "{owner} holds {} among its unknown fields, but reads that key as its own: set \
                 the field instead",
                quote(key)
            )));
        }
        if deeper_than(value, MAX_DEPTH.saturating_sub(depth)) {
            return Err(ser::Error::custom(format_args!(
                "{owner}'s unknown field {} is nested deeper than a body can be ({MAX_DEPTH} \
                 levels of arrays and objects in all)",
                quote(key)
            )));
        }
        map.serialize_entry(key, value)?;
    }
    Ok(())
}

/// Whether `value` has more than `levels` levels of arrays and objects, found without recursion.
fn deeper_than(value: &Value, levels: usize) -> bool {
    let mut pending = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(object) => Box::new(object.values()),
            _ => continue,
        };
        if depth + 1 > levels {
            return true;
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_arrays_and_objects() {
        assert!(!deeper_than(&json!(1), 0));
        assert!(deeper_than(&json!([]), 0));
        assert!(!deeper_than(&json!([{"a": [1]}]), 3));
        assert!(deeper_than(&json!([{"a": [1]}]), 2));
    }
}
