//! Reading one JSON object's keys into typed slots: duplicates refused, unknown fields kept,
//! and the path of any failure written down for the error.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Spot, Track};
use crate::read::extra::{duplicate, Key, StrictValue};
use crate::text::path::Segment;

/// One object being read, and where its failures are recorded.
#[derive(Clone, Copy)]
pub(crate) struct ObjectReader<'t> {
    pub track: &'t Track,
}

impl<'t> ObjectReader<'t> {
    pub(crate) fn new(track: &'t Track) -> Self {
        ObjectReader { track }
    }

    pub(crate) fn next_key<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
    ) -> Result<Option<Cow<'de, str>>, A::Error> {
        map.next_key_seed(Key)
    }

    /// Reads the value of `key`, adding the key to the failure's path if it fails: the error
    /// then points into that value (see `locate`).
    pub(crate) fn value<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
        &self,
        map: &mut A,
        key: &str,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        map.next_value_seed(seed)
            .inspect_err(|_| self.track.value_failed(Segment::Key(key.into())))
    }

    /// Reads the value of a known `key` into its slot; a second occurrence is an error.
    pub(crate) fn fill<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
        &self,
        map: &mut A,
        slot: &mut Option<S::Value>,
        key: &str,
        seed: S,
    ) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(self.duplicate(key));
        }
        *slot = Some(self.value(map, key, seed)?);
        Ok(())
    }

    /// Reads the object value of a known `key` into `target`, a value made beforehand, with
    /// `reader`; a second occurrence (`seen`) is an error. Large objects are built where they
    /// stay instead of being returned through serde_json's layers and moved into place.
    pub(crate) fn fill_in<'de, A: MapAccess<'de>, R: FillIn<'de>>(
        &self,
        map: &mut A,
        seen: &mut bool,
        target: &mut R::Target,
        key: &str,
        reader: R,
    ) -> Result<(), A::Error> {
        if std::mem::replace(seen, true) {
            return Err(self.duplicate(key));
        }
        self.value(map, key, Fill { reader, target })
    }

    /// Reads the value of a known `key`, an object or `null`, into its slot with `visitor`;
    /// a second occurrence is an error.
    pub(crate) fn place_nullable<'de, A: MapAccess<'de>, V: Visitor<'de>>(
        &self,
        map: &mut A,
        slot: &mut Option<Option<V::Value>>,
        key: &str,
        visitor: V,
    ) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(self.duplicate(key));
        }
        self.value(
            map,
            key,
            Nullable(InPlace {
                visitor,
                slot: slot.insert(None),
            }),
        )
        .map(|_| ())
    }

    /// Keeps an unknown field; a second occurrence is an error.
    pub(crate) fn keep<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        extra: &mut Map<String, Value>,
        key: Cow<'de, str>,
    ) -> Result<(), A::Error> {
        if extra.contains_key(key.as_ref()) {
            return Err(self.duplicate(&key));
        }
        let value = self.value(map, &key, StrictValue(self.track))?;
        extra.insert(key.into_owned(), value);
        Ok(())
    }

    pub(crate) fn duplicate<E: de::Error>(&self, key: &str) -> E {
        duplicate(self.track, key)
    }

    /// Checks that a required object filled in place was there.
    pub(crate) fn require_seen<E: de::Error>(
        &self,
        seen: bool,
        key: &'static str,
    ) -> Result<(), E> {
        self.required(seen.then_some(()), key)
    }

    /// The value of a required field, or an error naming it.
    pub(crate) fn required<T, E: de::Error>(
        &self,
        slot: Option<T>,
        key: &'static str,
    ) -> Result<T, E> {
        slot.ok_or_else(|| {
            self.track.fail(key, Spot::End);
            E::missing_field(key)
        })
    }
}

/// Declares the reader of one model type, carrying its [`ObjectReader`], and the type's
/// `Deserialize` impl through it. `reads`: the reader is a `Visitor` returning the value (small
/// types); `fills`: the reader is a [`FillIn`] completing `$placeholder` in place (large types).
/// Either way the reader's body is written by hand.
macro_rules! object_reader {
    ($reader:ident reads $model:ty) => {
        pub(crate) struct $reader<'t>(pub $crate::read::reader::ObjectReader<'t>);

        impl<'de> serde::de::DeserializeSeed<'de> for $reader<'_> {
            type Value = $model;

            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<$model, D::Error> {
                deserializer.deserialize_map(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $model {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let track = $crate::error::Track::default();
                let reader = $reader($crate::read::reader::ObjectReader::new(&track));
                serde::de::DeserializeSeed::deserialize(reader, deserializer)
            }
        }
    };
    ($reader:ident fills $model:ty = $placeholder:expr) => {
        pub(crate) struct $reader<'t>(pub $crate::read::reader::ObjectReader<'t>);

        impl $reader<'_> {
            /// The value the reader starts from: cheap, allocation-free, fully overwritten
            /// by a successful read.
            pub(crate) fn placeholder() -> $model {
                $placeholder
            }
        }

        impl<'de> serde::Deserialize<'de> for $model {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let track = $crate::error::Track::default();
                let reader = $reader($crate::read::reader::ObjectReader::new(&track));
                let mut value = $reader::placeholder();
                $crate::read::reader::Fill::new(reader, &mut value)
                    .deserialize_into(deserializer)?;
                Ok(value)
            }
        }
    };
}

/// `DeserializeSeed` for a plain `Deserialize` type.
pub(crate) fn plain<T>() -> PhantomData<T> {
    PhantomData
}

/// Reads `null` (or nothing) as `None`, anything else with the inner seed.
pub(crate) struct Nullable<S>(pub S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// Deserializes an object with `visitor` straight into `slot`.
pub(crate) struct InPlace<'s, T, V> {
    visitor: V,
    slot: &'s mut Option<T>,
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for InPlace<'_, V::Value, V> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for InPlace<'_, V::Value, V> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        *self.slot = Some(self.visitor.visit_map(map)?);
        Ok(())
    }
}

/// A reader that completes a value made beforehand instead of returning a new one.
pub(crate) trait FillIn<'de> {
    /// The type of value filled.
    type Target;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// Reads the object's entries into `target`. On error, `target` is left part-filled.
    fn fill_in<A: MapAccess<'de>>(self, map: A, target: &mut Self::Target) -> Result<(), A::Error>;
}

/// Deserializes an object into `target` with a [`FillIn`] reader.
pub(crate) struct Fill<'s, R, T> {
    reader: R,
    target: &'s mut T,
}

impl<'s, R, T> Fill<'s, R, T> {
    pub(crate) fn new(reader: R, target: &'s mut T) -> Self {
        Fill { reader, target }
    }
}

impl<'de, R: FillIn<'de>> Fill<'_, R, R::Target> {
    pub(crate) fn deserialize_into<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, R: FillIn<'de>> DeserializeSeed<'de> for Fill<'_, R, R::Target> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, R: FillIn<'de>> Visitor<'de> for Fill<'_, R, R::Target> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reader.expecting(f)
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.reader.fill_in(map, self.target)
    }
}
