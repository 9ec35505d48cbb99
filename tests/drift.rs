//! Deliveries whose shape drifted from the documentation (`fixtures/drift/`): `accept` takes
//! each, verified, with the error that says where and the body whole, typed as far as it
//! fits; `receive` refuses each with that same error; and the drifted path opens no way
//! around what both refuse.

#[allow(dead_code)]
mod drifted;
#[allow(dead_code)]
mod oracles;

use clinchpad_webhook::{ActivityKind, ActivityType, Error, HandshakeKey, Receiver};
use drifted::{Part, CORPUS};
use serde_json::Value;

const KEY: &str = "gfhkd1asfsa";

fn keyed() -> Receiver {
    Receiver::new(HandshakeKey::new(KEY).unwrap())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn every_drifted_delivery_is_accepted_with_its_error_and_kept_whole() {
    let receiver = keyed();
    for (name, path, part) in CORPUS {
        let body = drifted::body(name);
        let delivery = receiver
            .accept(None, &body)
            .unwrap_or_else(|refusal| panic!("{name}: refused: {refusal}"));
        let error = delivery
            .error()
            .unwrap_or_else(|| panic!("{name}: no error"));
        oracles::check_error_message(&error.to_string());
        assert_eq!(error.path(), Some(path), "{name}: {error}");
        assert!(!delivery.is_typed(), "{name}");
        assert_eq!(
            delivery.body(),
            body.as_slice(),
            "{name}: the body as it came"
        );
        let value = json(&body);
        let activity = &value["activity"];
        assert_eq!(delivery.type_name(), activity["type"].as_str(), "{name}");
        let id = match &activity["_id"] {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        };
        assert_eq!(delivery.activity_id(), id.as_deref(), "{name}");
        match part {
            Part::TypeFields => {
                let payload = delivery
                    .payload()
                    .unwrap_or_else(|| panic!("{name}: untyped"));
                let kind = &payload.activity.kind;
                let documented: ActivityType = activity["type"].as_str().unwrap().parse().unwrap();
                assert_eq!(kind.activity_type(), Some(documented), "{name}");
                assert_eq!(kind.type_name(), documented.as_str(), "{name}");
                let ActivityKind::Drifted { fields, .. } = kind else {
                    panic!("{name}: {kind:?}");
                };
                // The type's fields as they came, and only those.
                for field in documented.field_names() {
                    assert_eq!(fields.get(*field), activity.get(*field), "{name}: {field}");
                }
                assert!(fields
                    .keys()
                    .all(|key| documented.field_names().contains(&key.as_str())));
                // Serialized back unchanged, and accepted back the same.
                let wire = serde_json::to_vec(payload).unwrap();
                assert_eq!(json(&wire), value, "{name}");
                let again = receiver.accept(None, &wire).unwrap();
                assert_eq!(again.payload(), Some(payload), "{name}");
                assert_eq!(again.error().and_then(Error::path), Some(path), "{name}");
            }
            Part::Envelope => assert_eq!(delivery.payload(), None, "{name}"),
        }
        // Its Debug shows no key.
        assert!(!format!("{delivery:?}").contains(KEY), "{name}");
    }
}

#[test]
fn strictly_each_drifted_delivery_is_refused_with_the_same_error() {
    let receiver = keyed();
    for (name, path, _) in CORPUS {
        let body = drifted::body(name);
        let refusal = receiver.receive(None, &body).unwrap_err();
        assert_eq!(refusal.status(), 400, "{name}: {refusal}");
        let accepted = receiver.accept(None, &body).unwrap();
        assert_eq!(refusal.error(), accepted.error(), "{name}");
        assert_eq!(refusal.error().and_then(Error::path), Some(path));
        assert_eq!(oracles::parse(&body).unwrap_err().path(), Some(path));
    }
}

#[test]
fn a_drifted_delivery_is_verified_as_strictly_as_any() {
    let receiver = keyed();
    for (name, _, _) in CORPUS {
        let text = String::from_utf8(drifted::body(name)).unwrap();
        let status = |query: Option<&str>, body: &str| {
            receiver
                .accept(query, body.as_bytes())
                .map_or_else(|refusal| refusal.status(), |_| 204)
        };
        let forged = text.replace(KEY, "gfhkd1asfsA");
        let without =
            String::from_utf8(clinchpad_webhook::strip_handshake_key(text.as_bytes()).unwrap())
                .unwrap();
        assert_eq!(status(None, &text), 204, "{name}");
        assert_eq!(status(None, &forged), 401, "{name}: a wrong key");
        assert_eq!(status(None, &without), 401, "{name}: no key");
        assert_eq!(
            status(Some("handshake_key=gfhkd1asfsa"), &without),
            204,
            "{name}"
        );
        assert_eq!(
            status(Some("handshake_key=x"), &text),
            401,
            "{name}: a wrong query copy"
        );
        assert_eq!(
            status(Some("handshake_key=gfhkd1asfsa"), &forged),
            401,
            "{name}"
        );
        // A key that is not a string never matches.
        let numeric = text.replace("\"gfhkd1asfsa\"", "12345");
        assert_eq!(status(None, &numeric), 401, "{name}: a numeric key");
        // Unverified, anything structurally sound goes.
        assert!(Receiver::unverified()
            .accept(None, forged.as_bytes())
            .is_ok());
        assert!(Receiver::unverified()
            .accept(None, numeric.as_bytes())
            .is_ok());
    }
}

#[test]
fn what_is_not_one_sound_json_object_is_refused_by_accept_too() {
    let receiver = keyed();
    let drifted = String::from_utf8(drifted::body("product_price_empty_string")).unwrap();
    let envelope = String::from_utf8(drifted::body("user_as_id")).unwrap();
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let mut invalid = drifted.clone().into_bytes();
    invalid[drifted.find("Annual").unwrap()] = 0xff;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{\"activity\": ".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a string", br#""gfhkd1asfsa""#.to_vec()),
        ("bytes after it", format!("{drifted} x").into_bytes()),
        (
            "a byte-order mark",
            [b"\xef\xbb\xbf".as_slice(), drifted.as_bytes()].concat(),
        ),
        ("invalid UTF-8", invalid),
        (
            "nesting 200 deep",
            envelope
                .replacen("{", &format!("{{\"deep\": {deep},"), 1)
                .into_bytes(),
        ),
        // A key twice, in a part neither reader would otherwise look at first.
        (
            "a repeated key after the drift",
            drifted
                .replacen("\"stage\": {", "\"stage\": {\"name\": \"x\",", 1)
                .into_bytes(),
        ),
        (
            "a repeated key in a drifted envelope",
            envelope
                .replacen("\"lead\": {", "\"lead\": {\"x\": 1, \"x\": 2,", 1)
                .into_bytes(),
        ),
        (
            "a repeated key in an unknown field",
            envelope
                .replacen("{", "{\"extra\": {\"a\": 1, \"a\": 1},", 1)
                .into_bytes(),
        ),
        (
            "handshake_key twice",
            envelope
                .replacen("{", "{\"handshake_key\": \"gfhkd1asfsa\",", 1)
                .into_bytes(),
        ),
    ];
    for (what, body) in cases {
        let strict = receiver.receive(None, &body).unwrap_err();
        let tolerant = receiver.accept(None, &body).unwrap_err();
        assert_eq!(
            (strict.status(), tolerant.status()),
            (400, 400),
            "{what}: {tolerant}"
        );
        oracles::check_error_message(&tolerant.to_string());
    }
    // Over the limit, whatever the body.
    let small = keyed().with_body_limit(100);
    assert_eq!(
        small.accept(None, drifted.as_bytes()).unwrap_err().status(),
        413
    );
}

#[test]
fn a_body_that_fits_is_accepted_as_parse_reads_it() {
    let receiver = keyed();
    for name in [
        "lead_moved.json",
        "doc_example.json",
        "edge/unknown_type.json",
        "edge/nulls.json",
    ] {
        let body =
            std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let query = (!String::from_utf8_lossy(&body).contains("handshake_key"))
            .then_some("handshake_key=gfhkd1asfsa");
        let delivery = receiver.accept(query, &body).unwrap();
        assert!(delivery.is_typed(), "{name}");
        assert_eq!(delivery.error(), None);
        assert_eq!(
            delivery.payload(),
            Some(&oracles::parse(&body).unwrap()),
            "{name}"
        );
        assert_eq!(
            delivery.payload(),
            receiver.receive(query, &body).ok().as_ref()
        );
    }
}
