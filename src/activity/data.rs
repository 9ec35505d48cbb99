//! [`ActivityData`]: what the 33 per-type structs have in common, and the typed way from an
//! [`ActivityKind`] to one of them.

use crate::{ActivityKind, ActivityType};

/// The data of one documented activity type: implemented by the 33 structs of the
/// [`activity`](crate::activity) module, one per type, and by nothing else.
///
/// Each struct names its [`ActivityType`] in [`TYPE`](ActivityData::TYPE), converts into an
/// [`ActivityKind`] (`From`), and back out of one (`TryFrom`, which gives the kind back
/// unchanged when it is of another type). [`ActivityKind::get`] reaches a kind's data by type.
///
/// A handler for one type takes that type's struct, and a table of handlers keyed by
/// [`TYPE`](ActivityData::TYPE) cannot file a handler under the wrong type:
///
/// ```
/// use std::collections::HashMap;
///
/// use clinchpad_webhook::activity::{LeadMoved, LeadWon, NoteCreated};
/// use clinchpad_webhook::{ActivityData, ActivityKind, ActivityType, Lead, Payload};
///
/// fn on_moved(lead: &Lead, moved: &LeadMoved) -> String {
///     format!("{} moved to {}", lead.name, moved.new_stage_name)
/// }
///
/// fn on_note(lead: &Lead, note: &NoteCreated) -> String {
///     format!("note on {}: {}", lead.name, note.note_content)
/// }
///
/// /// Handlers by type. `on::<T>` files a handler of `T`'s data under `T::TYPE`: a handler
/// /// taking `&LeadMoved` can only ever be called for `lead:moved`.
/// #[derive(Default)]
/// struct Handlers(HashMap<ActivityType, Box<dyn Fn(&Lead, &ActivityKind) -> Option<String>>>);
///
/// impl Handlers {
///     fn on<T: ActivityData + 'static>(mut self, handler: fn(&Lead, &T) -> String) -> Self {
///         let call = move |lead: &Lead, kind: &ActivityKind| kind.get::<T>().map(|data| handler(lead, data));
///         self.0.insert(T::TYPE, Box::new(call));
///         self
///     }
///
///     fn handle(&self, payload: &Payload) -> Option<String> {
///         let handler = self.0.get(&payload.activity.kind.activity_type()?)?;
///         handler(&payload.lead, &payload.activity.kind)
///     }
/// }
///
/// let handlers = Handlers::default().on(on_moved).on(on_note);
/// let payload = clinchpad_webhook::parse(&std::fs::read("fixtures/doc_example.json")?)?;
/// assert_eq!(handlers.handle(&payload).as_deref(), Some("note on Webhook T: Hello world!"));
///
/// // A kind converts to its type's struct and back.
/// let kind = ActivityKind::from(LeadWon {});
/// assert_eq!(LeadWon::TYPE, ActivityType::LeadWon);
/// assert_eq!(LeadWon::try_from(kind.clone()), Ok(LeadWon {}));
/// assert_eq!(LeadMoved::try_from(kind.clone()), Err(kind));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ActivityData:
    sealed::Sealed
    + Sized
    + Clone
    + PartialEq
    + std::fmt::Debug
    + Into<ActivityKind>
    + TryFrom<ActivityKind, Error = ActivityKind>
{
    /// The documented type whose data this is.
    const TYPE: ActivityType;

    /// The data in `kind`, when `kind` is of this type.
    fn from_kind(kind: &ActivityKind) -> Option<&Self>;

    /// The data in `kind`, mutably, when `kind` is of this type.
    fn from_kind_mut(kind: &mut ActivityKind) -> Option<&mut Self>;
}

pub(crate) mod sealed {
    /// Implemented by the per-type structs only, so that no other type claims an
    /// [`ActivityType`](crate::ActivityType).
    pub trait Sealed {}
}

impl ActivityKind {
    /// The data of type `T`, when the kind is of `T`'s type.
    ///
    /// ```
    /// use clinchpad_webhook::activity::{LeadMoved, NoteCreated};
    ///
    /// let payload = clinchpad_webhook::parse(&std::fs::read("fixtures/note_created.json")?)?;
    /// let note: &NoteCreated = payload.activity.kind.get().unwrap();
    /// assert!(!note.note_content.is_empty());
    /// assert!(payload.activity.kind.get::<LeadMoved>().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get<T: ActivityData>(&self) -> Option<&T> {
        T::from_kind(self)
    }

    /// The data of type `T`, mutably, when the kind is of `T`'s type.
    ///
    /// ```
    /// use clinchpad_webhook::activity::LeadMoved;
    /// use clinchpad_webhook::ActivityKind;
    ///
    /// let mut kind = ActivityKind::from(LeadMoved { old_stage_name: "Offer".into(), new_stage_name: "Won".into() });
    /// kind.get_mut::<LeadMoved>().unwrap().new_stage_name = "Lost".into();
    /// assert_eq!(kind.get::<LeadMoved>().unwrap().new_stage_name, "Lost");
    /// ```
    pub fn get_mut<T: ActivityData>(&mut self) -> Option<&mut T> {
        T::from_kind_mut(self)
    }
}
