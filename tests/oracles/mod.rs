//! What must hold for any input whatever: the checks of the fuzz targets (`fuzz/`), shared with
//! `tests/fuzz_regressions.rs`, which runs them on every input a fuzz target once failed on,
//! and with `tests/properties.rs`. Each check panics, with the reason, when its property does
//! not hold.

use clinchpad_webhook::{ActivityKind, Error, Payload};
use serde_json::{Map, Value};

/// The most an error's `Display` may take, in bytes, whatever the body.
pub const ERROR_DISPLAY_MAX: usize = 400;

/// An error's `Display` is one line, safe to log: at most [`ERROR_DISPLAY_MAX`] bytes, with no
/// character that could end the line, move a terminal's cursor or reorder what it shows.
pub fn check_error_message(message: &str) {
    assert!(
        message.len() <= ERROR_DISPLAY_MAX,
        "{} bytes: {message:.1000}",
        message.len()
    );
    let unsafe_char = message.chars().find(|&c| {
        c.is_control()
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}' | '\u{feff}'
            )
    });
    assert_eq!(unsafe_char, None, "an unescaped character in: {message:?}");
}

/// The crate's `parse`, with [`check_error_message`] on its error: test files call this one,
/// so that every error case in the suite is checked to be one bounded line.
pub fn parse(body: &[u8]) -> Result<Payload, Error> {
    checked(clinchpad_webhook::parse(body))
}

/// The crate's `parse_verified`, with [`check_error_message`] on its error.
pub fn parse_verified(body: &[u8], key: &str) -> Result<Payload, Error> {
    checked(clinchpad_webhook::parse_verified(body, key))
}

/// `result`, after checking its error's message with [`check_error_message`].
pub fn checked<T>(result: Result<T, Error>) -> Result<T, Error> {
    if let Err(err) = &result {
        check_error_message(&err.to_string());
    }
    result
}

/// `parse` returns, and every error says where: a one-based line and column inside the body
/// (or just past its last byte), a path exactly for `InvalidPayload`, never a key error, in a
/// message that is one bounded line.
pub fn check_parse(body: &[u8]) {
    let Err(err) = parse(body) else { return };
    check_error_message(&err.to_string());
    let (Some(line), Some(column)) = (err.line(), err.column()) else {
        panic!("a data error without a position: {err:?}");
    };
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    assert!(
        line >= 1 && line <= lines.len(),
        "line {line} of {}: {err}",
        lines.len()
    );
    let width = lines[line - 1].len();
    assert!(
        column >= 1 && column <= width + 1,
        "column {column} on a line of {width} bytes: {err}"
    );
    assert_eq!(
        err.path().is_some(),
        matches!(err, Error::InvalidPayload { .. })
    );
    assert!(!err.is_key_error(), "parse checked a key: {err}");
    if err.path() == Some("handshake_key") {
        // The value at fault is the received key: its text must not be quoted.
        let value = &lines[line - 1][column - 1..];
        let end = value
            .iter()
            .position(|b| b",}] \t\r".contains(b))
            .unwrap_or(value.len());
        let value = String::from_utf8_lossy(&value[..end]);
        let value = value.trim_matches('"');
        assert!(
            value.len() < 4 || !err.to_string().contains(value),
            "the received key {value:?} is quoted in: {err}"
        );
    }
}

/// `parse_verified` gives exactly what `parse` and a plain comparison of the keys give: the
/// same payload, the same data error, or the key error that fits. Its errors therefore quote
/// nothing but the body (as `check_parse` checks), never the expected key.
///
/// The input's first byte gives the length of the expected key (modulo 48), taken from the
/// bytes after it; the rest is the body.
pub fn check_parse_verified(data: &[u8]) {
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let len = usize::from(len % 48).min(rest.len());
    let (key, body) = rest.split_at(len);
    let Ok(key) = std::str::from_utf8(key) else {
        return;
    };
    let expected = if key.is_empty() {
        Err(Error::EmptyExpectedKey)
    } else {
        parse(body).and_then(|payload| {
            match payload.handshake_key.as_ref().map(|k| k.expose_secret()) {
                None => Err(Error::MissingKey),
                Some(received) if received == key => Ok(payload),
                Some(_) => Err(Error::WrongKey),
            }
        })
    };
    assert_eq!(parse_verified(body, key), expected);
}

/// Whatever parses serializes to a body that parses back equal, and serializing that again
/// gives the same bytes; the raw body stripped of its key parses to the payload without its
/// key. Changed as a user's code could change it (an unknown field named
/// like a modelled one, a documented type given as `Unknown`), it serializes to a body that
/// parses back equal, or refuses with a message that is one bounded line.
pub fn check_round_trip(body: &[u8]) {
    let stripped = clinchpad_webhook::strip_handshake_key(body);
    let Ok(payload) = parse(body) else { return };
    check_payload_round_trip(&payload);
    // The raw body without its key reads as the payload without its key.
    let stripped = stripped.expect("a body that parses is one object, which can be stripped");
    assert_eq!(
        parse(&stripped).as_ref(),
        Ok(&payload.clone().without_handshake_key()),
        "the stripped body: {}",
        String::from_utf8_lossy(&stripped)
    );
    for changed in changed_by_a_builder(&payload) {
        check_built(&changed);
    }
}

/// What `Serialize` writes of a payload built by hand parses back equal, or serializing fails
/// with an error that is one bounded line.
pub fn check_built(payload: &Payload) {
    match serde_json::to_vec(payload) {
        Ok(_) => check_payload_round_trip(payload),
        Err(err) => check_error_message(&err.to_string()),
    }
}

/// `payload` with the changes a builder can make that the wire cannot always carry.
fn changed_by_a_builder(payload: &Payload) -> Vec<Payload> {
    let mut changed = Vec::new();
    let mut with = |change: &dyn Fn(&mut Payload)| {
        let mut copy = payload.clone();
        change(&mut copy);
        changed.push(copy);
    };
    // A modelled key, or one of the type's fields, among the unknown ones.
    let own: &[(&str, &[&str])] = &[
        ("", &["activity", "lead", "handshake_key"]),
        ("activity", &["_id", "created_at", "type", "user"]),
        (
            "lead",
            &["_id", "name", "size", "archived", "user", "stage", "pipe"],
        ),
    ];
    let fields = payload
        .activity
        .kind
        .activity_type()
        .map(|t| t.field_names());
    for (object, keys) in own {
        for key in keys.iter().chain(fields.unwrap_or_default()) {
            with(&|p: &mut Payload| {
                let extra = match *object {
                    "" => &mut p.extra,
                    "activity" => &mut p.activity.extra,
                    _ => &mut p.lead.extra,
                };
                extra.insert((*key).to_owned(), Value::from(1));
            });
        }
    }
    // The kind given as `Unknown`, under its own name: documented or not.
    let as_unknown = || -> ActivityKind {
        let mut fields = match serde_json::to_value(&payload.activity.kind) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        fields.remove("type");
        ActivityKind::Unknown {
            type_name: payload.activity.kind.type_name().to_owned(),
            fields,
        }
    };
    with(&|p: &mut Payload| p.activity.kind = as_unknown());
    // An `Unknown` kind whose fields hold an activity's own key.
    with(&|p: &mut Payload| {
        let mut fields = Map::new();
        fields.insert("user".to_owned(), Value::Null);
        p.activity.kind = ActivityKind::Unknown {
            type_name: "x:y".to_owned(),
            fields,
        };
    });
    changed
}

/// The payload serializes to a body that parses back equal to it, and serializing that again
/// gives the same bytes.
pub fn check_payload_round_trip(payload: &Payload) {
    let wire = serde_json::to_vec(payload).expect("a payload serializes");
    let again = match parse(&wire) {
        Ok(again) => again,
        Err(err) => panic!(
            "the serialized payload does not parse: {err}\n{}",
            String::from_utf8_lossy(&wire)
        ),
    };
    assert_eq!(&again, payload, "parse(serialize(p)) != p");
    let wire_again = serde_json::to_vec(&again).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&wire_again),
        String::from_utf8_lossy(&wire),
        "serialize(parse(serialize(p))) != serialize(p)"
    );
}

/// `Receiver::accept` against `receive` and a reading of the body and the key of the oracle's
/// own: on a body `receive` takes, the same payload; otherwise accepted exactly when the body
/// is one JSON object with no key twice in any object and the key rule holds, with the error
/// `receive` refuses it with; refused with 401 when a copy of the key fails, with 400 when the
/// body is not such an object.
///
/// The input's first byte chooses the key's length (modulo 16; 0 for an unverified receiver)
/// and where a copy goes in the query (none, the key, a wrong key, another parameter); the
/// key is made of letters and digits from the bytes after it, and the rest is the body.
pub fn check_accept(data: &[u8]) {
    use clinchpad_webhook::{HandshakeKey, Receiver};
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let len = usize::from(flags % 16).min(rest.len());
    let (key, body) = rest.split_at(len);
    let key: String = key
        .iter()
        .map(|b| char::from(ALNUM[usize::from(*b) % ALNUM.len()]))
        .collect();
    let receiver = match HandshakeKey::new(key.as_str()) {
        Ok(expected) => Receiver::new(expected),
        Err(_) => Receiver::unverified(),
    };
    let (query, query_copies): (Option<String>, Vec<String>) = match (flags / 16) % 4 {
        1 => (Some(format!("handshake_key={key}")), vec![key.clone()]),
        2 => (
            Some("handshake_key=not-the-key".into()),
            vec!["not-the-key".into()],
        ),
        3 => (Some("source=crm".into()), vec![]),
        _ => (None, vec![]),
    };
    let query = query.as_deref();
    let strict = receiver.receive(query, body);
    let accepted = receiver.accept(query, body);

    // The oracle's own reading.
    let verified = receiver.is_verified();
    let sound = sound_object(body);
    let queries_match = !verified || query_copies.iter().all(|copy| *copy == key);
    let body_copy = sound
        .as_ref()
        .map(|object| match object.get("handshake_key") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(copy)) => Ok(Some(copy.clone())),
            Some(_) => Err(()),
        });
    let key_holds = |copy: &Result<Option<String>, ()>| match copy {
        _ if !verified => true,
        Err(()) => false,
        Ok(None) => !query_copies.is_empty(),
        Ok(Some(copy)) => *copy == key,
    };
    let expected_status = if !queries_match {
        Some(401)
    } else {
        match &body_copy {
            None => Some(400),
            Some(copy) if !key_holds(copy) => Some(401),
            Some(_) => None,
        }
    };
    match (&accepted, expected_status) {
        (Ok(delivery), None) => {
            assert_eq!(delivery.body(), body, "the body as it came");
            match &strict {
                Ok(payload) => {
                    assert_eq!(delivery.payload(), Some(payload), "accept reads as parse");
                    assert_eq!(delivery.error(), None);
                }
                Err(refusal) => {
                    assert_eq!(
                        refusal.status(),
                        400,
                        "accepted what receive refused: {refusal}"
                    );
                    assert_eq!(delivery.error(), refusal.error(), "the same error");
                    check_error_message(&refusal.to_string());
                }
            }
        }
        (Err(refusal), Some(status)) => {
            assert_eq!(refusal.status(), status, "{refusal}");
            check_error_message(&refusal.to_string());
            assert!(
                strict.is_err(),
                "receive took what accept refused: {refusal}"
            );
        }
        (Ok(delivery), Some(status)) => panic!("accepted, but {status} was due: {delivery:?}"),
        (Err(refusal), None) => panic!("refused what was sound and keyed: {refusal}"),
    }
}

/// The body as one JSON object, or `None` when it is not one (not JSON, another value, a key
/// twice in any object): read without the crate.
fn sound_object(body: &[u8]) -> Option<Map<String, Value>> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde::Deserialize::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    match value {
        NoRepeats(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// A JSON value whose objects have no key twice, at any depth.
struct NoRepeats(Value);

impl<'de> serde::Deserialize<'de> for NoRepeats {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = NoRepeats;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, b: bool) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::from(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::from(n)))
            }
            fn visit_f64<E>(self, n: f64) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::from(n)))
            }
            fn visit_str<E>(self, s: &str) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::from(s)))
            }
            fn visit_unit<E>(self) -> Result<NoRepeats, E> {
                Ok(NoRepeats(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<NoRepeats, A::Error> {
                let mut items = Vec::new();
                while let Some(NoRepeats(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(NoRepeats(Value::Array(items)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<NoRepeats, A::Error> {
                let mut object = Map::new();
                while let Some((key, NoRepeats(value))) = map.next_entry::<String, NoRepeats>()? {
                    if object.insert(key, value).is_some() {
                        return Err(serde::de::Error::custom("a key twice"));
                    }
                }
                Ok(NoRepeats(Value::Object(object)))
            }
        }
        deserializer.deserialize_any(Each)
    }
}
