//! No handshake key ever shows in text: not in an error of any kind, not in the `Debug` of a
//! key or a payload, not in a payload stored without it. (The command's output is checked in
//! `cli/tests/`.)

use std::fmt::{Debug, Display};

// Every error these tests meet goes through `oracles::parse`, which checks that its message is
// one bounded line.
#[allow(dead_code)]
mod oracles;
use clinchpad_webhook::{verify, verify_key, Error, HandshakeKey, Payload, ReceivedKey};
use oracles::{parse, parse_verified};
use serde_json::json;

/// The key expected by the receiver.
const EXPECTED: &str = "s3cr3t-KEY-9f8e";
/// A different key, as sent by someone else.
const RECEIVED: &str = "r3c31v3d-KEY-7a6b";
/// The key in every fixture.
const FIXTURE_KEY: &str = "gfhkd1asfsa";

/// Pieces of the keys that must not show either: a key cut short is still a leak.
const PIECES: [&str; 7] = [
    EXPECTED,
    RECEIVED,
    FIXTURE_KEY,
    "s3cr3t",
    "r3c31v3d",
    "9f8e",
    "7a6b",
];

fn assert_no_key(what: &str, text: &str) {
    for piece in PIECES {
        assert!(!text.contains(piece), "{what} shows {piece:?}: {text}");
    }
}

/// `{}` (when there is one), `{:?}` and `{:#?}` of `value`, none showing a key.
fn assert_formats_hide_keys<T: Debug + ?Sized>(what: &str, value: &T, display: Option<String>) {
    let mut texts = vec![format!("{value:?}"), format!("{value:#?}")];
    texts.extend(display);
    for text in texts {
        assert_no_key(what, &text);
    }
}

/// Whether `T` implements `Display`, decided at compile time: the inherent method of
/// `Probe<T: Display>` wins over the trait method every `Probe` has.
struct Probe<T>(std::marker::PhantomData<T>);

trait NotDisplay {
    fn is_display(&self) -> bool {
        false
    }
}

impl<T> NotDisplay for Probe<T> {}

impl<T: Display> Probe<T> {
    fn is_display(&self) -> bool {
        true
    }
}

fn body(key: Option<&str>) -> Vec<u8> {
    let mut body = json!({
        "activity": {"_id": "a1", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won"},
        "lead": {"_id": "l1", "name": "Acme"}
    });
    if let Some(key) = key {
        body["handshake_key"] = json!(key);
    }
    serde_json::to_vec(&body).unwrap()
}

/// Every error a key check can give, with the call that gave it.
fn key_errors() -> Vec<(&'static str, Error)> {
    let with_key = parse(&body(Some(RECEIVED))).unwrap();
    let without_key = parse(&body(None)).unwrap();
    let errors = vec![
        ("verify_key, wrong", verify_key(Some(RECEIVED), EXPECTED)),
        (
            "verify_key, wrong length",
            verify_key(Some("s3cr3t"), EXPECTED),
        ),
        ("verify_key, missing", verify_key(None, EXPECTED)),
        ("verify_key, empty expected", verify_key(Some(RECEIVED), "")),
        ("verify, wrong", verify(&with_key, EXPECTED)),
        ("verify, missing", verify(&without_key, EXPECTED)),
        ("verify, empty expected", verify(&with_key, "")),
        (
            "parse_verified, wrong",
            parse_verified(&body(Some(RECEIVED)), EXPECTED).map(drop),
        ),
        (
            "parse_verified, missing",
            parse_verified(&body(None), EXPECTED).map(drop),
        ),
        (
            "parse_verified, empty expected",
            parse_verified(&body(Some(RECEIVED)), "").map(drop),
        ),
        ("HandshakeKey::new, empty", HandshakeKey::new("").map(drop)),
    ];
    errors
        .into_iter()
        .map(|(what, result)| (what, result.unwrap_err()))
        .collect()
}

#[test]
fn key_check_errors_show_neither_key() {
    let errors = key_errors();
    for (what, err) in &errors {
        assert!(err.is_key_error(), "{what}: {err:?}");
        oracles::check_error_message(&err.to_string());
        assert_formats_hide_keys(what, err, Some(err.to_string()));
        let source = std::error::Error::source(err).map(ToString::to_string);
        assert_eq!(source, None, "{what}");
    }
    // Each variant a key check can give is among them.
    for variant in [Error::WrongKey, Error::MissingKey, Error::EmptyExpectedKey] {
        assert!(errors.iter().any(|(_, err)| *err == variant), "{variant:?}");
    }
}

#[test]
fn errors_about_the_body_show_no_key_either() {
    // Whatever is wrong with a body holding a key, the error does not quote it.
    let mut bodies = vec![
        // Repeated key, the forged one second or first.
        format!(r#"{{"handshake_key": "{RECEIVED}", "handshake_key": "{EXPECTED}"}}"#),
        format!(r#"{{"handshake_key": "{EXPECTED}", "handshake_key": "{RECEIVED}"}}"#),
        // A key of the wrong JSON type, holding the key.
        format!(r#"{{"handshake_key": ["{EXPECTED}"]}}"#),
        format!(r#"{{"handshake_key": {{"key": "{EXPECTED}"}}}}"#),
        // A valid key, then a broken body.
        format!(r#"{{"handshake_key": "{EXPECTED}", "lead": 1}}"#),
        format!(r#"{{"handshake_key": "{EXPECTED}"}} trailing"#),
        format!(r#"{{"handshake_key": "{EXPECTED}"#),
        format!(r#"{{"handshake_key": "{EXPECTED}\u0000"#),
    ];
    let valid = String::from_utf8(body(Some(EXPECTED))).unwrap();
    bodies.push(valid.replace(r#""type":"lead:won""#, r#""type":"lead:won","type":"x""#));
    bodies.push(valid.replace(r#""_id":"l1""#, r#""_id":7"#));
    for body in &bodies {
        let parsed = parse(body.as_bytes()).unwrap_err();
        let verified = parse_verified(body.as_bytes(), EXPECTED).unwrap_err();
        assert_eq!(verified, parsed);
        assert!(!parsed.is_key_error(), "{body}: {parsed:?}");
        assert_formats_hide_keys(body, &parsed, Some(parsed.to_string()));
        // serde_json's own error, for callers of the `Deserialize` impl.
        let deserialized = serde_json::from_str::<Payload>(body).unwrap_err();
        assert_formats_hide_keys(body, &deserialized, Some(deserialized.to_string()));
    }
}

/// A key sent as a JSON number or boolean is refused (`InvalidPayload` at `handshake_key`)
/// without quoting it: serde's usual "invalid type: integer `…`" would print a numeric key.
#[test]
fn a_key_of_the_wrong_type_is_refused_without_quoting_it() {
    for (value, kind) in [
        ("98765432109876", "a number"),
        ("-987654321", "a number"),
        ("9876.54321", "a number"),
        ("9.87654321e300", "a number"),
        ("18446744073709551615", "a number"),
        ("true", "a boolean"),
    ] {
        let body = String::from_utf8(body(None)).unwrap();
        let body = body.replacen('{', &format!(r#"{{"handshake_key": {value}, "#), 1);
        let err = parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some("handshake_key"), "{value}: {err}");
        assert!(err.to_string().contains(kind), "{value}: {err}");
        let digits = value.trim_start_matches('-').replace('.', "");
        let digits = &digits[..digits.len().min(6)];
        for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
            assert!(!text.contains(digits), "{value}: {text}");
            assert!(!text.contains(value), "{value}: {text}");
        }
        let deserialized = serde_json::from_str::<Payload>(&body)
            .unwrap_err()
            .to_string();
        assert!(!deserialized.contains(digits), "{value}: {deserialized}");
    }
}

#[test]
fn keys_and_payloads_print_redacted_and_have_no_display() {
    let key = HandshakeKey::new(EXPECTED).unwrap();
    assert_eq!(format!("{key:?}"), "HandshakeKey(<redacted>)");
    assert_formats_hide_keys("HandshakeKey", &key, None);
    assert_formats_hide_keys("Some(HandshakeKey)", &Some(key.clone()), None);
    assert!(!Probe::<HandshakeKey>(Default::default()).is_display());

    let payload = parse(&body(Some(EXPECTED))).unwrap();
    assert_eq!(
        payload.handshake_key.as_ref().unwrap().expose_secret(),
        EXPECTED
    );
    assert!(format!("{payload:?}").contains("ReceivedKey(<redacted>)"));
    assert!(!Probe::<ReceivedKey>(Default::default()).is_display());
    assert_formats_hide_keys("Payload", &payload, None);
    assert_formats_hide_keys("Payload, cloned", &payload.clone(), None);
    assert!(!Probe::<Payload>(Default::default()).is_display());

    // A key built by hand prints the same.
    let mut built = payload.clone();
    built.handshake_key = parse(&body(Some(RECEIVED))).unwrap().handshake_key;
    assert_formats_hide_keys("Payload with a new key", &built, None);

    // The probe itself tells a `Display` type from the others.
    assert!(Probe::<Error>(Default::default()).is_display());
}

// ---------------------------------------------------------------------------------------------
// An empty key never passes.

#[test]
fn an_expected_key_cannot_be_built_empty_from_any_source() {
    assert_eq!(HandshakeKey::new("").unwrap_err(), Error::EmptyExpectedKey);
    assert_eq!(
        "".parse::<HandshakeKey>().unwrap_err(),
        Error::EmptyExpectedKey
    );
    assert_eq!(
        HandshakeKey::try_from(String::new()).unwrap_err(),
        Error::EmptyExpectedKey
    );
    assert_eq!(
        HandshakeKey::try_from("").unwrap_err(),
        Error::EmptyExpectedKey
    );
    let err = serde_json::from_str::<HandshakeKey>(r#""""#).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    // Anything but a string is refused without being quoted.
    for config in ["123456789", "true", "null", r#"["s3cr3t"]"#] {
        let err = serde_json::from_str::<HandshakeKey>(config).unwrap_err();
        assert!(
            !err.to_string().contains("123456789") && !err.to_string().contains("s3cr3t"),
            "{err}"
        );
    }
    assert!(serde_json::from_str::<HandshakeKey>(r#""s3cr3t""#)
        .unwrap()
        .matches("s3cr3t"));
}

#[test]
fn a_key_from_the_environment_fails_closed_naming_the_variable() {
    use clinchpad_webhook::VarProblem;
    // Names of this test's own, so that no other test sees them.
    let (unset, empty, set) = (
        "CLINCHPAD_TEST_KEY_UNSET_8f3a",
        "CLINCHPAD_TEST_KEY_EMPTY_8f3a",
        "CLINCHPAD_TEST_KEY_SET_8f3a",
    );
    std::env::remove_var(unset);
    std::env::set_var(empty, "");
    std::env::set_var(set, EXPECTED);
    for (variable, problem) in [(unset, VarProblem::Unset), (empty, VarProblem::Empty)] {
        let err = oracles::checked(HandshakeKey::from_env(variable)).unwrap_err();
        assert!(
            matches!(&err, Error::KeyNotConfigured { variable: v, problem: p, .. } if v == variable && *p == problem),
            "{err:?}"
        );
        assert!(err.is_key_error());
        assert!(err.to_string().contains(variable), "{err}");
    }
    let key = HandshakeKey::from_env(set).unwrap();
    assert!(key.matches(EXPECTED));
    assert_formats_hide_keys("a key from the environment", &key, None);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let not_unicode = "CLINCHPAD_TEST_KEY_NOT_UNICODE_8f3a";
        std::env::set_var(not_unicode, std::ffi::OsStr::from_bytes(b"s3cr3t\xff"));
        let err = HandshakeKey::from_env(not_unicode).unwrap_err();
        assert!(matches!(
            err,
            Error::KeyNotConfigured {
                problem: VarProblem::NotUnicode,
                ..
            }
        ));
        assert_no_key("a variable that is not Unicode", &err.to_string());
    }
}

#[test]
fn an_empty_received_key_never_matches_whatever_it_is_checked_against() {
    let payload = parse(&body(Some(""))).unwrap();
    let received = payload.handshake_key.as_ref().unwrap();
    assert!(received.is_empty());
    // The fail-open pattern: a variable that is unset reads as "".
    let unset = std::env::var("CLINCHPAD_TEST_KEY_NEVER_SET_8f3a").unwrap_or_default();
    assert!(!received.matches(&unset));
    assert!(!received.matches(""));
    assert!(!received.matches(&String::new()));
    assert!(!received.matches(EXPECTED));
    assert!(!received.matches(&HandshakeKey::new(EXPECTED).unwrap()));
    assert_eq!(verify(&payload, ""), Err(Error::EmptyExpectedKey));
    assert_eq!(verify(&payload, &unset), Err(Error::EmptyExpectedKey));
    assert_eq!(verify(&payload, EXPECTED), Err(Error::WrongKey));
    assert_eq!(verify_key(Some(""), ""), Err(Error::EmptyExpectedKey));
    assert_eq!(verify_key(Some(""), EXPECTED), Err(Error::WrongKey));
    assert_eq!(
        parse_verified(&body(Some("")), ""),
        Err(Error::EmptyExpectedKey)
    );
    // An expected key never matches an empty candidate either.
    assert!(!HandshakeKey::new(EXPECTED).unwrap().matches(""));
    // The payload itself is fine: it parses and round-trips.
    oracles::check_payload_round_trip(&payload);
    // A received key read on its own is as it came, and matches nothing when empty.
    let alone: ReceivedKey = serde_json::from_str(r#""""#).unwrap();
    assert!(!alone.matches(""));
}

#[test]
fn verification_takes_the_key_types_directly() {
    let payload = parse(&body(Some(EXPECTED))).unwrap();
    let key = HandshakeKey::new(EXPECTED).unwrap();
    assert_eq!(verify(&payload, &key), Ok(()));
    assert_eq!(
        parse_verified(&body(Some(EXPECTED)), EXPECTED).map(drop),
        Ok(())
    );
    assert_eq!(
        clinchpad_webhook::parse_verified(&body(Some(EXPECTED)), &key).map(drop),
        Ok(())
    );
    assert_eq!(verify_key(Some(EXPECTED), &key), Ok(()));
    assert!(payload.handshake_key.unwrap().matches(&key));
}

// ---------------------------------------------------------------------------------------------
// Storing and showing payloads.

#[test]
fn a_payload_without_its_key_keeps_everything_else() {
    let with_key = parse(&body(Some(EXPECTED))).unwrap();
    let stored = with_key.clone().without_handshake_key();
    assert_eq!(stored.handshake_key, None);
    let mut expected = with_key.clone();
    expected.handshake_key = None;
    assert_eq!(stored, expected);
    let text = serde_json::to_string(&stored).unwrap();
    assert_no_key("a stored payload", &text);
    assert!(!text.contains("handshake_key"), "{text}");
    assert_eq!(parse(text.as_bytes()).unwrap(), stored);
}

// ---------------------------------------------------------------------------------------------
// A configured key arriving outside `handshake_key`, and the extractors' `Debug`.

/// Bodies that post a key where the crate's messages quote a string or name a place.
fn bodies_quoting(key: &str) -> Vec<String> {
    let quoted = serde_json::to_string(key).unwrap();
    let valid = String::from_utf8(body(None)).unwrap();
    vec![
        // The whole body.
        quoted.clone(),
        // As `created_at`, as the user.
        valid.replace(r#""2014-01-10T09:37:58Z""#, &quoted),
        valid.replace(
            r#""type":"lead:won""#,
            &format!(r#""type":"lead:won","user":{quoted}"#),
        ),
        // As an object's key, repeated: in the message and in the path.
        valid.replace(
            r#""name":"Acme""#,
            &format!(r#""name":"Acme",{quoted}:1,{quoted}:2"#),
        ),
        // As the lead object itself.
        valid.replace(r#"{"_id":"l1","name":"Acme"}"#, &quoted),
    ]
}

#[test]
fn a_configured_key_posted_anywhere_is_masked_in_what_receive_returns() {
    use clinchpad_webhook::Receiver;
    // An ordinary key, one longer than a message quotes (so it is cut), and one that the
    // crate's messages, `{:?}` and JSON write escaped.
    let long = format!("{EXPECTED}-{}", "0123456789abcdef".repeat(6));
    let escaped = "s3cr3t\"KEY\\9f8e";
    for key in [EXPECTED, long.as_str(), escaped] {
        let receiver = Receiver::new(HandshakeKey::new(key).unwrap())
            .with_key(HandshakeKey::new(FIXTURE_KEY).unwrap());
        let pieces = [key, &key[..10], &key[key.len() - 8..]];
        for body in bodies_quoting(key)
            .into_iter()
            .chain(bodies_quoting(FIXTURE_KEY))
        {
            let rejection = receiver.receive(None, body.as_bytes()).unwrap_err();
            assert_eq!(rejection.status(), 400, "{body}");
            let err = rejection.error().unwrap();
            let texts = [
                rejection.to_string(),
                format!("{rejection:?}"),
                format!("{rejection:#?}"),
                err.path().unwrap_or_default().to_owned(),
            ];
            for text in &texts {
                oracles::check_error_message(&rejection.to_string());
                assert_no_key(&body, text);
                for piece in pieces {
                    assert!(!text.contains(piece), "{body}: {piece:?} in {text}");
                }
            }
            // `parse` alone quotes the key there; the receiver shows the mask in its place.
            let unmasked = parse(body.as_bytes()).unwrap_err();
            assert!(
                [
                    unmasked.to_string(),
                    unmasked.path().unwrap_or_default().to_owned()
                ]
                .iter()
                .any(|text| text.contains(&key[..6]) || text.contains(&FIXTURE_KEY[..6])),
                "{body}: {unmasked}"
            );
            assert!(
                texts.iter().any(|text| text.contains("***")),
                "{body}: {texts:?}"
            );
        }
    }
    // An unverified receiver has no key to mask: the error is `parse`'s own.
    let body = bodies_quoting(EXPECTED).remove(1);
    let unverified = clinchpad_webhook::Receiver::unverified();
    assert_eq!(
        unverified
            .receive(None, body.as_bytes())
            .unwrap_err()
            .error(),
        Some(&parse(body.as_bytes()).unwrap_err())
    );
}

#[test]
fn a_rejection_built_by_hand_is_one_bounded_line_too() {
    use clinchpad_webhook::Rejection;
    let reason = format!("reset\n[INFO] forged\u{1b}[2J{}", "x".repeat(100_000));
    let rejection = Rejection::BodyUnreadable(reason);
    let shown = rejection.to_string();
    oracles::check_error_message(&shown);
    assert!(shown.contains(r"reset\n[INFO] forged\u{1b}[2J"), "{shown}");
    let debug = format!("{rejection:?}");
    assert!(debug.len() < 600 && !debug.contains('\n'), "{debug}");
    assert_eq!(
        Rejection::body_unreadable("a\nb").to_string(),
        r"could not read the request body: a\nb"
    );
}

#[test]
fn an_error_returned_from_main_shows_its_message() {
    // `fn main() -> Result<(), E>` prints `Error: {:?}`: for the crate's errors, and for a
    // boxed one, that is the message, which names the variable and never a key.
    std::env::remove_var("CLINCHPAD_TEST_KEY_FOR_MAIN_8f3a");
    let err =
        clinchpad_webhook::Receiver::from_env("CLINCHPAD_TEST_KEY_FOR_MAIN_8f3a").unwrap_err();
    let boxed: Box<dyn std::error::Error> = err.clone().into();
    for shown in [format!("{err:?}"), format!("{boxed:?}")] {
        assert_eq!(
            shown,
            "handshake key not configured: environment variable \
             \"CLINCHPAD_TEST_KEY_FOR_MAIN_8f3a\" is not set; set it to the key set in \
             ClinchPad, or opt out of verification explicitly"
        );
    }
    // The structure is there for those who ask for it.
    assert!(format!("{err:#?}").contains("problem: Unset"), "{err:#?}");
    let parse_error = parse(b"{").unwrap_err();
    assert_eq!(format!("{parse_error:?}"), parse_error.to_string());
}

#[test]
fn a_key_from_the_environment_with_whitespace_around_it_is_refused() {
    use clinchpad_webhook::VarProblem;
    let variable = "CLINCHPAD_TEST_KEY_WHITESPACE_8f3a";
    for value in [
        format!("{EXPECTED}\n"),
        format!("{EXPECTED}\r\n"),
        format!(" {EXPECTED}"),
        format!("{EXPECTED}\t"),
    ] {
        std::env::set_var(variable, &value);
        let err = oracles::checked(HandshakeKey::from_env(variable)).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::KeyNotConfigured {
                    problem: VarProblem::Whitespace,
                    ..
                }
            ),
            "{value:?}: {err:#?}"
        );
        assert!(err.to_string().contains(variable), "{err}");
        assert!(err.to_string().contains("whitespace"), "{err}");
        assert_formats_hide_keys("a key with whitespace", &err, Some(err.to_string()));
    }
    // Whitespace inside a key is the key's own.
    std::env::set_var(variable, "two words");
    assert!(HandshakeKey::from_env(variable)
        .unwrap()
        .matches("two words"));
}

/// Bodies that quote the configured key where a `Debug` shows it: as the activity's `_id`, as
/// its `type`, in the lead's name, in a field of its type that drifted, and spelled with
/// JSON's escapes in a note. Each carries the key as its `handshake_key` too, so each is taken.
fn quoting_where_debug_shows(key: &str) -> Vec<(&'static str, Vec<u8>)> {
    let escaped: String = key
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let base = || {
        json!({
            "activity": {"_id": "a1", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won"},
            "lead": {"_id": "l1", "name": "Acme"},
            "handshake_key": key,
        })
    };
    let mut id = base();
    id["activity"]["_id"] = json!(key);
    let mut type_name = base();
    type_name["activity"]["type"] = json!(key);
    let mut lead = base();
    lead["lead"]["name"] = json!(format!("Acme ({key})"));
    let mut drifted = base();
    drifted["activity"]["type"] = json!("product:added");
    drifted["activity"]["product_name"] = json!("Widget");
    drifted["activity"]["product_quantity"] = json!(key);
    let note = serde_json::to_string(&json!({
        "activity": {"_id": "a1", "created_at": "2014-01-10T09:37:58Z", "type": "note:created",
                     "note_content": "ESCAPED"},
        "lead": {"_id": "l1", "name": "Acme"},
        "handshake_key": key,
    }))
    .unwrap()
    .replace("ESCAPED", &escaped);
    vec![
        ("the key as `_id`", serde_json::to_vec(&id).unwrap()),
        ("the key as `type`", serde_json::to_vec(&type_name).unwrap()),
        (
            "the key in the lead's name",
            serde_json::to_vec(&lead).unwrap(),
        ),
        (
            "the key in a drifted field",
            serde_json::to_vec(&drifted).unwrap(),
        ),
        ("the key escaped in a note", note.into_bytes()),
    ]
}

/// What a receiver hands over masks its keys in `Debug` wherever the body put them, as the
/// error beside it does: a `Delivery`, and the extractors, which hand the raw body over too
/// (their `Debug` shows its length only).
#[test]
fn the_debug_of_what_a_receiver_takes_masks_its_keys_wherever_they_arrived() {
    let receiver = clinchpad_webhook::Receiver::new(HandshakeKey::new(EXPECTED).unwrap());
    for (what, body) in quoting_where_debug_shows(EXPECTED) {
        let delivery = receiver.accept(None, &body).unwrap();
        assert_formats_hide_keys(what, &delivery, None);
        // The key in the query rather than the body: still masked.
        let unkeyed = clinchpad_webhook::strip_handshake_key(&body).unwrap();
        let query = format!("handshake_key={EXPECTED}");
        let delivery = receiver.accept(Some(&query), &unkeyed).unwrap();
        assert_formats_hide_keys(what, &delivery, None);
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
#[test]
fn the_extractors_debug_shows_no_key() {
    let receiver = clinchpad_webhook::Receiver::new(HandshakeKey::new(EXPECTED).unwrap());
    let (_, body) = quoting_where_debug_shows(EXPECTED).swap_remove(2);
    let length = format!("<{} bytes>", body.len());
    #[cfg(feature = "axum")]
    {
        use axum::extract::FromRequest;
        let request = axum::http::Request::post("/hook")
            .body(axum::body::Body::from(body.clone()))
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let webhook = runtime
            .block_on(clinchpad_webhook::axum::ClinchPadWebhook::from_request(
                request, &receiver,
            ))
            .unwrap();
        assert!(webhook.payload.lead.name.contains(EXPECTED));
        assert_formats_hide_keys("axum::ClinchPadWebhook", &webhook, None);
        assert!(format!("{webhook:?}").contains(&length), "{webhook:?}");
    }
    #[cfg(feature = "actix-web")]
    {
        use actix_web::FromRequest;
        let (request, mut payload) = actix_web::test::TestRequest::post()
            .uri("/hook")
            .app_data(receiver.clone())
            .set_payload(body.clone())
            .to_http_parts();
        let webhook = actix_web::rt::System::new()
            .block_on(clinchpad_webhook::actix::ClinchPadWebhook::from_request(
                &request,
                &mut payload,
            ))
            .unwrap();
        assert!(webhook.payload.lead.name.contains(EXPECTED));
        assert_formats_hide_keys("actix::ClinchPadWebhook", &webhook, None);
        assert!(format!("{webhook:#?}").contains(&length), "{webhook:#?}");
    }
}
