//! The corpus of drifted deliveries, `fixtures/drift/`: bodies ClinchPad could plausibly
//! send whose shape does not fit the documentation, one part of the payload each, across the
//! types and every part of the envelope. Each is keyed with the fixtures' key, `gfhkd1asfsa`.

use std::path::Path;

/// Which part of the payload drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The activity type's own fields: the rest is typed, the kind is `Drifted`.
    TypeFields,
    /// The envelope (the activity's id, time, type or user, or the lead): nothing is typed.
    Envelope,
}

/// Each body of `fixtures/drift/`, the path of the error that says where it does not fit,
/// and the part that drifted.
pub const CORPUS: [(&str, &str, Part); 29] = [
    // The type's own fields.
    (
        "product_price_empty_string",
        "activity.product_price",
        Part::TypeFields,
    ),
    (
        "product_quantity_with_unit",
        "activity.product_quantity",
        Part::TypeFields,
    ),
    (
        "product_quantity_null",
        "activity.product_quantity",
        Part::TypeFields,
    ),
    (
        "record_value_multiple",
        "activity.record_value",
        Part::TypeFields,
    ),
    (
        "record_value_object",
        "activity.record_value",
        Part::TypeFields,
    ),
    (
        "lead_size_with_separator",
        "activity.lead_size",
        Part::TypeFields,
    ),
    (
        "old_lead_size_empty_string",
        "activity.old_lead_size",
        Part::TypeFields,
    ),
    ("todo_done_yes", "activity.todo_done", Part::TypeFields),
    ("todo_done_number", "activity.todo_done", Part::TypeFields),
    (
        "new_stage_name_missing",
        "activity.new_stage_name",
        Part::TypeFields,
    ),
    (
        "note_content_rich",
        "activity.note_content",
        Part::TypeFields,
    ),
    ("todo_name_number", "activity.todo_name", Part::TypeFields),
    (
        "attachment_url_null",
        "activity.attachment_url",
        Part::TypeFields,
    ),
    (
        "assigned_to_user_object",
        "activity.lead_assigned_to_name",
        Part::TypeFields,
    ),
    ("subject_list", "activity.subject", Part::TypeFields),
    (
        "contact_name_missing",
        "activity.contact_name",
        Part::TypeFields,
    ),
    ("todo_date_number", "activity.todo_date", Part::TypeFields),
    // The envelope.
    (
        "created_at_without_zone",
        "activity.created_at",
        Part::Envelope,
    ),
    ("created_at_epoch", "activity.created_at", Part::Envelope),
    ("user_as_id", "activity.user", Part::Envelope),
    ("activity_id_number", "activity._id", Part::Envelope),
    ("type_number", "activity.type", Part::Envelope),
    ("user_name_missing", "activity.user.name", Part::Envelope),
    (
        "photo_url_number",
        "activity.user.photo_url",
        Part::Envelope,
    ),
    ("lead_name_null", "lead.name", Part::Envelope),
    ("lead_size_empty_string", "lead.size", Part::Envelope),
    ("stage_as_name", "lead.stage", Part::Envelope),
    ("pipe_list", "lead.pipe", Part::Envelope),
    ("lead_missing", "lead", Part::Envelope),
];

/// The body of the corpus's `name`.
pub fn body(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/drift")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
