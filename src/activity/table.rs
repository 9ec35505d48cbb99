//! The macro that turns the table of activity types (in `types.rs`) into code: the
//! [`ActivityType`](crate::ActivityType) enum and its string mapping, the
//! [`ActivityKind`](crate::ActivityKind) enum with each type's fields, and the conversion of
//! pending fields into a kind. Adding a type is one row of the table.

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

            /// The documentation's one-line description of the type.
            ///
            /// ```
            /// assert_eq!(clinchpad_webhook::ActivityType::LeadWon.description(), "A lead was marked as won");
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

            /// The type with this wire name, if it is a documented one.
            pub(crate) fn from_wire(name: &str) -> Option<ActivityType> {
                match name {
                    $($wire => Some(ActivityType::$variant),)*
                    _ => None,
                }
            }
        }

        /// What happened, with the fields of its type: one variant per documented type, and
        /// [`ActivityKind::Unknown`] for types this version does not know.
        ///
        /// ```
        /// use clinchpad_webhook::ActivityKind;
        ///
        /// let payload = clinchpad_webhook::parse(br#"{
        ///     "activity": {"_id": "a1", "created_at": "2024-03-05T14:07:31Z",
        ///                  "type": "lead:moved", "old_stage_name": "Offer", "new_stage_name": "Won"},
        ///     "lead": {"_id": "l1", "name": "Acme"}
        /// }"#)?;
        /// match &payload.activity.kind {
        ///     ActivityKind::LeadMoved { old_stage_name, new_stage_name } => {
        ///         assert_eq!((old_stage_name.as_str(), new_stage_name.as_str()), ("Offer", "Won"));
        ///     }
        ///     ActivityKind::Unknown { type_name, .. } => println!("new type: {type_name}"),
        ///     other => println!("{}", other.type_name()),
        /// }
        /// # Ok::<(), clinchpad_webhook::Error>(())
        /// ```
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum ActivityKind {
            $(
                #[doc = concat!("`", $wire, "`: ", $description, ".")]
                $variant {
                    $(
                        #[doc = concat!("`", stringify!($field), "` on the wire.")]
                        $field: $fty,
                    )*
                },
            )*
            /// A type this version does not know, kept whole: its wire name and every field
            /// of the activity other than `_id`, `created_at`, `type` and `user`.
            Unknown {
                /// The type's wire name, e.g. `"deal:forecast_changed"`.
                type_name: String,
                /// The activity's other fields, as they came.
                fields: serde_json::Map<String, serde_json::Value>,
            },
        }

        impl ActivityKind {
            /// The type's wire name, for every variant, [`Unknown`](ActivityKind::Unknown)
            /// included.
            ///
            /// ```
            /// let kind = clinchpad_webhook::ActivityKind::LeadWon {};
            /// assert_eq!(kind.type_name(), "lead:won");
            /// ```
            pub fn type_name(&self) -> &str {
                match self {
                    $(ActivityKind::$variant { .. } => $wire,)*
                    ActivityKind::Unknown { type_name, .. } => type_name,
                }
            }

            /// The documented type, or `None` for [`Unknown`](ActivityKind::Unknown).
            ///
            /// ```
            /// use clinchpad_webhook::{ActivityKind, ActivityType};
            /// let kind = ActivityKind::NoteCreated { note_content: "Hello".into() };
            /// assert_eq!(kind.activity_type(), Some(ActivityType::NoteCreated));
            /// ```
            pub fn activity_type(&self) -> Option<ActivityType> {
                match self {
                    $(ActivityKind::$variant { .. } => Some(ActivityType::$variant),)*
                    ActivityKind::Unknown { .. } => None,
                }
            }

            /// Builds the kind named `type_name` from the pending fields, taking out the
            /// fields of its row and leaving the rest.
            pub(crate) fn from_pending(
                type_name: std::borrow::Cow<'_, str>,
                pending: &mut $crate::activity::fields::Pending<'_>,
            ) -> Result<ActivityKind, $crate::activity::fields::FieldError> {
                match type_name.as_ref() {
                    $(
                        $wire => Ok(ActivityKind::$variant {
                            $($field: read_field!(pending, $field: $fty $(, $how)?)?,)*
                        }),
                    )*
                    _ => Ok(ActivityKind::Unknown {
                        type_name: type_name.into_owned(),
                        fields: std::mem::take(pending).into_map(),
                    }),
                }
            }

            /// Calls `each` with the wire name and text of every field of the kind that the
            /// table marks `#[scalar]` (text that may arrive as a JSON number).
            #[allow(unused_variables)]
            pub(crate) fn scalar_texts_mut(&mut self, mut each: impl FnMut(&'static str, &mut String)) {
                match self {
                    $(
                        ActivityKind::$variant { $($field),* } => {
                            $(if_scalar!($($how)?,
                                if let Some(text) = $crate::activity::fields::ScalarText::text_mut($field) {
                                    each(stringify!($field), text);
                                }
                            );)*
                        }
                    )*
                    ActivityKind::Unknown { .. } => {}
                }
            }

            /// Writes the type's fields (not `type` itself) into a map being serialized.
            pub(crate) fn write_fields<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $(
                        ActivityKind::$variant { $($field),* } => {
                            $($crate::activity::fields::FieldSlot::write($field, stringify!($field), map)?;)*
                            Ok(())
                        }
                    )*
                    ActivityKind::Unknown { type_name, fields } => {
                        if let Some(documented) = ActivityType::from_wire(type_name) {
                            return Err(serde::ser::Error::custom(format_args!(
                                "ActivityKind::Unknown is named {}, a documented type: use ActivityKind::{documented:?}",
                                $crate::escape::quote(type_name)
                            )));
                        }
                        $crate::extra::write_extra(map, fields, "ActivityKind::Unknown", 2, |key| {
                            $crate::activity::ACTIVITY_FIELDS.contains(&key)
                        })
                    }
                }
            }
        }
    };
}
