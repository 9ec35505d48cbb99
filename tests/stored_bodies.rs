//! What a receiver keeps of a body to store (`Delivery::body_to_store`,
//! `Receiver::redact_body`): the same delivery, without the key. For every fixture, every
//! drifted body and a sample of every type, and for keys cut from the bodies' own text (so
//! that each key collides with something: an id, a time, a number, a word), the body kept
//! reads as the same payload as the body received, but for the key in its free text, and no
//! free text of it holds the key in any spelling.
#![cfg(feature = "testing")]

use std::collections::BTreeSet;

use clinchpad_webhook::testing::samples;
use clinchpad_webhook::{strip_handshake_key, Delivery, HandshakeKey, Receiver};
use serde_json::Value;

/// The members a payload reads by their format or as an identity: a key that collides with
/// one of them stays there, since masking it would change the delivery.
const READ_BY_FORMAT: [&str; 14] = [
    "_id",
    "type",
    "created_at",
    "size",
    "archived",
    "lead_size",
    "old_lead_size",
    "product_quantity",
    "product_price",
    "todo_done",
    "todo_date",
    "old_todo_date",
    "todo_time",
    "old_todo_time",
];

/// Every body under test, without its `handshake_key`.
fn bodies() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut bodies = Vec::new();
    for dir in [root.clone(), root.join("drift")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let body = std::fs::read(&file).unwrap();
            if let Some(stripped) = strip_handshake_key(&body) {
                bodies.push((file.display().to_string(), stripped));
            }
        }
    }
    for sample in samples() {
        let name = format!("sample {}", sample.activity.kind.type_name());
        bodies.push((name, sample.to_wire_bytes()));
    }
    bodies
}

/// Keys cut from the body's own text: whole strings, their starts, middles and ends, the
/// digits of its times and numbers, and a few that collide with everything.
fn keys_from(body: &[u8]) -> BTreeSet<String> {
    let mut texts = Vec::new();
    collect_texts(&serde_json::from_slice(body).unwrap(), &mut texts);
    let mut keys: BTreeSet<String> = ["2014", "20", "01", "a1", "gfhkd1asfsa", "e", ":"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for text in texts {
        let chars: Vec<char> = text.chars().collect();
        let piece = |from: usize, to: usize| chars[from..to.min(chars.len())].iter().collect();
        if chars.len() >= 2 {
            keys.insert(text.clone());
            keys.insert(piece(0, 2));
            keys.insert(piece(0, 4));
            keys.insert(piece(chars.len() / 3, chars.len() / 3 + 5));
            keys.insert(piece(chars.len().saturating_sub(3), chars.len()));
        }
    }
    keys.retain(|key| !key.is_empty());
    keys
}

/// The text of every string and number, and every member name, of `value`.
fn collect_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::String(text) => texts.push(text.clone()),
        Value::Number(number) => texts.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_texts(item, texts)),
        Value::Object(members) => {
            for (name, item) in members {
                texts.push(name.clone());
                collect_texts(item, texts);
            }
        }
        _ => {}
    }
}

/// `stored` is `received` but for `key` masked in strings and names: the same structure, and
/// each string or name the same, or the same with the key's copies masked. Where a string
/// still holds the key, it is one read by its format, kept as it came. The path of the first
/// difference otherwise.
fn same_but_masked(received: &Value, stored: &Value, key: &str, path: &str) -> Result<(), String> {
    let masked_alike = |before: &str, after: &str| {
        before == after || (before.contains(key) && after == before.replace(key, "***"))
    };
    match (received, stored) {
        (Value::String(before), Value::String(after)) => {
            if !masked_alike(before, after) {
                return Err(format!("{path}: {before:?} became {after:?}"));
            }
            let member = path.rsplit('.').next().unwrap_or_default();
            if after.contains(key) && !READ_BY_FORMAT.contains(&member) {
                return Err(format!("{path}: free text still holds the key: {after:?}"));
            }
            Ok(())
        }
        (Value::Array(before), Value::Array(after)) if before.len() == after.len() => before
            .iter()
            .zip(after)
            .enumerate()
            .try_for_each(|(i, (b, a))| same_but_masked(b, a, key, &format!("{path}[{i}]"))),
        (Value::Object(before), Value::Object(after)) if before.len() == after.len() => {
            for (name, b) in before {
                let masked_name = name.replace(key, "***");
                let Some(a) = after.get(name).or_else(|| after.get(&masked_name)) else {
                    return Err(format!("{path}: member {name:?} is gone"));
                };
                same_but_masked(b, a, key, &format!("{path}.{name}"))?;
            }
            Ok(())
        }
        (before, after) if before == after => Ok(()),
        (before, after) => Err(format!("{path}: {before} became {after}")),
    }
}

/// What a delivery reads as, apart from its free text: whether it fits, where it does not,
/// its id, type, time and lead.
fn reading(delivery: &Delivery) -> (bool, Option<String>, Option<String>, Option<String>) {
    let payload = delivery.payload();
    (
        delivery.is_typed(),
        delivery
            .error()
            .and_then(|err| err.path())
            .map(str::to_owned),
        delivery.activity_id().map(str::to_owned),
        payload.map(|payload| {
            format!(
                "{} {} {}",
                delivery.type_name().unwrap_or_default(),
                payload.activity.created_at.to_rfc3339(),
                payload.lead.id.as_str()
            )
        }),
    )
}

#[test]
fn a_stored_body_reads_as_the_body_received_but_for_the_key_in_its_free_text() {
    let reader = Receiver::unverified();
    let mut checked = 0;
    let mut masked = 0;
    for (name, body) in bodies() {
        let received = reader.accept(None, &body).unwrap();
        let received_value: Value = serde_json::from_slice(&body).unwrap();
        for key in keys_from(&body) {
            let receiver = Receiver::new(HandshakeKey::new(key.clone()).unwrap());
            let query: String = form_urlencoded_key(&key);
            let delivery = receiver.accept(Some(&query), &body).unwrap();
            let stored = delivery.body_to_store().unwrap();
            let again = reader.accept(None, &stored).unwrap_or_else(|err| {
                panic!("{name}, key {key:?}: the stored body is refused: {err}")
            });
            assert_eq!(
                reading(&again),
                reading(&received),
                "{name}, key {key:?}: reads otherwise:\n{}",
                String::from_utf8_lossy(&stored)
            );
            let stored_value: Value = serde_json::from_slice(&stored).unwrap();
            if let Err(difference) = same_but_masked(&received_value, &stored_value, &key, "") {
                panic!("{name}, key {key:?}: {difference}");
            }
            // `redact_body` is the same masking, for a body the caller has.
            assert_eq!(receiver.redact_body(&body).as_ref(), stored.as_slice());
            checked += 1;
            masked += usize::from(stored != body);
        }
    }
    // Enough cases, and enough of them with something masked, for the check to mean something.
    assert!(checked > 2000, "{checked} cases");
    assert!(masked > 500, "{masked} of {checked} cases masked something");
}

#[test]
fn a_key_spelled_with_escapes_is_not_stored_in_any_spelling() {
    let key = "gfhkd1asfsa";
    let receiver = Receiver::new(HandshakeKey::new(key).unwrap());
    let body = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/note_created.json"),
    )
    .unwrap();
    for spelling in [
        r"g\u0066hkd1asfsa",
        r"\u0067\u0066\u0068\u006b\u0064\u0031\u0061\u0073\u0066\u0073\u0061",
        r"GF: g\u0066hkd1asfsa\n",
    ] {
        let quoted = body.replacen(
            "\"note_content\": \"",
            &format!("\"note_content\": \"{spelling} "),
            1,
        );
        let delivery = receiver.accept(None, quoted.as_bytes()).unwrap();
        let stored = String::from_utf8(delivery.body_to_store().unwrap()).unwrap();
        let value: Value = serde_json::from_str(&stored).unwrap();
        let note = value["activity"]["note_content"].as_str().unwrap();
        assert!(!note.contains(key) && note.contains("***"), "{note}");
        assert!(!stored.contains(key) && !stored.contains("handshake_key"));
    }
}

/// `handshake_key=KEY`, encoded as a form encodes it.
fn form_urlencoded_key(key: &str) -> String {
    let mut query = String::from("handshake_key=");
    for byte in key.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                query.push(byte as char)
            }
            _ => query.push_str(&format!("%{byte:02X}")),
        }
    }
    query
}
