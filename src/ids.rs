//! Id newtypes: one per kind of object, so a lead's id cannot be passed where a user's is due.
//!
//! ClinchPad's ids are opaque strings (24 hexadecimal characters in every example, but nothing
//! promises that). Ids up to 24 bytes are stored inline, without a heap allocation; longer
//! ones are kept too.

use std::fmt;

/// Inline capacity: a MongoDB ObjectId in hexadecimal, the only shape seen so far.
const INLINE: usize = 24;

#[derive(Clone, PartialEq, Eq)]
enum IdText {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl IdText {
    fn new(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            IdText::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            IdText::Heap(text.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Only ever filled from a `&str` cut at its end, so always valid UTF-8.
            IdText::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            IdText::Heap(text) => text,
        }
    }
}

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(IdText);

        impl $name {
            /// Wraps an id's text.
            #[inline]
            pub fn new(text: &str) -> Self {
                $name(IdText::new(text))
            }

            /// The id as it appears on the wire.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        impl From<&str> for $name {
            #[inline]
            fn from(text: &str) -> Self {
                $name::new(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name::new(&text)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(IdVisitor).map($name)
            }
        }
    )*};
}

struct IdVisitor;

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = IdText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<IdText, E> {
        Ok(IdText::new(text))
    }
}

id_types! {
    /// The `_id` of an [`Activity`](crate::Activity).
    ///
    /// ```
    /// let id = clinchpad_webhook::ActivityId::new("52cfbf76cce8b40f0f000005");
    /// assert_eq!(id.as_str(), "52cfbf76cce8b40f0f000005");
    /// ```
    ActivityId;
    /// The `_id` of a [`Lead`](crate::Lead).
    ///
    /// ```
    /// let id = clinchpad_webhook::LeadId::from("52cfa124cce8b4d113000056");
    /// assert_eq!(id, "52cfa124cce8b4d113000056");
    /// ```
    LeadId;
    /// The `_id` of a [`User`](crate::User).
    ///
    /// ```
    /// let id = clinchpad_webhook::UserId::new("52cf8c0acce8b4c375000001");
    /// assert_eq!(id.to_string(), "52cf8c0acce8b4c375000001");
    /// ```
    UserId;
    /// The `_id` of a [`Stage`](crate::Stage).
    ///
    /// ```
    /// let id = clinchpad_webhook::StageId::new("52cf8c0bcce8b4c37500000c");
    /// assert_eq!(id.as_str().len(), 24);
    /// ```
    StageId;
    /// The `_id` of a [`Pipe`](crate::Pipe) (a pipeline).
    ///
    /// ```
    /// let id = clinchpad_webhook::PipeId::new("52cf8c0bcce8b4c375000008");
    /// assert_eq!(id.as_str(), "52cf8c0bcce8b4c375000008");
    /// ```
    PipeId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_keep_their_text() {
        for text in [
            "",
            "a",
            "52cfbf76cce8b40f0f000005",
            "52cfbf76cce8b40f0f0000051",
            "ü",
        ] {
            assert_eq!(LeadId::new(text).as_str(), text);
        }
        let long = "x".repeat(1000);
        assert_eq!(UserId::new(&long).as_str(), long);
    }
}
