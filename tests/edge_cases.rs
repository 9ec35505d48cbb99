//! The edge cases of `fixtures/edge/`: where the documentation is silent, what the crate
//! accepts (see "What is accepted" in the crate docs) and how it reads it.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clinchpad_webhook::{parse, verify, ActivityKind, ActivityType, Error, Payload};
use serde_json::{json, Value};
use std::path::Path;

fn edge(name: &str) -> Payload {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/edge")
        .join(format!("{name}.json"));
    let bytes = std::fs::read(&path).unwrap();
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn null_optional_values_read_as_absent() {
    let payload = edge("nulls");
    assert_eq!(payload.activity.user, None);
    assert_eq!(
        payload.activity.kind,
        ActivityKind::LeadSizeChanged {
            lead_size: 10.0,
            old_lead_size: None
        }
    );
    let lead = &payload.lead;
    assert_eq!(
        (
            lead.size,
            lead.archived,
            &lead.user,
            &lead.stage,
            &lead.pipe
        ),
        (None, None, &None, &None, &None)
    );
    assert!(lead.extra.is_empty(), "nulls are not unknown fields");
}

#[test]
fn a_null_photo_url_reads_as_no_photo() {
    let user = edge("user_photo_null").activity.user.unwrap();
    assert_eq!(user.name, "Webhook Testing");
    assert_eq!(user.photo_url, None);
}

#[test]
fn optional_fields_and_objects_may_be_absent() {
    let payload = edge("optional_absent");
    assert_eq!(
        payload.activity.kind,
        ActivityKind::TodoCreated {
            todo_name: "Call back".into(),
            todo_type: "Call".into(),
            todo_date: None,
            todo_time: None,
        }
    );
    assert_eq!(payload.activity.user, None);
    assert_eq!(payload.lead.stage, None);
    assert_eq!(payload.lead.pipe, None);
    assert_eq!(payload.handshake_key, None);
}

#[test]
fn numbers_sent_as_strings_read_as_numbers() {
    let payload = edge("numbers_as_strings");
    assert_eq!(
        payload.activity.kind,
        ActivityKind::LeadSizeChanged {
            lead_size: 1500.0,
            old_lead_size: Some(1200.75)
        }
    );
    assert_eq!(payload.lead.size, Some(1500.0));

    let product = edge("product_strings");
    assert_eq!(
        product.activity.kind,
        ActivityKind::ProductAdded {
            product_name: "Seat".into(),
            product_quantity: 12.0,
            product_price: Some(19.5),
        }
    );
}

#[test]
fn numbers_are_written_back_as_json_numbers() {
    let written = serde_json::to_value(edge("numbers_as_strings")).unwrap();
    assert_eq!(written["activity"]["lead_size"], json!(1500));
    assert_eq!(written["activity"]["old_lead_size"], json!(1200.75));
    assert_eq!(written["lead"]["size"], json!(1500));
}

#[test]
fn todo_done_sent_as_a_string_reads_as_a_bool() {
    assert_eq!(
        edge("todo_done_string").activity.kind,
        ActivityKind::TodoDoneChanged {
            todo_name: "Call back".into(),
            todo_done: false
        }
    );
}

#[test]
fn record_values_sent_as_numbers_or_booleans_keep_their_json_text() {
    assert_eq!(
        edge("record_value_scalars").activity.kind,
        ActivityKind::RecordUpdated {
            record_name: "Employees".into(),
            record_value: "250".into(),
            old_record_value: Some("true".into()),
        }
    );
}

#[test]
fn an_unknown_type_parses_and_keeps_its_name_and_every_field() {
    let payload = edge("unknown_type");
    let ActivityKind::Unknown { type_name, fields } = &payload.activity.kind else {
        panic!(
            "expected the unknown variant, got {:?}",
            payload.activity.kind
        );
    };
    assert_eq!(type_name, "deal:forecast_changed");
    assert_eq!(payload.activity.kind.type_name(), "deal:forecast_changed");
    assert_eq!(payload.activity.kind.activity_type(), None);
    let expected = json!({
        "forecast": {"quarter": "2015-Q1", "amount": 12000},
        "probability": 0.4,
        "note_content": "kept too"
    });
    assert_eq!(Value::Object(fields.clone()), expected);
    // The shared fields are still typed.
    assert_eq!(payload.activity.id.as_str(), "52cfbf76cce8b40f0f0000e0");
    assert_eq!(
        payload.activity.user.as_ref().unwrap().name,
        "Webhook Testing"
    );
    verify(&payload, "gfhkd1asfsa").unwrap();

    let written = serde_json::to_value(&payload).unwrap();
    assert_eq!(written["activity"]["type"], "deal:forecast_changed");
    assert_eq!(written["activity"]["forecast"]["amount"], 12000);
}

#[test]
fn unknown_fields_are_kept_on_every_object_and_written_back() {
    let payload = edge("extra_fields");
    assert_eq!(
        Value::Object(payload.extra.clone()),
        json!({"account_id": "52cf8c0acce8b4c375000000", "version": 2})
    );
    assert_eq!(
        Value::Object(payload.activity.extra.clone()),
        json!({"source": "mobile", "tags": ["a", "b"]})
    );
    let user = payload.activity.user.as_ref().unwrap();
    assert_eq!(
        Value::Object(user.extra.clone()),
        json!({"email": "webhook@example.com"})
    );
    assert_eq!(
        Value::Object(payload.lead.extra.clone()),
        json!({"company": {"name": "Acme"}})
    );
    let stage = payload.lead.stage.as_ref().unwrap();
    assert_eq!(Value::Object(stage.extra.clone()), json!({"position": 3}));
    let pipe = payload.lead.pipe.as_ref().unwrap();
    assert_eq!(Value::Object(pipe.extra.clone()), json!({"default": true}));

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/edge/extra_fields.json");
    let came_in: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&payload).unwrap(), came_in);
}

#[test]
fn a_lead_carries_size_archived_and_its_assigned_user() {
    let lead = edge("lead_full").lead;
    assert_eq!(lead.size, Some(1500.0));
    assert_eq!(lead.archived, Some(true));
    let owner = lead.user.unwrap();
    assert_eq!(owner.id.as_str(), "5301a2b4cce8b4c375000011");
    assert_eq!(owner.name, "Zoë Åkesson");
    assert!(owner.photo_url.unwrap().starts_with("https://"));
}

#[test]
fn the_type_may_come_after_its_fields_or_before_them() {
    let payload = edge("type_first");
    assert_eq!(
        payload.activity.kind,
        ActivityKind::LeadMoved {
            old_stage_name: "Offer".into(),
            new_stage_name: "Won".into()
        }
    );
    assert_eq!(payload.lead.name, "Type First");
}

#[test]
fn todo_dates_and_times_in_other_formats_are_parsed_or_kept_as_text() {
    let ActivityKind::TodoDateChanged {
        todo_date,
        old_todo_date: Some(old_todo_date),
        ..
    } = edge("todo_formats").activity.kind
    else {
        panic!("expected todo:date_changed");
    };
    assert_eq!(todo_date.as_str(), "15 Jan 2014");
    assert_eq!(
        todo_date.value(),
        NaiveDate::from_ymd_opt(2014, 1, 15).as_ref()
    );
    assert_eq!(old_todo_date.as_str(), "next Tuesday");
    assert_eq!(old_todo_date.value(), None);

    let ActivityKind::TodoTimeChanged {
        todo_time,
        old_todo_time: Some(old_todo_time),
        ..
    } = edge("todo_time_formats").activity.kind
    else {
        panic!("expected todo:time_changed");
    };
    assert_eq!(todo_time.as_str(), "2:30 PM");
    assert_eq!(
        todo_time.value(),
        NaiveTime::from_hms_opt(14, 30, 0).as_ref()
    );
    assert_eq!(old_todo_time.as_str(), "after lunch");
    assert_eq!(old_todo_time.value(), None);
}

#[test]
fn todo_text_that_is_not_a_date_is_written_back_unchanged() {
    let written = serde_json::to_value(edge("todo_formats")).unwrap();
    assert_eq!(written["activity"]["todo_date"], "15 Jan 2014");
    assert_eq!(written["activity"]["old_todo_date"], "next Tuesday");
}

#[test]
fn timestamps_with_an_offset_and_fractional_seconds_convert_to_utc() {
    let payload = edge("timestamp_offset");
    let expected: DateTime<Utc> = "2014-01-10T09:37:58.250Z".parse().unwrap();
    assert_eq!(payload.activity.created_at, expected);
    assert_eq!(
        payload.activity.kind.activity_type(),
        Some(ActivityType::LeadCreated)
    );
}

#[test]
fn a_payload_without_a_handshake_key_parses_but_never_verifies() {
    let payload = edge("no_handshake_key");
    assert_eq!(payload.handshake_key, None);
    assert_eq!(verify(&payload, "gfhkd1asfsa"), Err(Error::MissingKey));
}
