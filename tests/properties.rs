//! Property tests: arbitrary payloads of every activity type (and of unknown types) survive a
//! trip through the wire, and no input, however broken, makes `parse` panic.
//!
//! Payloads are built with the crate's public constructors, with hostile text (quotes,
//! backslashes, control characters, astral-plane characters) in every string, optional
//! fields set or not, unknown fields on every object, and timestamps at nanosecond precision.
//! The wire form of a payload is then written independently of the crate's serializer's
//! choices: absent optional fields may come as `null`, numbers as strings, booleans as
//! strings, `record_value` as a JSON scalar, `created_at` with a fractional part and any
//! offset, strings with escapes serde_json never writes (`\uXXXX` for any character, surrogate
//! pairs, `\/`), keys in any order with any whitespace.
//!
//! Arbitrary bytes and arbitrarily mutated fixtures must never make `parse` panic; what still
//! parses must round-trip, and what fails must say where, inside the body.
//!
//! Case count: each `proptest!` property runs `CASES` = 512 cases, and
//! `every_type_round_trips` runs `CASES_PER_TYPE` = 16 cases for each of the 33 documented
//! types and for unknown types (544 payloads). The whole file takes 3–10 s under `cargo test`
//! (debug build) on a shared 2-core machine, depending on its load.

// The checks every input must pass, shared with the fuzz targets; these properties use the
// parse and round-trip ones.
#[allow(dead_code)]
mod oracles;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{
    parse, Activity, ActivityKind, ActivityType, Lead, Payload, Pipe, ReceivedKey, Stage, TodoDate,
    TodoTime, User,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde_json::{Map, Value};

/// Cases per property.
const CASES: u32 = 512;
/// Cases per activity type in `every_type_round_trips`.
const CASES_PER_TYPE: u32 = 16;

/// `cases` cases; failures are saved next to this file, in `properties.proptest-regressions`,
/// and run again first on the next run.
fn config(cases: u32) -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies: text, numbers, times.

/// Characters that break naive JSON handling: the two that must be escaped, separators that
/// JavaScript treats as line ends, a byte-order mark, a combining accent, the last BMP
/// character, an emoji.
const SPECIAL: [char; 13] = [
    '"', '\\', '/', '\u{7f}', '\u{80}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffd}', 'é',
    '\u{301}', '\u{ffff}', '😀',
];

/// A character from one of the hostile classes, chosen by `raw` (cheaper to generate in bulk
/// than proptest's own character strategies): printable ASCII 4 times in 10, `SPECIAL` 2,
/// control characters 2, astral-plane characters 1, any character 1. Shrinks toward `' '`.
fn hostile_char(raw: u64) -> char {
    let r = (raw >> 8) as u32;
    let pick = |n: usize| r as usize % n;
    match raw % 10 {
        0..=3 => char::from(b' ' + pick(95) as u8),
        4 | 5 => SPECIAL[pick(SPECIAL.len())],
        6 | 7 => char::from(pick(0x20) as u8),
        8 => char::from_u32(0x1_0000 + r % 0x10_0000).unwrap(),
        _ => char::from_u32(r % 0x11_0000).unwrap_or('\u{d7ff}'),
    }
}

/// Arbitrary text, up to 40 characters (so ids cross the 24-byte inline limit both ways).
fn text() -> BoxedStrategy<String> {
    prop::collection::vec(any::<u64>(), 0..40)
        .prop_map(|raw| raw.into_iter().map(hostile_char).collect())
        .boxed()
}

/// Finite numbers: small and large integers, fractions, extremes, subnormals, zeros.
fn number() -> BoxedStrategy<f64> {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64),
        any::<i64>().prop_map(|n| n as f64),
        -1e9..1e9f64,
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        prop::sample::select(vec![
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -0.0,
            9_007_199_254_740_993.0
        ]),
    ]
    .prop_filter("finite", |n| n.is_finite())
    .boxed()
}

/// Nanoseconds: none, or at millisecond, microsecond or nanosecond precision.
fn nanos() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        (0..1_000u32).prop_map(|ms| ms * 1_000_000),
        (0..1_000_000u32).prop_map(|us| us * 1_000),
        0..1_000_000_000u32,
    ]
}

/// An instant whose local date stays within years 0001–9999 at any offset (RFC 3339's range).
fn instant() -> BoxedStrategy<DateTime<Utc>> {
    let first = DateTime::parse_from_rfc3339("0001-01-02T00:00:00Z")
        .unwrap()
        .timestamp();
    let last = DateTime::parse_from_rfc3339("9999-12-30T00:00:00Z")
        .unwrap()
        .timestamp();
    let recent = DateTime::parse_from_rfc3339("2010-01-01T00:00:00Z")
        .unwrap()
        .timestamp();
    let ordinary = prop_oneof![first..last, recent..recent + 20 * 365 * 86_400];
    let leap_second = (first / 60..last / 60, 0..1_000_000_000u32)
        .prop_map(|(minute, ns)| (minute * 60 + 59, 1_000_000_000 + ns));
    prop_oneof![
        20 => (ordinary, nanos()),
        1 => leap_second,
    ]
    .prop_map(|(secs, ns)| DateTime::from_timestamp(secs, ns).expect("in chrono's range"))
    .boxed()
}

fn naive_date() -> BoxedStrategy<NaiveDate> {
    let (min, max) = (
        NaiveDate::MIN.num_days_from_ce(),
        NaiveDate::MAX.num_days_from_ce(),
    );
    let common = (
        NaiveDate::from_ymd_opt(1900, 1, 1)
            .unwrap()
            .num_days_from_ce(),
        NaiveDate::from_ymd_opt(2100, 1, 1)
            .unwrap()
            .num_days_from_ce(),
    );
    prop_oneof![min..=max, common.0..common.1]
        .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(days).unwrap())
        .boxed()
}

fn naive_time() -> BoxedStrategy<NaiveTime> {
    prop_oneof![
        10 => (0..24u32, 0..60u32, prop_oneof![Just(0u32), 0..60u32], nanos()),
        1 => (0..24u32, 0..60u32, Just(59u32), (0..1_000_000_000u32).prop_map(|n| n + 1_000_000_000)),
    ]
    .prop_map(|(h, m, s, ns)| NaiveTime::from_hms_nano_opt(h, m, s, ns).unwrap())
    .boxed()
}

/// A `todo_date`: free text, a recognised format, or built from a date.
fn todo_date() -> BoxedStrategy<TodoDate> {
    let formats = vec![
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%d %b %Y",
        "%B %d, %Y",
        "%Y-%m-%dT00:00:00Z",
    ];
    prop_oneof![
        text().prop_map(TodoDate::new),
        (naive_date(), prop::sample::select(formats))
            .prop_map(|(date, format)| TodoDate::new(date.format(format).to_string())),
        naive_date().prop_map(TodoDate::from),
    ]
    .boxed()
}

/// A `todo_time`: free text, a recognised format, or built from a time.
fn todo_time() -> BoxedStrategy<TodoTime> {
    let formats = vec![
        "%H:%M",
        "%H:%M:%S",
        "%H:%M:%S%.3f",
        "%I:%M %p",
        "%I:%M:%S%p",
    ];
    prop_oneof![
        text().prop_map(TodoTime::new),
        (naive_time(), prop::sample::select(formats))
            .prop_map(|(time, format)| TodoTime::new(time.format(format).to_string())),
        naive_time().prop_map(TodoTime::from),
    ]
    .boxed()
}

/// `record_value`: text, often text that also reads as a JSON number or boolean.
fn scalar_text() -> BoxedStrategy<String> {
    prop_oneof![
        text(),
        any::<i64>().prop_map(|n| n.to_string()),
        number().prop_map(|n| serde_json::Number::from_f64(n).unwrap().to_string()),
        prop::sample::select(vec!["true", "false", "null", "1e400", "-0", "01"])
            .prop_map(String::from),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Strategies: unknown fields.

/// Any JSON value, nested up to three levels, with hostile strings and keys.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        number().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A key for an unknown field: hostile text, or a near miss of a known key.
fn extra_key() -> BoxedStrategy<String> {
    let near_misses = vec![
        "_ID",
        "id",
        "Type",
        "type ",
        " type",
        "TYPE",
        "user\u{0}",
        "Name",
        "name\u{200b}",
        "handshake_key ",
        "Handshake_Key",
        "created_at\n",
        "note_content",
        "lead_size",
        "todo_done",
        "record_value",
        "size",
        "stage",
        "pipe",
        "photo_url",
        "activity",
        "lead",
    ];
    prop_oneof![
        4 => text(),
        1 => prop::sample::select(near_misses).prop_map(String::from),
    ]
    .boxed()
}

/// Unknown fields for an object whose known keys are `known`: unique by construction (a map),
/// and none equal to a known key.
fn extra(known: Vec<&'static str>) -> BoxedStrategy<Map<String, Value>> {
    prop::collection::btree_map(extra_key(), json_value(), 0..4)
        .prop_map(move |fields| {
            fields
                .into_iter()
                .filter(|(key, _)| !known.contains(&key.as_str()))
                .collect()
        })
        .boxed()
}

const PAYLOAD_KEYS: [&str; 3] = ["activity", "lead", "handshake_key"];
const ACTIVITY_KEYS: [&str; 4] = ["_id", "created_at", "type", "user"];
const LEAD_KEYS: [&str; 7] = ["_id", "name", "size", "archived", "user", "stage", "pipe"];
const USER_KEYS: [&str; 3] = ["_id", "name", "photo_url"];
const REFERENCE_KEYS: [&str; 2] = ["_id", "name"];

// ---------------------------------------------------------------------------------------------
// Strategies: the model.

fn user() -> BoxedStrategy<User> {
    (
        text(),
        text(),
        prop::option::of(text()),
        extra(USER_KEYS.to_vec()),
    )
        .prop_map(|(id, name, photo_url, extra)| {
            let mut user = User::new(id, name);
            user.photo_url = photo_url;
            user.extra = extra;
            user
        })
        .boxed()
}

fn stage() -> BoxedStrategy<Stage> {
    (text(), text(), extra(REFERENCE_KEYS.to_vec()))
        .prop_map(|(id, name, extra)| {
            let mut stage = Stage::new(id, name);
            stage.extra = extra;
            stage
        })
        .boxed()
}

fn pipe() -> BoxedStrategy<Pipe> {
    (text(), text(), extra(REFERENCE_KEYS.to_vec()))
        .prop_map(|(id, name, extra)| {
            let mut pipe = Pipe::new(id, name);
            pipe.extra = extra;
            pipe
        })
        .boxed()
}

fn lead() -> BoxedStrategy<Lead> {
    (
        text(),
        text(),
        prop::option::of(number()),
        prop::option::of(any::<bool>()),
        prop::option::of(user()),
        prop::option::of(stage()),
        prop::option::of(pipe()),
        extra(LEAD_KEYS.to_vec()),
    )
        .prop_map(|(id, name, size, archived, user, stage, pipe, extra)| {
            let mut lead = Lead::new(id, name);
            lead.size = size;
            lead.archived = archived;
            lead.user = user;
            lead.stage = stage;
            lead.pipe = pipe;
            lead.extra = extra;
            lead
        })
        .boxed()
}

/// The fields of one documented type, through the public variant constructors.
fn kind(t: ActivityType) -> BoxedStrategy<ActivityKind> {
    use ActivityKind as K;
    use ActivityType as T;
    match t {
        T::LeadCreated => Just(K::LeadCreated(LeadCreated {})).boxed(),
        T::LeadMoved => (text(), text())
            .prop_map(|(old_stage_name, new_stage_name)| {
                K::LeadMoved(LeadMoved {
                    old_stage_name,
                    new_stage_name,
                })
            })
            .boxed(),
        T::LeadNameChanged => text()
            .prop_map(|old_lead_name| K::LeadNameChanged(LeadNameChanged { old_lead_name }))
            .boxed(),
        T::LeadWon => Just(K::LeadWon(LeadWon {})).boxed(),
        T::LeadLost => Just(K::LeadLost(LeadLost {})).boxed(),
        T::LeadAssigned => text()
            .prop_map(|lead_assigned_to_name| {
                K::LeadAssigned(LeadAssigned {
                    lead_assigned_to_name,
                })
            })
            .boxed(),
        T::LeadUnassigned => text()
            .prop_map(|old_lead_assigned_to_name| {
                K::LeadUnassigned(LeadUnassigned {
                    old_lead_assigned_to_name,
                })
            })
            .boxed(),
        T::LeadSizeChanged => (number(), prop::option::of(number()))
            .prop_map(|(lead_size, old_lead_size)| {
                K::LeadSizeChanged(LeadSizeChanged {
                    lead_size,
                    old_lead_size,
                })
            })
            .boxed(),
        T::LeadRestored => Just(K::LeadRestored(LeadRestored {})).boxed(),
        T::TodoCreated => (
            text(),
            text(),
            prop::option::of(todo_date()),
            prop::option::of(todo_time()),
        )
            .prop_map(|(todo_name, todo_type, todo_date, todo_time)| {
                K::TodoCreated(TodoCreated {
                    todo_name,
                    todo_type,
                    todo_date,
                    todo_time,
                })
            })
            .boxed(),
        T::TodoNameChanged => (text(), text())
            .prop_map(|(todo_name, old_todo_name)| {
                K::TodoNameChanged(TodoNameChanged {
                    todo_name,
                    old_todo_name,
                })
            })
            .boxed(),
        T::TodoTypeChanged => (text(), text(), text())
            .prop_map(|(todo_name, todo_type, old_todo_type)| {
                K::TodoTypeChanged(TodoTypeChanged {
                    todo_name,
                    todo_type,
                    old_todo_type,
                })
            })
            .boxed(),
        T::TodoDateChanged => (text(), todo_date(), prop::option::of(todo_date()))
            .prop_map(|(todo_name, todo_date, old_todo_date)| {
                K::TodoDateChanged(TodoDateChanged {
                    todo_name,
                    todo_date,
                    old_todo_date,
                })
            })
            .boxed(),
        T::TodoTimeChanged => (text(), todo_time(), prop::option::of(todo_time()))
            .prop_map(|(todo_name, todo_time, old_todo_time)| {
                K::TodoTimeChanged(TodoTimeChanged {
                    todo_name,
                    todo_time,
                    old_todo_time,
                })
            })
            .boxed(),
        T::TodoDoneChanged => (text(), any::<bool>())
            .prop_map(|(todo_name, todo_done)| {
                K::TodoDoneChanged(TodoDoneChanged {
                    todo_name,
                    todo_done,
                })
            })
            .boxed(),
        T::TodoDeleted => text()
            .prop_map(|todo_name| K::TodoDeleted(TodoDeleted { todo_name }))
            .boxed(),
        T::NoteCreated => text()
            .prop_map(|note_content| K::NoteCreated(NoteCreated { note_content }))
            .boxed(),
        T::NoteUpdated => text()
            .prop_map(|note_content| K::NoteUpdated(NoteUpdated { note_content }))
            .boxed(),
        T::NoteDeleted => text()
            .prop_map(|note_content| K::NoteDeleted(NoteDeleted { note_content }))
            .boxed(),
        T::AttachmentCreated => (text(), text())
            .prop_map(|(attachment_filename, attachment_url)| {
                K::AttachmentCreated(AttachmentCreated {
                    attachment_filename,
                    attachment_url,
                })
            })
            .boxed(),
        T::AttachmentDeleted => text()
            .prop_map(|attachment_filename| {
                K::AttachmentDeleted(AttachmentDeleted {
                    attachment_filename,
                })
            })
            .boxed(),
        T::RecordCreated => (text(), scalar_text())
            .prop_map(|(record_name, record_value)| {
                K::RecordCreated(RecordCreated {
                    record_name,
                    record_value,
                })
            })
            .boxed(),
        T::RecordUpdated => (text(), scalar_text(), prop::option::of(scalar_text()))
            .prop_map(|(record_name, record_value, old_record_value)| {
                K::RecordUpdated(RecordUpdated {
                    record_name,
                    record_value,
                    old_record_value,
                })
            })
            .boxed(),
        T::RecordDeleted => (text(), scalar_text())
            .prop_map(|(record_name, record_value)| {
                K::RecordDeleted(RecordDeleted {
                    record_name,
                    record_value,
                })
            })
            .boxed(),
        T::ContactAdded => text()
            .prop_map(|contact_name| K::ContactAdded(ContactAdded { contact_name }))
            .boxed(),
        T::ContactRemoved => text()
            .prop_map(|contact_name| K::ContactRemoved(ContactRemoved { contact_name }))
            .boxed(),
        T::ProductAdded => (text(), number(), prop::option::of(number()))
            .prop_map(|(product_name, product_quantity, product_price)| {
                K::ProductAdded(ProductAdded {
                    product_name,
                    product_quantity,
                    product_price,
                })
            })
            .boxed(),
        T::ProductRemoved => (text(), number())
            .prop_map(|(product_name, product_quantity)| {
                K::ProductRemoved(ProductRemoved {
                    product_name,
                    product_quantity,
                })
            })
            .boxed(),
        T::ZoneAdded => text()
            .prop_map(|zone_name| K::ZoneAdded(ZoneAdded { zone_name }))
            .boxed(),
        T::ZoneRemoved => text()
            .prop_map(|zone_name| K::ZoneRemoved(ZoneRemoved { zone_name }))
            .boxed(),
        T::SourceAdded => text()
            .prop_map(|source_name| K::SourceAdded(SourceAdded { source_name }))
            .boxed(),
        T::SourceRemoved => text()
            .prop_map(|source_name| K::SourceRemoved(SourceRemoved { source_name }))
            .boxed(),
        T::EmailReceived => text()
            .prop_map(|subject| K::EmailReceived(EmailReceived { subject }))
            .boxed(),
        other => panic!("no strategy for activity type {other}: add one"),
    }
}

/// A type name that is not a documented one: hostile text or a near miss.
fn unknown_type_name() -> BoxedStrategy<String> {
    let near_misses = vec![
        "deal:forecast_changed",
        "lead:Won",
        "lead:won ",
        " lead:won",
        "Lead:created",
        "lead",
        "note:created\u{0}",
        "",
        ":",
        "lead:wön",
    ];
    prop_oneof![
        text(),
        prop::sample::select(near_misses).prop_map(String::from)
    ]
    .prop_filter("not a documented type", |name| {
        name.parse::<ActivityType>().is_err()
    })
    .boxed()
}

/// An activity's kind and its unknown fields: for a documented type, unknown fields must not
/// use the type's own field names; an unknown type keeps all its fields in the kind.
fn kind_and_extra(t: Option<ActivityType>) -> BoxedStrategy<(ActivityKind, Map<String, Value>)> {
    match t {
        Some(t) => {
            let known: Vec<&'static str> = ACTIVITY_KEYS
                .iter()
                .chain(t.field_names())
                .copied()
                .collect();
            (kind(t), extra(known)).boxed()
        }
        None => (unknown_type_name(), extra(ACTIVITY_KEYS.to_vec()))
            .prop_map(|(type_name, fields)| {
                (ActivityKind::Unknown { type_name, fields }, Map::new())
            })
            .boxed(),
    }
}

fn activity_of(t: Option<ActivityType>) -> BoxedStrategy<Activity> {
    (
        text(),
        instant(),
        prop::option::of(user()),
        kind_and_extra(t),
    )
        .prop_map(|(id, created_at, user, (kind, extra))| {
            let mut activity = Activity::new(id, created_at, kind);
            activity.user = user;
            activity.extra = extra;
            activity
        })
        .boxed()
}

fn payload_of(activity: BoxedStrategy<Activity>) -> BoxedStrategy<Payload> {
    // Any text a sender may put there, the empty key too: it parses, and never verifies.
    let key = text().prop_map(|k| serde_json::from_value::<ReceivedKey>(Value::String(k)).unwrap());
    (
        activity,
        lead(),
        prop::option::of(key),
        extra(PAYLOAD_KEYS.to_vec()),
    )
        .prop_map(|(activity, lead, handshake_key, extra)| {
            let mut payload = Payload::new(activity, lead);
            payload.handshake_key = handshake_key;
            payload.extra = extra;
            payload
        })
        .boxed()
}

/// A payload of any documented type (each equally likely) or of an unknown type.
fn payload() -> BoxedStrategy<Payload> {
    let known = prop::sample::select(ActivityType::ALL.to_vec()).prop_map(Some);
    let t = prop_oneof![33 => known, 4 => Just(None)];
    payload_of(t.prop_flat_map(activity_of).boxed())
}

// ---------------------------------------------------------------------------------------------
// The wire form of a model, with the liberties the format allows.

/// splitmix64: the wire form's choices, reproducible from the seed proptest shrinks.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.below(2) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Absent optional keys may come as `null`.
fn maybe_nulls(object: &mut Map<String, Value>, optional: &[&str], choices: &mut Choices) {
    for key in optional {
        if !object.contains_key(*key) && choices.coin() {
            object.insert((*key).to_owned(), Value::Null);
        }
    }
}

/// A number as the crate writes it, or as a string holding it in one of three notations.
fn vary_number(value: &mut Value, choices: &mut Choices) {
    let n = value.as_f64().expect("a number");
    *value = match choices.below(4) {
        0 => return,
        1 => Value::String(value.to_string()),
        2 => Value::String(format!("{n}")),
        _ => Value::String(format!("{n:e}")),
    };
}

/// `created_at` at any offset, with or without `Z`, at any precision that keeps the instant.
fn timestamp_text(at: DateTime<Utc>, choices: &mut Choices) -> String {
    let offset_minutes = match choices.below(3) {
        0 => 0,
        _ => choices.below(2 * 1439 + 1) as i32 - 1439,
    };
    let local = at.with_timezone(&FixedOffset::east_opt(offset_minutes * 60).unwrap());
    let ns = at.timestamp_subsec_nanos() % 1_000_000_000;
    let exact: Vec<SecondsFormat> = [
        (SecondsFormat::Secs, 1_000_000_000),
        (SecondsFormat::Millis, 1_000_000),
        (SecondsFormat::Micros, 1_000),
        (SecondsFormat::Nanos, 1),
        (SecondsFormat::AutoSi, 1),
    ]
    .into_iter()
    .filter(|(_, unit)| ns % unit == 0)
    .map(|(format, _)| format)
    .collect();
    let text = local.to_rfc3339_opts(choices.pick(&exact), choices.coin());
    if choices.below(4) == 0 {
        text.replace('T', "t").replace('Z', "z")
    } else {
        text
    }
}

fn vary_user(user: Option<&mut Value>, choices: &mut Choices) {
    if let Some(Value::Object(user)) = user {
        maybe_nulls(user, &["photo_url"], choices);
    }
}

fn vary_activity(wire: &mut Map<String, Value>, activity: &Activity, choices: &mut Choices) {
    wire["created_at"] = Value::String(timestamp_text(activity.created_at, choices));
    maybe_nulls(wire, &["user"], choices);
    vary_user(wire.get_mut("user"), choices);
    let Some(t) = activity.kind.activity_type() else {
        return;
    };
    maybe_nulls(wire, t.field_names(), choices);
    for field in t.field_names() {
        let Some(value) = wire.get_mut(*field) else {
            continue;
        };
        match *field {
            "lead_size" | "old_lead_size" | "product_quantity" | "product_price"
                if value.is_number() =>
            {
                vary_number(value, choices)
            }
            "todo_done" if choices.coin() => *value = Value::String(value.to_string()),
            "record_value" | "old_record_value" if value.is_string() && choices.coin() => {
                let text = value.as_str().unwrap();
                let number = serde_json::from_str::<serde_json::Number>(text)
                    .ok()
                    .filter(|n| n.to_string() == text);
                if let Some(n) = number {
                    *value = Value::Number(n);
                } else if let Ok(b) = text.parse::<bool>() {
                    *value = Value::Bool(b);
                }
            }
            _ => {}
        }
    }
}

fn vary_lead(wire: &mut Map<String, Value>, choices: &mut Choices) {
    maybe_nulls(
        wire,
        &["size", "archived", "user", "stage", "pipe"],
        choices,
    );
    if let Some(size) = wire.get_mut("size").filter(|size| size.is_number()) {
        vary_number(size, choices);
    }
    vary_user(wire.get_mut("user"), choices);
}

/// Writes a value with keys in a shuffled order, random whitespace between tokens, and strings
/// escaped in any of the ways JSON allows.
fn write_shuffled(value: &Value, choices: &mut Choices, out: &mut String) {
    const SPACE: [&str; 5] = ["", "", " ", "\n  ", "\t\r\n"];
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, choices.below(i + 1));
            }
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(choices.pick(&SPACE));
                write_string(key, choices, out);
                out.push_str(choices.pick(&SPACE));
                out.push(':');
                out.push_str(choices.pick(&SPACE));
                write_shuffled(value, choices, out);
            }
            out.push_str(choices.pick(&SPACE));
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(choices.pick(&SPACE));
                write_shuffled(item, choices, out);
            }
            out.push(']');
        }
        Value::String(text) => write_string(text, choices, out),
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap()),
    }
}

/// Writes a string as serde_json does, or with escapes it never uses: `\/`, and `\uXXXX` (a
/// surrogate pair beyond the BMP, in either case of hex digit) for characters that need none.
fn write_string(text: &str, choices: &mut Choices, out: &mut String) {
    if choices.coin() {
        out.push_str(&serde_json::to_string(text).unwrap());
        return;
    }
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if choices.coin() => out.push_str("\\/"),
            c if c < ' ' || !c.is_ascii() || choices.below(8) == 0 => {
                let upper = choices.coin();
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&if upper {
                        format!("\\u{unit:04X}")
                    } else {
                        format!("\\u{unit:04x}")
                    });
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One of the many wire forms of `payload`, chosen by `seed`.
fn wire_form(payload: &Payload, seed: u64) -> Vec<u8> {
    let choices = &mut Choices(seed);
    let mut wire = serde_json::to_value(payload).unwrap();
    let root = wire.as_object_mut().unwrap();
    maybe_nulls(root, &["handshake_key"], choices);
    vary_activity(
        root["activity"].as_object_mut().unwrap(),
        &payload.activity,
        choices,
    );
    vary_lead(root["lead"].as_object_mut().unwrap(), choices);
    let mut out = String::new();
    write_shuffled(&wire, choices, &mut out);
    if choices.coin() {
        out.push_str(" \n");
    }
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the properties.

/// Whatever the input: no panic; what parses round-trips; what fails says where.
fn check_any_input(body: &[u8]) {
    oracles::check_parse(body);
    oracles::check_round_trip(body);
}

fn fixtures() -> Vec<Vec<u8>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut found = Vec::new();
    for dir in [root.to_owned(), format!("{root}/edge")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    assert!(found.len() >= 34, "fixtures not found in {root}");
    found
}

/// One edit of a body: the small mistakes and the deliberate tricks.
#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    InsertText(Index, &'static str),
    DuplicateSpan(Index, Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = vec![
        "{",
        "}",
        "[",
        "]",
        "\"",
        "\\",
        ",",
        ":",
        "null",
        "true",
        "1e400",
        "-0",
        "NaN",
        "\"\\ud800\"",
        "\"\\u0000\"",
        "\\u00e9",
        "\u{feff}",
        "\u{1F600}",
        "\"type\":\"lead:won\",",
        "\"handshake_key\":\"x\",",
        "\"handshake_key\":7,",
        "\"user\":null,",
        "\"extra\":[[[[[[[[]]]]]]]],",
        "\"lead_size\":\"1,500\",",
        "\"created_at\":\"2014-01-10T09:37:60Z\",",
    ];
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), prop::sample::select(tokens))
            .prop_map(|(at, t)| Mutation::InsertText(at, t)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateSpan(a, b)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(body: &mut Vec<u8>, mutation: &Mutation) {
    let len = body.len();
    let at = |index: &Index| index.index(len + 1);
    match mutation {
        Mutation::Set(i, b) if len > 0 => body[i.index(len)] = *b,
        Mutation::Insert(i, b) => body.insert(at(i), *b),
        Mutation::Delete(i) if len > 0 => {
            body.remove(i.index(len));
        }
        Mutation::InsertText(i, text) => {
            let i = at(i);
            body.splice(i..i, text.bytes());
        }
        Mutation::DuplicateSpan(a, b) => {
            let (a, b) = (at(a), at(b));
            let (start, end) = (a.min(b), a.max(b));
            let span = body[start..end].to_vec();
            body.splice(end..end, span);
        }
        Mutation::Truncate(i) => body.truncate(at(i)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config(CASES))]

    /// Every wire form of a payload parses to that payload.
    #[test]
    fn wire_forms_parse_to_the_payload_they_encode(payload in payload(), seed in any::<u64>()) {
        let body = wire_form(&payload, seed);
        match parse(&body) {
            Ok(parsed) => prop_assert_eq!(parsed, payload),
            Err(err) => prop_assert!(false, "{err}\n{}", String::from_utf8_lossy(&body)),
        }
    }

    /// (a) serialize then parse gives an equal payload, and (b) serializing that again gives
    /// identical bytes.
    #[test]
    fn serialize_parse_serialize_is_the_identity(payload in payload()) {
        oracles::check_payload_round_trip(&payload);
    }

    /// (c) Arbitrary bytes never make `parse` panic; errors point inside the body.
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check_any_input(&body);
    }

    /// (c) The same with bytes drawn from JSON's alphabet, which get further into the parser.
    #[test]
    fn arbitrary_json_like_bytes_never_panic(
        body in prop::collection::vec(prop::sample::select(b"{}[]\":,.0123456789eE+-truefalsn _\\u".to_vec()), 0..256),
    ) {
        check_any_input(&body);
    }

    /// (c) Mutated fixtures never make `parse` panic; what still parses round-trips.
    #[test]
    fn mutated_fixtures_never_panic(
        fixture in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let all = fixtures();
        let mut body = all[fixture.index(all.len())].clone();
        for m in &mutations {
            apply(&mut body, m);
        }
        check_any_input(&body);
    }
}

/// A liberty a user's code may take with a payload, which the wire may not be able to carry.
#[derive(Debug, Clone)]
enum Liberty {
    /// An unknown field named like a modelled one, on the top level, the activity or the lead.
    ModelledKeyInExtra(Index, Index),
    /// The kind given as `Unknown` under a documented type's name.
    DocumentedTypeAsUnknown(Index),
    /// Any time chrono can hold, the years outside 0000-9999 too.
    CreatedAt(i64),
    /// A lead's size that is not finite.
    NotFinite(Index),
}

fn liberty() -> impl Strategy<Value = Liberty> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    prop_oneof![
        (any::<Index>(), any::<Index>()).prop_map(|(o, k)| Liberty::ModelledKeyInExtra(o, k)),
        any::<Index>().prop_map(Liberty::DocumentedTypeAsUnknown),
        (min..max).prop_map(Liberty::CreatedAt),
        // Near the edges of RFC 3339's years, where one hour decides.
        prop::sample::select(vec![
            "0000-01-01T00:00:00Z",
            "-0001-12-31T23:00:00Z",
            "9999-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z"
        ])
        .prop_map(|t| Liberty::CreatedAt(t.parse::<DateTime<Utc>>().unwrap().timestamp())),
        any::<Index>().prop_map(Liberty::NotFinite),
    ]
}

/// Takes `liberty` with `payload`; `true` when the result is something no body can carry.
fn take(payload: &mut Payload, liberty: &Liberty) -> bool {
    match liberty {
        Liberty::ModelledKeyInExtra(object, key) => {
            let (extra, keys): (_, &[&str]) = match object.index(3) {
                0 => (&mut payload.extra, &PAYLOAD_KEYS),
                1 => (&mut payload.activity.extra, &ACTIVITY_KEYS),
                _ => (&mut payload.lead.extra, &LEAD_KEYS),
            };
            extra.insert(keys[key.index(keys.len())].to_owned(), Value::Null);
            true
        }
        Liberty::DocumentedTypeAsUnknown(t) => {
            let t = ActivityType::ALL[t.index(ActivityType::ALL.len())];
            payload.activity.kind = ActivityKind::Unknown {
                type_name: t.as_str().to_owned(),
                fields: Map::new(),
            };
            payload.activity.extra.clear();
            true
        }
        Liberty::CreatedAt(seconds) => {
            let at = DateTime::from_timestamp(*seconds, 0).unwrap();
            payload.activity.created_at = at;
            !(0..=9999).contains(&at.year())
        }
        Liberty::NotFinite(which) => {
            let n = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
            payload.lead.size = Some(n[which.index(n.len())]);
            true
        }
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    /// What a user builds serializes to a body that parses back equal, or, when no body can
    /// carry it, serializing fails with an error that is one bounded line: exactly then.
    #[test]
    fn built_payloads_serialize_to_what_parses_back_or_refuse(
        mut payload in payload(),
        liberty in liberty(),
    ) {
        let unwritable = take(&mut payload, &liberty);
        let written = serde_json::to_vec(&payload);
        prop_assert_eq!(written.is_err(), unwritable, "{:?}: {:?}", liberty, written.as_ref().err());
        oracles::check_built(&payload);
    }
}

/// Each of the 33 documented types and unknown types, `CASES_PER_TYPE` payloads each, through
/// both the wire form and the serialize–parse–serialize round trip.
#[test]
fn every_type_round_trips() {
    assert_eq!(ActivityType::ALL.len(), 33);
    let types = ActivityType::ALL.iter().copied().map(Some).chain([None]);
    for t in types {
        let mut runner = TestRunner::new(Config {
            failure_persistence: None,
            ..config(CASES_PER_TYPE)
        });
        let strategy = (payload_of(activity_of(t)), any::<u64>());
        runner
            .run(&strategy, |(payload, seed)| {
                prop_assert_eq!(payload.activity.kind.activity_type(), t);
                let parsed = parse(&wire_form(&payload, seed))
                    .map_err(|err| TestCaseError::fail(err.to_string()))?;
                prop_assert_eq!(&parsed, &payload);
                oracles::check_payload_round_trip(&payload);
                Ok(())
            })
            .unwrap_or_else(|err| panic!("{t:?}: {err}"));
    }
}

// ---------------------------------------------------------------------------------------------
// The tolerant path: a keyed delivery whose values drift is never refused.

/// What a value may drift into.
#[derive(Debug, Clone)]
enum Drift {
    EmptyString,
    Null,
    /// The value in an array: a multi-valued field.
    InArray,
    /// The value in an object: a field grown into a record.
    InObject,
    Number(i64),
    Bool(bool),
    Text(&'static str),
    /// The member removed.
    Gone,
}

fn drift() -> impl Strategy<Value = Drift> {
    prop_oneof![
        Just(Drift::EmptyString),
        Just(Drift::Null),
        Just(Drift::InArray),
        Just(Drift::InObject),
        any::<i64>().prop_map(Drift::Number),
        any::<bool>().prop_map(Drift::Bool),
        prop::sample::select(vec![
            "2014-01-10 09:37:58",
            "1,500",
            "yes",
            "\u{1b}[2J",
            "gfhkd1asfsa"
        ])
        .prop_map(Drift::Text),
        Just(Drift::Gone),
    ]
}

/// The paths of every value under `value` (members and elements), the root's
/// `handshake_key` left out: the key is not what drifts here.
fn value_paths(value: &Value, path: &mut Vec<Value>, found: &mut Vec<Vec<Value>>) {
    let children: Vec<(Value, &Value)> = match value {
        Value::Object(object) => object
            .iter()
            .filter(|(key, _)| !(path.is_empty() && *key == "handshake_key"))
            .map(|(key, child)| (Value::from(key.as_str()), child))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, child)| (Value::from(i), child))
            .collect(),
        _ => return,
    };
    for (step, child) in children {
        path.push(step);
        found.push(path.clone());
        value_paths(child, path, found);
        path.pop();
    }
}

/// `value` with the value at `path` drifted.
fn drift_at(value: &mut Value, path: &[Value], drift: &Drift) {
    let (last, parents) = path.split_last().unwrap();
    let mut parent = value;
    for step in parents {
        parent = match step {
            Value::String(key) => &mut parent[key.as_str()],
            step => &mut parent[step.as_u64().unwrap() as usize],
        };
    }
    if let (Drift::Gone, Value::Object(object)) = (drift, &mut *parent) {
        object.remove(last.as_str().unwrap());
        return;
    }
    let slot = match last {
        Value::String(key) => &mut parent[key.as_str()],
        step => &mut parent[step.as_u64().unwrap() as usize],
    };
    let old = slot.take();
    *slot = match drift {
        Drift::EmptyString => Value::from(""),
        Drift::Null | Drift::Gone => Value::Null,
        Drift::InArray => Value::Array(vec![old]),
        Drift::InObject => serde_json::json!({ "value": old }),
        Drift::Number(n) => Value::from(*n),
        Drift::Bool(b) => Value::Bool(*b),
        Drift::Text(text) => Value::from(*text),
    };
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Whatever value of a keyed delivery drifts, and into whatever, `accept` takes it, with
    /// the error `receive` refuses it with; with a wrong key, it never takes it.
    #[test]
    fn accept_never_refuses_a_keyed_delivery_for_its_values(
        fixture in any::<Index>(),
        at in any::<Index>(),
        drifts in prop::collection::vec(drift(), 1..3),
    ) {
        use clinchpad_webhook::{HandshakeKey, Receiver};
        let keyed: Vec<Vec<u8>> = fixtures()
            .into_iter()
            .filter(|body| String::from_utf8_lossy(body).contains("\"handshake_key\": \"gfhkd1asfsa\""))
            .collect();
        let mut value: Value = serde_json::from_slice(&keyed[fixture.index(keyed.len())]).unwrap();
        for drift in &drifts {
            let mut paths = Vec::new();
            value_paths(&value, &mut Vec::new(), &mut paths);
            if paths.is_empty() {
                break;
            }
            let path = &paths[at.index(paths.len())];
            drift_at(&mut value, path, drift);
        }
        let body = serde_json::to_vec(&value).unwrap();
        let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa").unwrap());
        let delivery = receiver.accept(None, &body);
        prop_assert!(delivery.is_ok(), "refused: {:?}\n{}", delivery.err(), String::from_utf8_lossy(&body));
        let delivery = delivery.unwrap();
        match receiver.receive(None, &body) {
            Ok(payload) => prop_assert_eq!(delivery.payload(), Some(&payload)),
            Err(refusal) => prop_assert_eq!(delivery.error(), refusal.error()),
        }
        let forged = String::from_utf8(body).unwrap().replace("\"handshake_key\":\"gfhkd1asfsa\"", "\"handshake_key\":\"gfhkd1asfsb\"");
        let refusal = receiver.accept(None, forged.as_bytes());
        prop_assert_eq!(refusal.map_err(|refusal| refusal.status()).err(), Some(401));
    }

    /// `accept` on mutated fixtures, against `receive` and a reading of the body and key of
    /// the oracle's own (the fuzz target's check).
    #[test]
    fn accept_agrees_with_the_oracle_on_mutated_fixtures(
        fixture in any::<Index>(),
        flags in any::<u8>(),
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        let all = fixtures();
        let mut body = all[fixture.index(all.len())].clone();
        for m in &mutations {
            apply(&mut body, m);
        }
        // A key of 11 characters from these bytes: `gfhkd1asfsa`, the fixtures' own.
        let key: Vec<u8> = "gfhkd1asfsa".bytes().map(|b| {
            const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            ALNUM.iter().position(|&a| a == b).unwrap() as u8
        }).collect();
        let mut data = vec![(flags & 0xf0) | 11];
        data.extend(key);
        data.extend(body);
        oracles::check_accept(&data);
    }
}
