//! The macro that turns the table of activity types (in `types.rs`) into code: the
//! [`ActivityType`](crate::ActivityType) enum and its string mapping, one struct per type
//! with the type's fields and its conversions, the [`ActivityKind`](crate::ActivityKind) enum
//! that wraps them, and the conversion of pending fields into a kind. Adding a type is one row
//! of the table.

/// Reads one table field from the pending fields: by its type's [`FieldSlot`], or as
/// [`ScalarText`] when the row marks it `#[scalar]`.
///
/// [`FieldSlot`]: crate::activity::fields::FieldSlot
/// [`ScalarText`]: crate::activity::fields::ScalarText
macro_rules! read_field {
    ($pending:ident, $field:ident: $fty:ty) => {
        <$fty as $crate::activity::fields::FieldSlot>::from_slot(
            stringify!($field),
            $pending.take(stringify!($field)),
        )
    };
    ($pending:ident, $field:ident: $fty:ty, scalar) => {
        <$fty as $crate::activity::fields::ScalarText>::from_slot(
            stringify!($field),
            $pending.take(stringify!($field)),
        )
    };
}

/// Expands to its body only for a field the table marks `#[scalar]`.
macro_rules! if_scalar {
    (scalar, $($body:tt)*) => { $($body)* };
    (, $($body:tt)*) => {};
}

macro_rules! activity_types {
    ($(
        $variant:ident = $wire:literal, $description:literal {
            $( $(#[$how:ident])? $field:ident: $fty:ty ),* $(,)?
        }
    )*) => {
        /// An activity's type without its fields: one of the documented types.
        ///
        /// ```
        /// use clinchpad_webhook::ActivityType;
        ///
        /// let moved: ActivityType = "lead:moved".parse()?;
        /// assert_eq!(moved, ActivityType::LeadMoved);
        /// assert_eq!(moved.as_str(), "lead:moved");
        /// assert_eq!(moved.to_string(), "lead:moved");
        /// assert_eq!(ActivityType::ALL.len(), 33);
        /// # Ok::<(), clinchpad_webhook::ParseActivityTypeError>(())
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ActivityType {
            $(
                #[doc = concat!("`", $wire, "`: ", $description, ".")]
                $variant,
            )*
        }

        impl ActivityType {
            /// Every documented type, in the documentation's order.
            pub const ALL: [ActivityType; [$($wire),*].len()] = [$(ActivityType::$variant),*];

            /// The type's wire name, e.g. `"lead:moved"`.
            ///
            /// ```
            /// assert_eq!(clinchpad_webhook::ActivityType::TodoDoneChanged.as_str(), "todo:done_changed");
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ActivityType::$variant => $wire,)*
                }
            }

            /// The documentation's one-line description of the type, as the documentation
            /// words it but for a slip of its grammar mended ("An email", where it says "A
            /// email").
            ///
            /// ```
            /// use clinchpad_webhook::ActivityType;
            ///
            /// assert_eq!(ActivityType::LeadWon.description(), "A lead was marked as won");
            /// assert_eq!(ActivityType::EmailReceived.description(), "An email was added to a lead");
            /// ```
            pub const fn description(self) -> &'static str {
                match self {
                    $(ActivityType::$variant => $description,)*
                }
            }

            /// The wire names of the type's own fields, in the documentation's order.
            ///
            /// ```
            /// use clinchpad_webhook::ActivityType;
            /// assert_eq!(ActivityType::LeadMoved.field_names(), ["old_stage_name", "new_stage_name"]);
            /// assert!(ActivityType::LeadWon.field_names().is_empty());
            /// ```
            pub const fn field_names(self) -> &'static [&'static str] {
                match self {
                    $(ActivityType::$variant => &[$(stringify!($field)),*],)*
                }
            }

            /// Whether the type's field `field` is free text (see
            /// [`FreeText`](crate::activity::fields::FreeText)); `None` when the type has no
            /// such field.
            pub(crate) fn field_is_free_text(self, field: &str) -> Option<bool> {
                match self {
                    $(ActivityType::$variant => match field {
                        $(stringify!($field) => Some(<$fty as $crate::activity::fields::FreeText>::FREE_TEXT),)*
                        _ => None,
                    },)*
                }
            }

            /// The type with this wire name, if it is a documented one.
            pub(crate) fn from_wire(name: &str) -> Option<ActivityType> {
                match name {
                    $($wire => Some(ActivityType::$variant),)*
                    _ => None,
                }
            }
        }

        $(
            #[doc = concat!("`", $wire, "`: ", $description, ".")]
            ///
            #[doc = concat!(
                "The data of [`ActivityKind::", stringify!($variant), "`], one field per field ",
                "of the type under its wire name; `Option` for the fields the documentation ",
                "calls \"(if applicable)\". See [`ActivityData`](crate::ActivityData) for ",
                "reaching it from a kind."
            )]
            #[derive(Debug, Clone, PartialEq)]
            pub struct $variant {
                $(
                    #[doc = concat!("`", stringify!($field), "` on the wire.")]
                    pub $field: $fty,
                )*
            }

            impl $crate::activity::data::sealed::Sealed for $variant {}

            impl $crate::ActivityData for $variant {
                const TYPE: ActivityType = ActivityType::$variant;

                fn from_kind(kind: &ActivityKind) -> Option<&Self> {
                    match kind {
                        ActivityKind::$variant(data) => Some(data),
                        _ => None,
                    }
                }

                fn from_kind_mut(kind: &mut ActivityKind) -> Option<&mut Self> {
                    match kind {
                        ActivityKind::$variant(data) => Some(data),
                        _ => None,
                    }
                }
            }

            impl From<$variant> for ActivityKind {
                fn from(data: $variant) -> ActivityKind {
                    ActivityKind::$variant(data)
                }
            }

            /// The kind's data when it is of this type; otherwise the kind, unchanged.
            impl TryFrom<ActivityKind> for $variant {
                type Error = ActivityKind;

                fn try_from(kind: ActivityKind) -> Result<Self, ActivityKind> {
                    match kind {
                        ActivityKind::$variant(data) => Ok(data),
                        other => Err(other),
                    }
                }
            }

            #[allow(unused_variables)]
            impl $variant {
                /// Reads the type's fields from the pending ones, taking them out.
                pub(crate) fn from_pending(
                    pending: &mut $crate::activity::fields::Pending<'_>,
                ) -> Result<Self, $crate::activity::fields::FieldError> {
                    Ok($variant {
                        $($field: read_field!(pending, $field: $fty $(, $how)?)?,)*
                    })
                }

                /// Writes the type's fields into a map being serialized.
                pub(crate) fn write_fields<M: serde::ser::SerializeMap>(
                    &self,
                    map: &mut M,
                ) -> Result<(), M::Error> {
                    $($crate::activity::fields::FieldSlot::write(&self.$field, stringify!($field), map)?;)*
                    Ok(())
                }

                /// Calls `each` with the wire name and text of every field the table marks
                /// `#[scalar]` (text that may arrive as a JSON number).
                fn scalar_texts_mut(&mut self, each: &mut impl FnMut(&'static str, &mut String)) {
                    $(if_scalar!($($how)?,
                        if let Some(text) = $crate::activity::fields::ScalarText::text_mut(&mut self.$field) {
                            each(stringify!($field), text);
                        }
                    );)*
                }
            }

            /// Written as the type's fields alone: `{"old_stage_name": ..., ...}`.
            impl serde::Serialize for $variant {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    use serde::ser::SerializeMap;
                    let mut map = serializer.serialize_map(None)?;
                    self.write_fields(&mut map)?;
                    map.end()
                }
            }

            /// Read from the type's fields alone, as the type's fields of an activity are: a
            /// field this version does not know is an error here.
            impl<'de> serde::Deserialize<'de> for $variant {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    $crate::activity::de::read_data(deserializer, ActivityType::$variant, $variant::from_pending)
                }
            }
        )*

        /// What happened, with the data of its type: one variant per documented type, each
        /// holding the type's own struct, and [`ActivityKind::Unknown`] for types this version
        /// does not know.
        ///
        /// ```
        /// use clinchpad_webhook::activity::LeadMoved;
        /// use clinchpad_webhook::ActivityKind;
        ///
        /// let payload = clinchpad_webhook::parse(br#"{
        ///     "activity": {"_id": "a1", "created_at": "2024-03-05T14:07:31Z",
        ///                  "type": "lead:moved", "old_stage_name": "Offer", "new_stage_name": "Won"},
        ///     "lead": {"_id": "l1", "name": "Acme"}
        /// }"#)?;
        /// match &payload.activity.kind {
        ///     ActivityKind::LeadMoved(LeadMoved { old_stage_name, new_stage_name }) => {
        ///         assert_eq!((old_stage_name.as_str(), new_stage_name.as_str()), ("Offer", "Won"));
        ///     }
        ///     ActivityKind::Unknown { type_name, .. } => println!("new type: {type_name}"),
        ///     other => println!("{}", other.type_name()),
        /// }
        /// // Or straight to one type's data:
        /// let moved: &LeadMoved = payload.activity.kind.get().unwrap();
        /// assert_eq!(moved.new_stage_name, "Won");
        /// # Ok::<(), clinchpad_webhook::Error>(())
        /// ```
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum ActivityKind {
            $(
                #[doc = concat!("`", $wire, "`: ", $description, ".")]
                $variant($variant),
            )*
            /// A type this version does not know, kept whole: its wire name and every field
            /// of the activity other than `_id`, `created_at`, `type` and `user`.
            Unknown {
                /// The type's wire name, e.g. `"deal:forecast_changed"`.
                type_name: String,
                /// The activity's other fields, as they came.
                fields: serde_json::Map<String, serde_json::Value>,
            },
            /// A documented type whose own fields do not fit what the documentation says of
            /// them (one is missing, or of another JSON type or format): what
            /// [`Receiver::accept`](crate::Receiver::accept) makes of them rather than refuse
            /// the delivery. [`parse`](crate::parse) and
            /// [`Receiver::receive`](crate::Receiver::receive) never give it: they refuse
            /// such a body.
            ///
            /// [`activity_type`](ActivityKind::activity_type) and
            /// [`type_name`](ActivityKind::type_name) name the type as usual, while
            /// [`get`](ActivityKind::get) finds no data; the type's fields are kept as they
            /// came, and written back so.
            Drifted {
                /// The documented type the activity's `type` names.
                activity_type: ActivityType,
                /// Those of the type's own fields the activity has, as they came; the
                /// activity's other unknown fields stay in [`Activity::extra`](crate::Activity::extra).
                fields: serde_json::Map<String, serde_json::Value>,
            },
        }

        impl ActivityKind {
            /// The type's wire name, for every variant, [`Unknown`](ActivityKind::Unknown)
            /// included.
            ///
            /// ```
            /// use clinchpad_webhook::{activity::LeadWon, ActivityKind};
            ///
            /// assert_eq!(ActivityKind::from(LeadWon {}).type_name(), "lead:won");
            /// ```
            pub fn type_name(&self) -> &str {
                match self {
                    $(ActivityKind::$variant(_) => $wire,)*
                    ActivityKind::Unknown { type_name, .. } => type_name,
                    ActivityKind::Drifted { activity_type, .. } => activity_type.as_str(),
                }
            }

            /// The documented type, or `None` for [`Unknown`](ActivityKind::Unknown). A
            /// [`Drifted`](ActivityKind::Drifted) kind names its type too.
            ///
            /// ```
            /// use clinchpad_webhook::{activity::NoteCreated, ActivityKind, ActivityType};
            ///
            /// let kind = ActivityKind::from(NoteCreated { note_content: "Hello".into() });
            /// assert_eq!(kind.activity_type(), Some(ActivityType::NoteCreated));
            /// ```
            pub fn activity_type(&self) -> Option<ActivityType> {
                match self {
                    $(ActivityKind::$variant(_) => Some(ActivityType::$variant),)*
                    ActivityKind::Unknown { .. } => None,
                    ActivityKind::Drifted { activity_type, .. } => Some(*activity_type),
                }
            }

            /// Builds the kind named `type_name` from the pending fields, taking out the
            /// fields of its row and leaving the rest.
            pub(crate) fn from_pending(
                type_name: std::borrow::Cow<'_, str>,
                pending: &mut $crate::activity::fields::Pending<'_>,
            ) -> Result<ActivityKind, $crate::activity::fields::FieldError> {
                match type_name.as_ref() {
                    $($wire => $variant::from_pending(pending).map(ActivityKind::$variant),)*
                    _ => Ok(ActivityKind::Unknown {
                        type_name: type_name.into_owned(),
                        fields: std::mem::take(pending).into_map(),
                    }),
                }
            }

            /// Calls `each` with the wire name and text of every field of the kind that the
            /// table marks `#[scalar]` (text that may arrive as a JSON number).
            pub(crate) fn scalar_texts_mut(&mut self, mut each: impl FnMut(&'static str, &mut String)) {
                match self {
                    $(ActivityKind::$variant(data) => data.scalar_texts_mut(&mut each),)*
                    ActivityKind::Unknown { .. } | ActivityKind::Drifted { .. } => {}
                }
            }

            /// Writes the type's fields (not `type` itself) into a map being serialized.
            pub(crate) fn write_fields<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $(ActivityKind::$variant(data) => data.write_fields(map),)*
                    ActivityKind::Unknown { type_name, fields } => {
                        if let Some(documented) = ActivityType::from_wire(type_name) {
                            return Err(serde::ser::Error::custom(format_args!(
                                "ActivityKind::Unknown is named {}, a documented type: use ActivityKind::{documented:?}",
                                $crate::text::escape::quote(type_name)
                            )));
                        }
                        $crate::read::extra::write_extra(map, fields, "ActivityKind::Unknown", 2, |key| {
                            $crate::activity::ACTIVITY_FIELDS.contains(&key)
                        })
                    }
                    ActivityKind::Drifted { activity_type, fields } => {
                        let own = activity_type.field_names();
                        if let Some(other) = fields.keys().find(|key| !own.contains(&key.as_str())) {
                            return Err(serde::ser::Error::custom(format_args!(
                                "ActivityKind::Drifted holds {}, which is not a field of {}: put it in Activity::extra",
                                $crate::text::escape::quote(other),
                                $crate::text::escape::quote(activity_type.as_str())
                            )));
                        }
                        $crate::read::extra::write_extra(map, fields, "ActivityKind::Drifted", 2, |_| false)
                    }
                }
            }
        }
    };
}
