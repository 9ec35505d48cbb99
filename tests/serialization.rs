//! What `Serialize` writes, `parse` reads back equal; what no body can carry is refused when
//! serializing, with an error that names the field, instead of being written as a body the
//! crate itself would refuse or read as something else.

#[allow(dead_code)]
mod oracles;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{
    Activity, ActivityKind, ActivityType, Lead, Payload, Pipe, Stage, TodoDate, User,
};
use serde_json::{json, Map, Value};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 31).unwrap()
}

/// A payload with a user on the activity and the lead, and a stage and a pipe.
fn full() -> Payload {
    let mut activity = Activity::new("a1", at(), ActivityKind::LeadWon(LeadWon {}));
    activity.user = Some(User::new("u1", "Dana"));
    let mut lead = Lead::new("l1", "Acme");
    lead.user = Some(User::new("u2", "Sam"));
    lead.stage = Some(Stage::new("s1", "Offer"));
    lead.pipe = Some(Pipe::new("p1", "Default"));
    Payload::new(activity, lead)
}

/// The error serializing `payload` gives, checked to be one bounded line.
fn refused(payload: &Payload) -> String {
    let err = serde_json::to_vec(payload).expect_err("serializing should fail");
    let message = err.to_string();
    oracles::check_error_message(&message);
    message
}

#[test]
fn an_unknown_field_named_like_a_modelled_one_is_refused_on_every_object() {
    type Extra = fn(&mut Payload) -> &mut Map<String, Value>;
    let objects: [(&str, Extra, &[&str]); 7] = [
        (
            "Payload",
            |p| &mut p.extra,
            &["activity", "lead", "handshake_key"],
        ),
        (
            "Activity",
            |p| &mut p.activity.extra,
            &["_id", "created_at", "type", "user"],
        ),
        (
            "Lead",
            |p| &mut p.lead.extra,
            &["_id", "name", "size", "archived", "user", "stage", "pipe"],
        ),
        (
            "User",
            |p| &mut p.activity.user.as_mut().unwrap().extra,
            &["_id", "name", "photo_url"],
        ),
        (
            "User",
            |p| &mut p.lead.user.as_mut().unwrap().extra,
            &["_id", "name", "photo_url"],
        ),
        (
            "Stage",
            |p| &mut p.lead.stage.as_mut().unwrap().extra,
            &["_id", "name"],
        ),
        (
            "Pipe",
            |p| &mut p.lead.pipe.as_mut().unwrap().extra,
            &["_id", "name"],
        ),
    ];
    for (owner, extra, keys) in objects {
        for key in keys {
            // Whether the modelled field is set or not: absent, it would read back as set.
            let mut payload = full();
            extra(&mut payload).insert((*key).to_owned(), json!("x"));
            let message = refused(&payload);
            assert!(
                message.contains(owner) && message.contains(&format!("\"{key}\"")),
                "{message}"
            );
        }
    }
    // A near miss is an unknown field like any other.
    let mut payload = full();
    payload.lead.extra.insert("Name".into(), json!("x"));
    oracles::check_payload_round_trip(&payload);
}

#[test]
fn an_unknown_field_named_like_a_field_of_the_activitys_type_is_refused() {
    let mut payload = full();
    payload.activity.kind = ActivityKind::LeadMoved(LeadMoved {
        old_stage_name: "Offer".into(),
        new_stage_name: "Won".into(),
    });
    payload
        .activity
        .extra
        .insert("new_stage_name".into(), json!("Lost"));
    assert!(refused(&payload).contains("\"new_stage_name\""));
    // A field of another type is only an unknown field here.
    payload.activity.extra.clear();
    payload
        .activity
        .extra
        .insert("note_content".into(), json!("kept"));
    oracles::check_payload_round_trip(&payload);
}

#[test]
fn an_unknown_kind_named_like_a_documented_type_is_refused() {
    for t in ActivityType::ALL {
        let mut payload = full();
        payload.activity.kind = ActivityKind::Unknown {
            type_name: t.as_str().into(),
            fields: Map::new(),
        };
        let message = refused(&payload);
        assert!(
            message.contains(&format!("ActivityKind::{t:?}")),
            "{message}"
        );
        assert!(serde_json::to_vec(&payload.activity.kind).is_err());
    }
}

#[test]
fn an_unknown_kinds_fields_cannot_hold_an_activitys_own_keys() {
    for key in ["_id", "created_at", "type", "user"] {
        let mut fields = Map::new();
        fields.insert(key.into(), json!("x"));
        let mut payload = full();
        payload.activity.kind = ActivityKind::Unknown {
            type_name: "deal:forecast_changed".into(),
            fields,
        };
        assert!(refused(&payload).contains(&format!("\"{key}\"")));
    }
}

#[test]
fn unknown_fields_beside_an_unknown_kind_are_refused() {
    let mut payload = full();
    payload.activity.kind = ActivityKind::Unknown {
        type_name: "deal:forecast_changed".into(),
        fields: Map::new(),
    };
    payload.activity.extra.insert("forecast".into(), json!(1));
    assert!(refused(&payload).contains("ActivityKind::Unknown"));
    // In the kind's fields they are written, and read back there.
    let ActivityKind::Unknown { fields, .. } = &mut payload.activity.kind else {
        unreachable!()
    };
    fields.extend(std::mem::take(&mut payload.activity.extra));
    oracles::check_payload_round_trip(&payload);
}

#[test]
fn a_number_that_is_not_finite_is_refused_naming_its_field() {
    for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut payload = full();
        payload.lead.size = Some(n);
        assert!(refused(&payload).contains("`lead.size`"));
        for (kind, field) in [
            (
                ActivityKind::LeadSizeChanged(LeadSizeChanged {
                    lead_size: n,
                    old_lead_size: None,
                }),
                "lead_size",
            ),
            (
                ActivityKind::LeadSizeChanged(LeadSizeChanged {
                    lead_size: 1.0,
                    old_lead_size: Some(n),
                }),
                "old_lead_size",
            ),
            (
                ActivityKind::ProductAdded(ProductAdded {
                    product_name: "p".into(),
                    product_quantity: n,
                    product_price: None,
                }),
                "product_quantity",
            ),
            (
                ActivityKind::ProductAdded(ProductAdded {
                    product_name: "p".into(),
                    product_quantity: 1.0,
                    product_price: Some(n),
                }),
                "product_price",
            ),
            (
                ActivityKind::ProductRemoved(ProductRemoved {
                    product_name: "p".into(),
                    product_quantity: n,
                }),
                "product_quantity",
            ),
        ] {
            let mut payload = full();
            payload.activity.kind = kind;
            assert!(refused(&payload).contains(&format!("`{field}`")), "{field}");
        }
    }
}

#[test]
fn a_created_at_outside_the_years_rfc_3339_can_write_is_refused() {
    for time in [
        Utc.with_ymd_and_hms(-1, 12, 31, 23, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
    ] {
        let mut payload = full();
        payload.activity.created_at = time;
        assert!(refused(&payload).contains("created_at"), "{time}");
    }
    for time in [
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
    ] {
        let mut payload = full();
        payload.activity.created_at = time;
        oracles::check_payload_round_trip(&payload);
    }
}

#[test]
fn a_value_nested_deeper_than_a_body_can_be_is_refused() {
    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!([inner]))
    }
    // The lead is two levels deep: 125 more fit in the 127 a body may have.
    let mut payload = full();
    payload.lead.extra.insert("deep".into(), nested(125));
    oracles::check_payload_round_trip(&payload);
    payload.lead.extra.insert("deep".into(), nested(126));
    assert!(refused(&payload).contains("\"deep\""));
    // A user is three deep.
    let mut payload = full();
    payload
        .lead
        .user
        .as_mut()
        .unwrap()
        .extra
        .insert("deep".into(), nested(124));
    oracles::check_payload_round_trip(&payload);
    payload
        .lead
        .user
        .as_mut()
        .unwrap()
        .extra
        .insert("deep".into(), nested(125));
    refused(&payload);
}

#[test]
fn todo_dates_built_from_any_date_read_back_equal() {
    for date in [
        NaiveDate::from_ymd_opt(2024, 3, 12).unwrap(),
        NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(12, 3, 20).unwrap(),
        NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap(),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ] {
        let todo = TodoDate::from(date);
        assert_eq!(TodoDate::new(todo.as_str()), todo, "{date}");
        let mut payload = full();
        payload.activity.kind = ActivityKind::TodoDateChanged(TodoDateChanged {
            todo_name: "Call".into(),
            todo_date: todo.clone(),
            old_todo_date: Some(todo),
        });
        oracles::check_payload_round_trip(&payload);
    }
}

/// The test support's builders: what they make is written as a body that parses back equal,
/// or `to_wire_bytes` panics with the error that names the field.
#[cfg(feature = "testing")]
mod test_support {
    use super::*;
    use clinchpad_webhook::parse;

    #[test]
    fn built_samples_read_back_equal() {
        for sample in clinchpad_webhook::testing::samples() {
            let built = sample
                .with_created_at(Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap())
                .with_handshake_key("");
            assert_eq!(parse(&built.to_wire_bytes()).unwrap(), built);
        }
    }

    #[test]
    #[should_panic(expected = "cannot be written as a ClinchPad body: Activity::created_at")]
    fn a_sample_with_a_created_at_no_body_can_carry_panics_naming_it() {
        let at = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        Payload::sample(ActivityType::LeadWon)
            .with_created_at(at)
            .to_wire_bytes();
    }

    #[test]
    #[should_panic(expected = "ActivityKind::LeadWon")]
    fn a_sample_with_a_documented_type_as_unknown_panics_naming_it() {
        Payload::sample(ActivityType::LeadWon)
            .with_kind(ActivityKind::Unknown {
                type_name: "lead:won".into(),
                fields: Map::new(),
            })
            .to_wire_json();
    }
}
