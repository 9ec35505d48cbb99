//! An activity's per-type fields: held until the type is known, then converted.
//!
//! The `type` key may come after the fields it governs (it does in the documentation's
//! example), so the reader keeps every field it does not model directly in [`Pending`]; once
//! the object ends, the type's row of the table takes its fields out by name and whatever
//! is left becomes the activity's unknown fields.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use crate::read::parsed_text::{FromWireText, ParsedText};
use crate::read::wire::{
    bool_from_value, number_from_value, scalar_text_from_value, text_from_value, WireNumber,
};

/// Fields waiting for the activity's type. Few per payload, so a short list; a hostile
/// payload with many keys moves to a tree, keeping duplicate checks logarithmic.
#[derive(Default)]
pub(crate) struct Pending<'de> {
    few: Vec<(Cow<'de, str>, Value)>,
    many: BTreeMap<Cow<'de, str>, Value>,
}

const FEW: usize = 8;

impl<'de> Pending<'de> {
    /// Adds a field; `Err` gives the value back when the key is already there.
    pub(crate) fn insert(&mut self, key: Cow<'de, str>, value: Value) -> Result<(), Cow<'de, str>> {
        if self.contains(&key) {
            return Err(key);
        }
        if self.many.is_empty() && self.few.len() < FEW {
            self.few.push((key, value));
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert(key, value);
        }
        Ok(())
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.few.iter().any(|(k, _)| k == key) || self.many.contains_key(key)
    }

    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        match self.few.iter().position(|(k, _)| k == key) {
            Some(i) => Some(self.few.swap_remove(i).1),
            None => self.many.remove(key),
        }
    }

    /// Copies of the values of those of `keys` that are here.
    pub(crate) fn copy_of(&self, keys: &[&str]) -> Map<String, Value> {
        keys.iter()
            .filter_map(|&key| {
                let value = self.few.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                value
                    .or_else(|| self.many.get(key))
                    .map(|value| (key.to_owned(), value.clone()))
            })
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.few.is_empty() && self.many.is_empty()
    }

    pub(crate) fn into_map(self) -> Map<String, Value> {
        if self.is_empty() {
            return Map::new();
        }
        self.few
            .into_iter()
            .chain(self.many)
            .map(|(k, v)| (k.into_owned(), v))
            .collect()
    }
}

/// A per-type field that failed: which one, why, and whether its value exists to point at.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub field: &'static str,
    pub message: String,
    /// `false` for a missing field: the error points at the end of the activity instead.
    pub at_value: bool,
}

/// How a field of the table is read from its pending value and written back.
pub(crate) trait FieldSlot: Sized {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError>;
    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error>;
}

/// A field type that is required unless wrapped in `Option`.
pub(crate) trait FieldValue: Sized {
    fn from_value(value: Value) -> Result<Self, String>;
    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error>;
}

fn required<T>(
    field: &'static str,
    value: Option<Value>,
    read: impl FnOnce(Value) -> Result<T, String>,
) -> Result<T, FieldError> {
    match value {
        None => Err(FieldError {
            field,
            message: format!("missing field `{field}`"),
            at_value: false,
        }),
        Some(Value::Null) => Err(FieldError {
            field,
            message: format!("field `{field}` is null but required"),
            at_value: true,
        }),
        Some(value) => read(value).map_err(|message| FieldError {
            field,
            message,
            at_value: true,
        }),
    }
}

fn optional<T>(
    field: &'static str,
    value: Option<Value>,
    read: impl FnOnce(Value) -> Result<T, String>,
) -> Result<Option<T>, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        value => required(field, value, read).map(Some),
    }
}

impl<T: FieldValue> FieldSlot for T {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError> {
        required(field, value, T::from_value)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        FieldValue::write(self, field, map)
    }
}

impl<T: FieldValue> FieldSlot for Option<T> {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError> {
        optional(field, value, T::from_value)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        match self {
            Some(value) => FieldValue::write(value, field, map),
            None => Ok(()),
        }
    }
}

impl FieldValue for String {
    fn from_value(value: Value) -> Result<Self, String> {
        text_from_value(value)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(field, self)
    }
}

impl FieldValue for f64 {
    fn from_value(value: Value) -> Result<Self, String> {
        number_from_value(value)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(field, &WireNumber(*self, field))
    }
}

impl FieldValue for bool {
    fn from_value(value: Value) -> Result<Self, String> {
        bool_from_value(value)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(field, self)
    }
}

impl<T: FromWireText> FieldValue for ParsedText<T> {
    fn from_value(value: Value) -> Result<Self, String> {
        text_from_value(value).map(ParsedText::new)
    }

    fn write<M: SerializeMap>(&self, field: &'static str, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(field, self.as_str())
    }
}

/// Whether a field's value is free text, which says nothing of the delivery's identity or
/// meaning but its words (a name, a note): where a key quoted in a body can be masked without
/// changing how the body reads. Numbers, booleans, dates and times are read by their format.
pub(crate) trait FreeText {
    const FREE_TEXT: bool;
}

impl FreeText for String {
    const FREE_TEXT: bool = true;
}

impl FreeText for f64 {
    const FREE_TEXT: bool = false;
}

impl FreeText for bool {
    const FREE_TEXT: bool = false;
}

impl<T: FromWireText> FreeText for ParsedText<T> {
    const FREE_TEXT: bool = false;
}

impl<T: FreeText> FreeText for Option<T> {
    const FREE_TEXT: bool = T::FREE_TEXT;
}

/// Text fields that also take a JSON number or boolean as its JSON text (`record_value`).
///
/// A number reaches the reader as `serde_json` parsed it, and is written here as `serde_json`
/// writes it (`19.90` as `19.9`); [`parse`](crate::parse), which has the body, then puts back
/// the text as it was (see `parse::keep_number_texts`).
pub(crate) trait ScalarText: Sized {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError>;

    /// The text, when there is one, to put the body's own text of a number in.
    fn text_mut(&mut self) -> Option<&mut String>;
}

impl ScalarText for String {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError> {
        required(field, value, scalar_text_from_value)
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        Some(self)
    }
}

impl ScalarText for Option<String> {
    fn from_slot(field: &'static str, value: Option<Value>) -> Result<Self, FieldError> {
        optional(field, value, scalar_text_from_value)
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        self.as_mut()
    }
}
