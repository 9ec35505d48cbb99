//! One realistic payload per documented activity type (`fixtures/<type>.json`) and the
//! documentation's own example: each parses into the expected typed values, field by field,
//! and round-trips through `Serialize`.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{parse, verify, ActivityKind, ActivityType, Payload, TodoDate, TodoTime};
use serde_json::Value;
use std::path::{Path, PathBuf};

const FIXTURE_KEY: &str = "gfhkd1asfsa";

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The fixture file of a documented type: `lead:size_changed` → `lead_size_changed.json`.
fn type_fixture(activity_type: ActivityType) -> PathBuf {
    fixture_path(&format!(
        "{}.json",
        activity_type.as_str().replace(':', "_")
    ))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_file(path: &Path) -> Payload {
    parse(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn date(text: &str) -> TodoDate {
    TodoDate::new(text)
}

fn time(text: &str) -> TodoTime {
    TodoTime::new(text)
}

/// What each type fixture holds, written out by hand from the files.
fn expected_kind(activity_type: ActivityType) -> ActivityKind {
    use ActivityKind as K;
    let s = |text: &str| text.to_owned();
    match activity_type {
        ActivityType::LeadCreated => K::LeadCreated(LeadCreated {}),
        ActivityType::LeadMoved => K::LeadMoved(LeadMoved {
            old_stage_name: s("Contact Made"),
            new_stage_name: s("Offer"),
        }),
        ActivityType::LeadNameChanged => K::LeadNameChanged(LeadNameChanged {
            old_lead_name: s("Acme Corp"),
        }),
        ActivityType::LeadWon => K::LeadWon(LeadWon {}),
        ActivityType::LeadLost => K::LeadLost(LeadLost {}),
        ActivityType::LeadAssigned => K::LeadAssigned(LeadAssigned {
            lead_assigned_to_name: s("Zoë Åkesson"),
        }),
        ActivityType::LeadUnassigned => K::LeadUnassigned(LeadUnassigned {
            old_lead_assigned_to_name: s("Webhook Testing"),
        }),
        ActivityType::LeadSizeChanged => K::LeadSizeChanged(LeadSizeChanged {
            lead_size: 2500.0,
            old_lead_size: Some(1500.5),
        }),
        ActivityType::LeadRestored => K::LeadRestored(LeadRestored {}),
        ActivityType::TodoCreated => K::TodoCreated(TodoCreated {
            todo_name: s("Call about the \"Q3\" renewal"),
            todo_type: s("Call"),
            todo_date: Some(date("2014-01-15")),
            todo_time: Some(time("14:30")),
        }),
        ActivityType::TodoNameChanged => K::TodoNameChanged(TodoNameChanged {
            todo_name: s("Send revised offer"),
            old_todo_name: s("Send offer"),
        }),
        ActivityType::TodoTypeChanged => K::TodoTypeChanged(TodoTypeChanged {
            todo_name: s("Send revised offer"),
            todo_type: s("Email"),
            old_todo_type: s("Call"),
        }),
        ActivityType::TodoDateChanged => K::TodoDateChanged(TodoDateChanged {
            todo_name: s("Send revised offer"),
            todo_date: date("2014-01-20"),
            old_todo_date: Some(date("2014-01-15")),
        }),
        ActivityType::TodoTimeChanged => K::TodoTimeChanged(TodoTimeChanged {
            todo_name: s("Send revised offer"),
            todo_time: time("09:00"),
            old_todo_time: Some(time("14:30")),
        }),
        ActivityType::TodoDoneChanged => K::TodoDoneChanged(TodoDoneChanged {
            todo_name: s("Send revised offer"),
            todo_done: true,
        }),
        ActivityType::TodoDeleted => K::TodoDeleted(TodoDeleted {
            todo_name: s("Follow up next week"),
        }),
        ActivityType::NoteCreated => K::NoteCreated(NoteCreated {
            note_content: s(
                "Spoke with the buyer.\nThey want a 10% discount — café meeting on Friday. 😀",
            ),
        }),
        ActivityType::NoteUpdated => K::NoteUpdated(NoteUpdated {
            note_content: s("Spoke with the buyer.\nThey accepted 8% — signing on Monday."),
        }),
        ActivityType::NoteDeleted => K::NoteDeleted(NoteDeleted {
            note_content: s("Old note: C:\\deals\\acme.txt"),
        }),
        ActivityType::AttachmentCreated => K::AttachmentCreated(AttachmentCreated {
            attachment_filename: s("Proposal v2.pdf"),
            attachment_url: s("https://clinchpad.s3.amazonaws.com/attachments/52cfbf76cce8b40f0f000019/Proposal%20v2.pdf"),
        }),
        ActivityType::AttachmentDeleted => K::AttachmentDeleted(AttachmentDeleted {
            attachment_filename: s("Proposal v1.pdf"),
        }),
        ActivityType::RecordCreated => K::RecordCreated(RecordCreated {
            record_name: s("Industry"),
            record_value: s("Manufacturing"),
        }),
        ActivityType::RecordUpdated => K::RecordUpdated(RecordUpdated {
            record_name: s("Industry"),
            record_value: s("Logistics"),
            old_record_value: Some(s("Manufacturing")),
        }),
        ActivityType::RecordDeleted => K::RecordDeleted(RecordDeleted {
            record_name: s("Industry"),
            record_value: s("Logistics"),
        }),
        ActivityType::ContactAdded => K::ContactAdded(ContactAdded {
            contact_name: s("Jane Doe"),
        }),
        ActivityType::ContactRemoved => K::ContactRemoved(ContactRemoved {
            contact_name: s("John Roe"),
        }),
        ActivityType::ProductAdded => K::ProductAdded(ProductAdded {
            product_name: s("Annual licence"),
            product_quantity: 3.0,
            product_price: Some(499.99),
        }),
        ActivityType::ProductRemoved => K::ProductRemoved(ProductRemoved {
            product_name: s("Annual licence"),
            product_quantity: 1.0,
        }),
        ActivityType::ZoneAdded => K::ZoneAdded(ZoneAdded {
            zone_name: s("EMEA"),
        }),
        ActivityType::ZoneRemoved => K::ZoneRemoved(ZoneRemoved {
            zone_name: s("APAC"),
        }),
        ActivityType::SourceAdded => K::SourceAdded(SourceAdded {
            source_name: s("Website form"),
        }),
        ActivityType::SourceRemoved => K::SourceRemoved(SourceRemoved {
            source_name: s("Trade show"),
        }),
        ActivityType::EmailReceived => K::EmailReceived(EmailReceived {
            subject: s("Re: Offer for 2014 — next steps"),
        }),
        other => panic!("no expected kind written for {other}"),
    }
}

/// Checks the objects every payload shares against the same file read as a plain
/// `serde_json::Value`, so each typed field is compared with its wire text.
fn assert_common_fields(payload: &Payload, raw: &Value, file: &Path) {
    let file = file.display();
    let text = |pointer: &str| {
        raw.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{file}: no text at {pointer}"))
    };
    let activity = &payload.activity;
    assert_eq!(activity.id.as_str(), text("/activity/_id"), "{file}");
    let created_at: DateTime<Utc> = text("/activity/created_at").parse().unwrap();
    assert_eq!(activity.created_at, created_at, "{file}");
    assert_eq!(activity.kind.type_name(), text("/activity/type"), "{file}");
    assert!(activity.extra.is_empty(), "{file}: {:?}", activity.extra);

    let user = activity
        .user
        .as_ref()
        .expect("every fixture names its user");
    assert_eq!(user.id.as_str(), text("/activity/user/_id"), "{file}");
    assert_eq!(user.name, text("/activity/user/name"), "{file}");
    assert_eq!(
        user.photo_url.as_deref(),
        Some(text("/activity/user/photo_url")),
        "{file}"
    );

    let lead = &payload.lead;
    assert_eq!(lead.id.as_str(), text("/lead/_id"), "{file}");
    assert_eq!(lead.name, text("/lead/name"), "{file}");
    let stage = lead.stage.as_ref().expect("every fixture has a stage");
    assert_eq!(stage.id.as_str(), text("/lead/stage/_id"), "{file}");
    assert_eq!(stage.name, text("/lead/stage/name"), "{file}");
    let pipe = lead.pipe.as_ref().expect("every fixture has a pipe");
    assert_eq!(pipe.id.as_str(), text("/lead/pipe/_id"), "{file}");
    assert_eq!(pipe.name, text("/lead/pipe/name"), "{file}");
    assert_eq!(lead.size, raw.pointer("/lead/size").and_then(Value::as_f64));
    assert_eq!(
        lead.archived,
        raw.pointer("/lead/archived").and_then(Value::as_bool)
    );
    assert_eq!(
        lead.user.as_ref().map(|u| u.id.as_str()),
        raw.pointer("/lead/user/_id").and_then(Value::as_str)
    );
    assert!(lead.extra.is_empty(), "{file}: {:?}", lead.extra);
    assert!(payload.extra.is_empty(), "{file}: {:?}", payload.extra);

    verify(payload, FIXTURE_KEY).unwrap_or_else(|e| panic!("{file}: {e}"));
}

/// The input with `null` members removed: `null` and absent mean the same, and a
/// serialized payload writes neither.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn all_json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_documented_type_has_a_fixture_and_no_fixture_is_unaccounted_for() {
    let mut expected: Vec<PathBuf> = ActivityType::ALL.iter().map(|t| type_fixture(*t)).collect();
    expected.push(fixture_path("doc_example.json"));
    expected.sort();
    assert_eq!(all_json_files(&fixture_path("")), expected);
}

#[test]
fn each_type_fixture_parses_into_its_variant_with_every_field() {
    for activity_type in ActivityType::ALL {
        let path = type_fixture(activity_type);
        let bytes = read(&path);
        let payload = parse_file(&path);
        let raw: Value = serde_json::from_slice(&bytes).unwrap();

        assert_eq!(
            payload.activity.kind,
            expected_kind(activity_type),
            "{}",
            path.display()
        );
        assert_eq!(payload.activity.kind.activity_type(), Some(activity_type));
        assert_eq!(payload.activity.kind.type_name(), activity_type.as_str());
        assert_common_fields(&payload, &raw, &path);
    }
}

#[test]
fn todo_dates_and_times_in_the_fixtures_are_typed() {
    let payload = parse_file(&type_fixture(ActivityType::TodoCreated));
    let ActivityKind::TodoCreated(TodoCreated {
        todo_date: Some(todo_date),
        todo_time: Some(todo_time),
        ..
    }) = &payload.activity.kind
    else {
        panic!("unexpected kind {:?}", payload.activity.kind);
    };
    assert_eq!(
        todo_date.value(),
        NaiveDate::from_ymd_opt(2014, 1, 15).as_ref()
    );
    assert_eq!(
        todo_time.value(),
        NaiveTime::from_hms_opt(14, 30, 0).as_ref()
    );

    let payload = parse_file(&type_fixture(ActivityType::TodoTimeChanged));
    let ActivityKind::TodoTimeChanged(TodoTimeChanged {
        todo_time,
        old_todo_time: Some(old_todo_time),
        ..
    }) = &payload.activity.kind
    else {
        panic!("unexpected kind {:?}", payload.activity.kind);
    };
    assert_eq!(todo_time.value(), NaiveTime::from_hms_opt(9, 0, 0).as_ref());
    assert_eq!(old_todo_time.as_str(), "14:30");
}

#[test]
fn lead_objects_carry_size_archived_and_assigned_user_when_sent() {
    let created = parse_file(&type_fixture(ActivityType::LeadCreated));
    assert_eq!(created.lead.size, None, "size: null is no size");
    assert_eq!(created.lead.archived, Some(false));
    assert_eq!(created.lead.user, None, "user: null is unassigned");

    let assigned = parse_file(&type_fixture(ActivityType::LeadAssigned));
    let owner = assigned.lead.user.expect("assigned lead has a user");
    assert_eq!(owner.name, "Zoë Åkesson");
    assert_eq!(owner.id.as_str(), "5301a2b4cce8b4c375000011");

    let won = parse_file(&type_fixture(ActivityType::LeadWon));
    assert_eq!(won.lead.size, Some(2500.0));
}

#[test]
fn the_documentation_example_parses_as_published() {
    let payload = parse_file(&fixture_path("doc_example.json"));
    assert_eq!(payload.activity.id.as_str(), "52cfbf76cce8b40f0f000005");
    assert_eq!(
        payload.activity.created_at,
        "2014-01-10T09:37:58Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        payload.activity.kind,
        ActivityKind::NoteCreated(NoteCreated {
            note_content: "Hello world!".into()
        })
    );
    let user = payload.activity.user.as_ref().unwrap();
    assert_eq!(user.id.as_str(), "52cf8c0acce8b4c375000001");
    assert_eq!(user.name, "Webhook Testing");
    assert_eq!(
        user.photo_url.as_deref(),
        Some("https://s3.amazonaws.com/...")
    );
    assert_eq!(payload.lead.id.as_str(), "52cfa124cce8b4d113000056");
    assert_eq!(payload.lead.name, "Webhook T");
    let stage = payload.lead.stage.as_ref().unwrap();
    assert_eq!(
        (stage.id.as_str(), stage.name.as_str()),
        ("52cf8c0bcce8b4c37500000c", "Offer")
    );
    let pipe = payload.lead.pipe.as_ref().unwrap();
    assert_eq!(
        (pipe.id.as_str(), pipe.name.as_str()),
        ("52cf8c0bcce8b4c375000008", "Default")
    );
    assert_eq!(payload.lead.size, None);
    assert_eq!(payload.lead.archived, None);
    assert_eq!(payload.lead.user, None);
    verify(&payload, FIXTURE_KEY).unwrap();
}

#[test]
fn serializing_writes_back_every_field_under_its_wire_name() {
    let mut files: Vec<PathBuf> = ActivityType::ALL.iter().map(|t| type_fixture(*t)).collect();
    files.push(fixture_path("doc_example.json"));
    for path in files {
        let bytes = read(&path);
        let payload = parse_file(&path);
        let written = serde_json::to_value(&payload).unwrap();
        let came_in: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(written, without_nulls(&came_in), "{}", path.display());
    }
}

#[test]
fn every_fixture_round_trips_to_an_equal_payload_and_stable_bytes() {
    let mut files = all_json_files(&fixture_path(""));
    files.extend(all_json_files(&fixture_path("edge")));
    assert!(files.len() > 40, "fixtures missing: {}", files.len());
    for path in files {
        let payload = parse_file(&path);
        let written = serde_json::to_vec(&payload).unwrap();
        let again = parse(&written).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(again, payload, "{}", path.display());
        assert_eq!(
            serde_json::to_vec(&again).unwrap(),
            written,
            "{}",
            path.display()
        );
    }
}
