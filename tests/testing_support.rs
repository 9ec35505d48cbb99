//! The `testing` feature: samples of every type, their wire form, and the overrides.
#![cfg(feature = "testing")]

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use clinchpad_webhook::activity::*;
use clinchpad_webhook::testing::samples;
use clinchpad_webhook::{
    parse, parse_verified, verify, ActivityKind, ActivityType, Error, Lead, Payload, User,
};
use serde_json::Value;

#[test]
fn one_sample_per_type_in_the_documentations_order() {
    let all: Vec<Payload> = samples().collect();
    assert_eq!(all.len(), ActivityType::ALL.len());
    for (sample, activity_type) in all.iter().zip(ActivityType::ALL) {
        assert_eq!(sample.activity.kind.activity_type(), Some(activity_type));
        assert_eq!(sample.activity.kind.type_name(), activity_type.as_str());
        assert_eq!(sample, &Payload::sample(activity_type));
    }
}

#[test]
fn every_sample_round_trips_through_parse() {
    for sample in samples() {
        let json = sample.to_wire_json();
        assert_eq!(json.as_bytes(), sample.to_wire_bytes(), "{json}");
        assert_eq!(parse(json.as_bytes()).as_ref(), Ok(&sample), "{json}");
        // And with a key, through the verifying entry point.
        let keyed = sample.with_handshake_key("s3cret");
        assert_eq!(parse_verified(&keyed.to_wire_bytes(), "s3cret"), Ok(keyed));
    }
}

#[test]
fn every_sample_fills_every_field_of_its_type() {
    for sample in samples() {
        let activity_type = sample.activity.kind.activity_type().unwrap();
        let wire: Value = serde_json::from_slice(&sample.to_wire_bytes()).unwrap();
        let activity = wire["activity"].as_object().unwrap();
        for field in activity_type.field_names() {
            let value = &activity[*field];
            assert!(
                value.is_string() || value.is_number() || value.is_boolean(),
                "{activity_type}: {field} = {value}"
            );
            assert_ne!(value, "", "{activity_type}: {field}");
        }
        assert_eq!(activity["type"], activity_type.as_str());
        assert_eq!(activity["created_at"], "2024-03-05T14:07:31Z");
        assert!(activity["user"]["name"].is_string());
        assert!(wire["lead"]["stage"]["name"].is_string());
        assert!(wire.get("handshake_key").is_none());
    }
}

#[test]
fn samples_are_deterministic_with_distinct_activity_ids() {
    let first: Vec<String> = samples().map(|s| s.to_wire_json()).collect();
    let again: Vec<String> = samples().map(|s| s.to_wire_json()).collect();
    assert_eq!(first, again);
    let ids: BTreeSet<String> = samples()
        .map(|s| s.activity.id.as_str().to_owned())
        .collect();
    assert_eq!(ids.len(), ActivityType::ALL.len());
    for id in &ids {
        assert!(
            id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
}

#[test]
fn overrides_apply_and_survive_the_wire() {
    let at = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 58).unwrap();
    let mut owner = Lead::new("65e7262bcce8b4d1130000aa", "Globex");
    owner.size = Some(1234.5);
    owner.archived = Some(false);
    let user = User::new("65e7262bcce8b4c3750000bb", "Ana Lima");
    let kind = ActivityKind::LeadMoved(LeadMoved {
        old_stage_name: "Offer".into(),
        new_stage_name: "Won".into(),
    });

    let sample = Payload::sample(ActivityType::LeadMoved)
        .with_lead(owner.clone())
        .with_user(user.clone())
        .with_created_at(at)
        .with_activity_id("65e7262bcce8b40f0f0000cc")
        .with_kind(kind.clone())
        .with_handshake_key("k");
    assert_eq!(sample.lead, owner);
    assert_eq!(sample.activity.user.as_ref(), Some(&user));
    assert_eq!(sample.activity.created_at, at);
    assert_eq!(sample.activity.id, "65e7262bcce8b40f0f0000cc");
    assert_eq!(sample.activity.kind, kind);
    assert_eq!(verify(&sample, "k"), Ok(()));
    assert_eq!(verify(&sample, "K"), Err(Error::WrongKey));
    assert_eq!(parse(&sample.to_wire_bytes()), Ok(sample.clone()));

    let json = sample.to_wire_json();
    for expected in [
        r#""created_at":"2025-12-31T23:59:58Z""#,
        r#""new_stage_name":"Won""#,
        r#""name":"Globex""#,
        r#""handshake_key":"k""#,
    ] {
        assert!(json.contains(expected), "{expected} in {json}");
    }

    // The rest of the lead is kept when only its name changes.
    let renamed = Payload::sample(ActivityType::LeadWon).with_lead_name("Initech");
    let base = Payload::sample(ActivityType::LeadWon);
    assert_eq!(renamed.lead.name, "Initech");
    assert_eq!(
        (renamed.lead.id, renamed.lead.stage),
        (base.lead.id, base.lead.stage)
    );

    // The kind may change type: the payload becomes one of the new type.
    let note =
        Payload::sample(ActivityType::LeadWon).with_kind(ActivityKind::NoteCreated(NoteCreated {
            note_content: "Changed".into(),
        }));
    let parsed = parse(&note.to_wire_bytes()).unwrap();
    assert_eq!(
        parsed.activity.kind.activity_type(),
        Some(ActivityType::NoteCreated)
    );
}

#[test]
fn without_user_and_odd_keys_reach_the_wire() {
    let sample = Payload::sample(ActivityType::LeadCreated).without_user();
    assert!(!sample.to_wire_json().contains("\"user\""));
    assert_eq!(parse(&sample.to_wire_bytes()), Ok(sample));

    // An empty key is sent as it is, and is no match for any configured key.
    let empty = Payload::sample(ActivityType::LeadWon).with_handshake_key("");
    assert!(empty.to_wire_json().contains(r#""handshake_key":"""#));
    assert_eq!(
        parse_verified(&empty.to_wire_bytes(), "s3cret"),
        Err(Error::WrongKey)
    );
}

/// A drifted sample of every documented type is taken by `accept` with its error where the
/// drift is, and refused by `receive` with the same error; the rest of the body is the sample's.
#[test]
fn drifted_samples_of_every_type_reach_the_tolerant_path() {
    use clinchpad_webhook::{HandshakeKey, Receiver};
    let receiver = Receiver::new(HandshakeKey::new("s3cret").unwrap());
    for activity_type in ActivityType::ALL {
        let sample = Payload::sample(activity_type).with_handshake_key("s3cret");
        let path = match activity_type.field_names().first() {
            Some(field) => format!("activity.{field}"),
            None => "activity.created_at".to_owned(),
        };
        let body = sample.to_drifted_bytes(&path, Some(serde_json::json!({"drifted": true})));
        let delivery = receiver.accept(None, &body).unwrap();
        assert_eq!(delivery.error().and_then(|e| e.path()), Some(path.as_str()));
        assert_eq!(delivery.type_name(), Some(activity_type.as_str()));
        assert_eq!(
            receiver.receive(None, &body).unwrap_err().error(),
            delivery.error()
        );
        // Removed instead: missing where it is required, absent where it is optional.
        let removed = sample.to_drifted_bytes(&path, None);
        assert!(receiver.accept(None, &removed).is_ok(), "{activity_type}");
    }
}

#[test]
#[should_panic(expected = "has no parent in the body")]
fn a_drift_needs_its_parent_in_the_body() {
    Payload::sample(ActivityType::LeadWon).to_drifted_bytes("lead.nowhere.x", None);
}
