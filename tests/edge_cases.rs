//! The edge cases of `fixtures/edge/`: where the documentation is silent, what the crate
//! accepts (see "What is accepted" in the crate docs) and how it reads it.

// Every error these tests meet goes through `oracles::parse`, which checks that its message is
// one bounded line.
#[allow(dead_code)]
mod oracles;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{verify, ActivityKind, ActivityType, Error, Payload};
use oracles::parse;
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
        ActivityKind::LeadSizeChanged(LeadSizeChanged {
            lead_size: 10.0,
            old_lead_size: None
        })
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
        ActivityKind::TodoCreated(TodoCreated {
            todo_name: "Call back".into(),
            todo_type: "Call".into(),
            todo_date: None,
            todo_time: None,
        })
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
        ActivityKind::LeadSizeChanged(LeadSizeChanged {
            lead_size: 1500.0,
            old_lead_size: Some(1200.75)
        })
    );
    assert_eq!(payload.lead.size, Some(1500.0));

    let product = edge("product_strings");
    assert_eq!(
        product.activity.kind,
        ActivityKind::ProductAdded(ProductAdded {
            product_name: "Seat".into(),
            product_quantity: 12.0,
            product_price: Some(19.5),
        })
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
        ActivityKind::TodoDoneChanged(TodoDoneChanged {
            todo_name: "Call back".into(),
            todo_done: false
        })
    );
}

#[test]
fn record_values_sent_as_numbers_or_booleans_keep_their_json_text() {
    assert_eq!(
        edge("record_value_scalars").activity.kind,
        ActivityKind::RecordUpdated(RecordUpdated {
            record_name: "Employees".into(),
            record_value: "250".into(),
            old_record_value: Some("true".into()),
        })
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
        ActivityKind::LeadMoved(LeadMoved {
            old_stage_name: "Offer".into(),
            new_stage_name: "Won".into()
        })
    );
    assert_eq!(payload.lead.name, "Type First");
}

#[test]
fn todo_dates_and_times_in_other_formats_are_parsed_or_kept_as_text() {
    let ActivityKind::TodoDateChanged(TodoDateChanged {
        todo_date,
        old_todo_date: Some(old_todo_date),
        ..
    }) = edge("todo_formats").activity.kind
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

    let ActivityKind::TodoTimeChanged(TodoTimeChanged {
        todo_time,
        old_todo_time: Some(old_todo_time),
        ..
    }) = edge("todo_time_formats").activity.kind
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

// ---------------------------------------------------------------------------------------------
// Numbers: their text where the field is text, JSON's grammar where it is a number.

/// A `record:updated` body with `record_value` and `old_record_value` given as JSON text.
fn record_updated(value: &str, old_value: &str) -> Vec<u8> {
    format!(
        r#"{{"activity": {{"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "record:updated",
            "record_name": "Price", "record_value": {value}, "old_record_value": {old_value}}},
            "lead": {{"_id": "l", "name": "n"}}}}"#
    )
    .into_bytes()
}

fn record_texts(payload: &Payload) -> (String, Option<String>) {
    match &payload.activity.kind {
        ActivityKind::RecordUpdated(RecordUpdated {
            record_value,
            old_record_value,
            ..
        }) => (record_value.clone(), old_record_value.clone()),
        other => panic!("not a record update: {other:?}"),
    }
}

#[test]
fn record_values_keep_the_exact_text_of_a_json_number() {
    for number in [
        "19.90",
        "1e3",
        "1E+3",
        "1000.0",
        "12345678901234567890123",
        "-0",
        "0.1000",
        "-2.50e-3",
        "9007199254740993",
    ] {
        let payload = parse(&record_updated(number, number)).unwrap();
        assert_eq!(
            record_texts(&payload),
            (number.to_owned(), Some(number.to_owned())),
            "{number}"
        );
        // Written back as that text, and read back equal.
        let again = parse(&serde_json::to_vec(&payload).unwrap()).unwrap();
        assert_eq!(again, payload, "{number}");
    }
    // Booleans keep theirs; strings are the string, digits or not.
    let payload = parse(&record_updated("true", r#""19.90""#)).unwrap();
    assert_eq!(
        record_texts(&payload),
        ("true".into(), Some("19.90".into()))
    );
    let payload = parse(&record_updated(r#""1e3""#, "false")).unwrap();
    assert_eq!(record_texts(&payload), ("1e3".into(), Some("false".into())));
    // With the type after the fields, and with other fields around them.
    let body = br#"{"lead": {"_id": "l", "name": "n"}, "activity": {"record_value": 19.90, "x": [1.50],
        "record_name": "Price", "_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "record:created"}}"#;
    let ActivityKind::RecordCreated(RecordCreated { record_value, .. }) =
        parse(body).unwrap().activity.kind
    else {
        panic!("not a record")
    };
    assert_eq!(record_value, "19.90");
}

/// Unknown fields and an unknown type's fields are `serde_json::Value`s: a number keeps its
/// value (an integer exactly up to 64 bits, anything else as the nearest `f64`), not its text.
#[test]
fn numbers_in_unknown_fields_keep_their_value_not_their_text() {
    let body =
        br#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "deal:priced",
        "price": 19.90, "big": 12345678901234567890123, "record_value": 1e3},
        "lead": {"_id": "l", "name": "n", "count": 18446744073709551615, "ratio": 1.50}}"#;
    let payload = parse(body).unwrap();
    let ActivityKind::Unknown { fields, .. } = &payload.activity.kind else {
        panic!("a type unknown to this version")
    };
    assert_eq!(fields["price"], json!(19.9));
    assert_eq!(fields["big"], json!(1.2345678901234568e22));
    assert_eq!(fields["record_value"], json!(1000.0));
    assert_eq!(payload.lead.extra["count"], json!(u64::MAX));
    let written = serde_json::to_string(&payload).unwrap();
    assert!(
        written.contains(r#""price":19.9"#) && written.contains(r#""ratio":1.5"#),
        "{written}"
    );
    assert_eq!(parse(written.as_bytes()).unwrap(), payload);
}

#[test]
fn number_strings_must_be_written_as_json_numbers() {
    for text in [
        "01500", "-01500", "00", "0100", "-00", "01.5", "00e1", "+1500", ".5", "1.", "0x10",
        " 1500",
    ] {
        for (activity_fields, lead_fields) in [
            (
                format!(r#""type": "lead:size_changed", "lead_size": "{text}""#),
                String::new(),
            ),
            (
                format!(
                    r#""type": "lead:size_changed", "lead_size": 1, "old_lead_size": "{text}""#
                ),
                String::new(),
            ),
            (
                format!(
                    r#""type": "product:added", "product_name": "p", "product_quantity": "{text}""#
                ),
                String::new(),
            ),
            (
                format!(
                    r#""type": "product:added", "product_name": "p", "product_quantity": 1, "product_price": "{text}""#
                ),
                String::new(),
            ),
            (
                r#""type": "lead:won""#.to_owned(),
                format!(r#", "size": "{text}""#),
            ),
        ] {
            let body = format!(
                r#"{{"activity": {{"_id": "a", "created_at": "2014-01-10T09:37:58Z", {activity_fields}}},
                    "lead": {{"_id": "l", "name": "n"{lead_fields}}}}}"#
            );
            let err = parse(body.as_bytes()).unwrap_err();
            assert!(
                matches!(err, Error::InvalidPayload { .. }),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains("invalid number"), "{text}: {err}");
        }
    }
    // Zero itself, and numbers that start with it, are numbers.
    for (text, n) in [
        ("0", 0.0),
        ("-0", 0.0),
        ("0.5", 0.5),
        ("0e3", 0.0),
        ("10", 10.0),
    ] {
        let body = format!(
            r#"{{"activity": {{"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "lead:size_changed", "lead_size": "{text}"}},
                "lead": {{"_id": "l", "name": "n", "size": "{text}"}}}}"#
        );
        let payload = parse(body.as_bytes()).unwrap();
        assert_eq!(payload.lead.size, Some(n), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Times that can be written back.

fn with_created_at(text: &str) -> Vec<u8> {
    format!(
        r#"{{"activity": {{"_id": "a", "created_at": "{text}", "type": "lead:won"}},
            "lead": {{"_id": "l", "name": "n"}}}}"#
    )
    .into_bytes()
}

#[test]
fn a_created_at_whose_utc_year_leaves_0000_to_9999_is_refused() {
    for text in [
        "0000-01-01T00:00:00+01:00",
        "0000-01-01T00:59:59.999+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:30:00-00:31",
    ] {
        let err = parse(&with_created_at(text)).unwrap_err();
        assert_eq!(err.path(), Some("activity.created_at"), "{text}");
        assert!(err.to_string().contains("0000-9999"), "{text}: {err}");
    }
}

#[test]
fn every_accepted_created_at_is_written_as_a_timestamp_that_reads_back_equal() {
    for text in [
        "0000-01-01T00:00:00Z",
        "0000-01-01T01:00:00+01:00",
        "0000-01-01T00:00:00-01:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59+01:00",
        "2016-12-31T23:59:60Z",
        "2016-12-31T23:59:60.5+00:00",
        "2024-03-05T14:07:31.123456789123Z",
        "2024-03-05t14:07:31z",
    ] {
        let payload = parse(&with_created_at(text)).unwrap();
        let written = serde_json::to_vec(&payload).unwrap();
        assert_eq!(parse(&written).unwrap(), payload, "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Todo dates: four-digit years only.

#[test]
fn todo_dates_with_years_that_are_not_four_digits_are_text_only() {
    for text in [
        "12/03/20",
        "12 Mar 24",
        "Mar 12, 24",
        "24-03-12",
        "024-03-12",
        "+2024-03-12",
        "12 Mar -2024",
    ] {
        let body = format!(
            r#"{{"activity": {{"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "todo:date_changed",
                "todo_name": "Call", "todo_date": "{text}"}}, "lead": {{"_id": "l", "name": "n"}}}}"#
        );
        let ActivityKind::TodoDateChanged(TodoDateChanged { todo_date, .. }) =
            parse(body.as_bytes()).unwrap().activity.kind
        else {
            panic!("a date change")
        };
        assert_eq!(todo_date.value(), None, "{text}");
        assert_eq!(todo_date.as_str(), text);
    }
    let date = |text| clinchpad_webhook::TodoDate::new(text).value().copied();
    assert_eq!(date("12 Mar 2024"), NaiveDate::from_ymd_opt(2024, 3, 12));
    assert_eq!(date("0012-03-20"), NaiveDate::from_ymd_opt(12, 3, 20));
}
