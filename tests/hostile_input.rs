//! Bad input, class by class: what the crate does with each, asserted by error variant, path
//! and position. Nothing here may panic or overflow the stack.

use std::path::Path;

// Every error these tests meet goes through `oracles::parse`, which checks that its message is
// one bounded line.
#[allow(dead_code)]
mod oracles;
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{verify, verify_key, ActivityKind, ActivityType, Error, Payload};
use oracles::{parse, parse_verified};
use serde_json::{json, Value};

/// The key in every fixture.
const KEY: &str = "gfhkd1asfsa";

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Every fixture, `fixtures/` and `fixtures/edge/`, by name.
fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut found = Vec::new();
    for dir in [root.clone(), root.join("edge")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                found.push((name, read(&path)));
            }
        }
    }
    found.sort();
    assert!(
        found.len() >= 34,
        "fixtures missing from {}",
        root.display()
    );
    found
}

/// The fixture of each documented type, `fixtures/<type with _ for :>.json`.
fn type_fixtures() -> Vec<(ActivityType, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    ActivityType::ALL
        .iter()
        .map(|t| {
            let name = format!("{}.json", t.as_str().replace(':', "_"));
            (*t, read(&root.join(name)))
        })
        .collect()
}

/// A small valid `lead:size_changed` payload with `activity` and `lead` fields added or replaced
/// from JSON text (so that the text can hold what `serde_json::Value` cannot: `1e400`, `NaN`,
/// lone surrogates, repeated keys).
fn body_with(activity_fields: &str, lead_fields: &str, top_fields: &str) -> Vec<u8> {
    format!(
        r#"{{"activity": {{"_id": "a1", "created_at": "2014-01-10T09:37:58Z", "type": "lead:size_changed"{activity_fields}}}, "lead": {{"_id": "l1", "name": "Acme"{lead_fields}}}{top_fields}}}"#
    )
    .into_bytes()
}

/// One-based line and column (in bytes) of `offset` in `body`.
fn position(body: &[u8], offset: usize) -> (Option<usize>, Option<usize>) {
    let before = &body[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (Some(line), Some(offset - start + 1))
}

/// The position of the first occurrence of `needle` in `body`, plus `skip` bytes.
fn position_of(body: &[u8], needle: &str, skip: usize) -> (Option<usize>, Option<usize>) {
    let at = find(body, needle).unwrap_or_else(|| panic!("{needle} not in body"));
    position(body, at + skip)
}

fn find(body: &[u8], needle: &str) -> Option<usize> {
    body.windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

fn not_json(body: &[u8]) -> (String, Option<usize>, Option<usize>) {
    match parse(body) {
        Err(err @ Error::NotJson { .. }) => {
            assert_eq!(err.path(), None);
            let Error::NotJson { ref message, .. } = err else {
                unreachable!()
            };
            (message.clone(), err.line(), err.column())
        }
        other => panic!(
            "expected NotJson for {:?}, got {other:?}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ),
    }
}

fn invalid_at(body: &[u8]) -> (String, String) {
    match parse(body) {
        Err(Error::InvalidPayload { path, message, .. }) => (path, message),
        other => panic!(
            "expected InvalidPayload for {:?}, got {other:?}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ),
    }
}

/// Where each byte of a JSON text is: inside a string literal (quotes included) or not.
fn in_string_mask(body: &[u8]) -> Vec<bool> {
    let (mut mask, mut inside, mut escaped) = (Vec::with_capacity(body.len()), false, false);
    for &b in body {
        if inside {
            mask.push(true);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                inside = false;
            }
        } else {
            inside = b == b'"';
            mask.push(inside);
        }
    }
    mask
}

// ---------------------------------------------------------------------------------------------
// Truncation and deletion.

/// A body cut short anywhere before its last `}` is `NotJson`, reported on the line where the
/// body now ends: at its last byte ("EOF while parsing ..."), or at the start of a character
/// cut in two ("invalid UTF-8"). Cutting only trailing whitespace changes nothing.
#[test]
fn every_truncation_of_every_fixture_is_not_json_at_the_cut() {
    let mut cuts = 0;
    for (name, body) in all_fixtures() {
        let whole = parse(&body).unwrap_or_else(|err| panic!("{name}: {err}"));
        let end = body.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap() + 1;
        for cut in 0..end {
            let prefix = &body[..cut];
            let (message, line, column) = not_json(prefix);
            let expected = if message == "invalid UTF-8" {
                let partial = std::str::from_utf8(prefix).unwrap_err().valid_up_to();
                assert!(
                    cut - partial < 4,
                    "{name}@{cut}: the cut character is the last one"
                );
                position(prefix, partial)
            } else {
                assert!(
                    message.starts_with("EOF while parsing"),
                    "{name}@{cut}: {message}"
                );
                position(prefix, cut.saturating_sub(1))
            };
            assert_eq!((line, column), expected, "{name} cut at {cut}: {message}");
            cuts += 1;
        }
        for cut in end..=body.len() {
            assert_eq!(
                parse(&body[..cut]).as_ref(),
                Ok(&whole),
                "{name} cut at {cut}"
            );
        }
    }
    eprintln!("{cuts} truncations, all NotJson");
}

/// Deleting any one byte of a type's fixture never panics. By class of the deleted byte:
/// - whitespace between tokens: the same payload;
/// - a byte of a multi-byte character: `NotJson` "invalid UTF-8" at that character;
/// - a character of the handshake key's value: parses, but no longer verifies (`WrongKey`);
/// - a structural character outside strings (`{}[]:,"`): an error;
/// - anything else: `Ok` or `Err`; what parses round-trips, and what fails points inside.
#[test]
fn every_single_byte_deletion_of_every_type_fixture_is_handled() {
    let (mut ok, mut err) = (0, 0);
    for (t, body) in type_fixtures() {
        let whole = parse(&body).unwrap();
        assert_eq!(whole.activity.kind.activity_type(), Some(t));
        let strings = in_string_mask(&body);
        let key_at = find(&body, &format!("\"{KEY}\"")).unwrap() + 1;
        let key_span = key_at..key_at + KEY.len();
        for (i, &in_string) in strings.iter().enumerate() {
            let mut cut = body.clone();
            let deleted = cut.remove(i);
            let what = format!("{t}: deleting byte {i} ({:?})", char::from(deleted));
            let result = parse(&cut);
            let structural = deleted == b'"' || !in_string && b"{}[]:,".contains(&deleted);
            if !in_string && deleted.is_ascii_whitespace() {
                assert_eq!(result.as_ref(), Ok(&whole), "{what}");
            } else if !deleted.is_ascii() {
                let start = (0..=i).rev().find(|&j| body[j] & 0xC0 != 0x80).unwrap();
                let (message, line, column) = not_json(&cut);
                assert_eq!(message, "invalid UTF-8", "{what}");
                assert_eq!((line, column), position(&body, start), "{what}");
            } else if key_span.contains(&i) {
                let payload = result.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(verify(payload, KEY), Err(Error::WrongKey), "{what}");
                assert_eq!(parse_verified(&cut, KEY), Err(Error::WrongKey), "{what}");
            } else if structural {
                assert!(result.is_err(), "{what}: {result:?}");
            }
            match result {
                Ok(payload) => {
                    let again = parse(&serde_json::to_vec(&payload).unwrap());
                    assert_eq!(again.as_ref(), Ok(&payload), "{what}");
                    ok += 1;
                }
                Err(e) => {
                    let lines = 1 + cut.iter().filter(|&&b| b == b'\n').count();
                    assert!(
                        e.line().is_some_and(|l| (1..=lines).contains(&l)),
                        "{what}: {e}"
                    );
                    assert!(!e.is_key_error(), "{what}: {e}");
                    err += 1;
                }
            }
        }
    }
    eprintln!("{} deletions: {ok} parse, {err} are errors", ok + err);
}

// ---------------------------------------------------------------------------------------------
// Nesting.

/// serde_json stops at 128 levels: the crate's reader of unknown fields (`StrictValue`), which
/// recurses once per level, never goes deeper. 100 000 levels of `[` or `{"a":` in an unknown
/// field anywhere is `NotJson` "recursion limit exceeded", pointing at the level that went too
/// deep, with no stack overflow.
#[test]
fn deep_nesting_in_unknown_fields_is_not_json_not_a_stack_overflow() {
    const DEPTH: usize = 100_000;
    let arrays = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let objects = format!("{}null{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH));
    for deep in [&arrays, &objects] {
        let field = format!(r#", "deep": {deep}"#);
        let user = format!(r#", "user": {{"_id": "u", "name": "U"{field}}}"#);
        let stage = format!(r#", "stage": {{"_id": "s", "name": "S"{field}}}"#);
        let unknown_type = format!(
            r#"{{"activity": {{"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "x:y"{field}}}, "lead": {{"_id": "l", "name": "n"}}}}"#
        );
        // Each body with the number of objects around the deep value.
        let bodies = [
            (body_with(&format!(r#", "lead_size": 1{field}"#), "", ""), 2),
            (body_with(r#", "lead_size": 1"#, &field, ""), 2),
            (body_with(r#", "lead_size": 1"#, "", &field), 1),
            (body_with(&format!(r#", "lead_size": 1{user}"#), "", ""), 3),
            (body_with(r#", "lead_size": 1"#, &stage, ""), 3),
            (unknown_type.into_bytes(), 2),
        ];
        let unit = if deep == &arrays { 1 } else { 5 };
        for (body, around) in bodies {
            let (message, line, column) = not_json(&body);
            assert_eq!(message, "recursion limit exceeded");
            assert_eq!(line, Some(1));
            // The error points at the bracket that opens the 128th level.
            let (_, deep_column) = position(&body, find(&body, &deep[..16]).unwrap());
            let opened = (column.unwrap() - deep_column.unwrap()) / unit + 1;
            assert_eq!(
                opened + around,
                128,
                "{}",
                String::from_utf8_lossy(&body[..80])
            );
        }
    }
    // The same reader, through `Deserialize` (no path, same limit).
    let body = body_with(r#", "lead_size": 1"#, &format!(r#", "deep": {arrays}"#), "");
    let err = serde_json::from_slice::<Payload>(&body).unwrap_err();
    assert!(
        err.to_string().contains("recursion limit exceeded"),
        "{err}"
    );
}

/// Nesting up to the limit parses, is kept whole and written back, even on a thread with a
/// quarter of the 2 MiB stack that test threads (and tokio workers) get.
#[test]
fn nesting_up_to_the_limit_is_kept_and_fits_a_small_stack() {
    let within = (1..200)
        .take_while(|&depth| {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            parse(&body_with(
                r#", "lead_size": 1"#,
                &format!(r#", "deep": {deep}"#),
                "",
            ))
            .is_ok()
        })
        .last()
        .unwrap();
    // serde_json refuses the 128th level: inside the payload and the lead, 125 are left.
    assert_eq!(within, 125);
    let deep = format!("{}{}", "[".repeat(within), "]".repeat(within));
    let body = body_with(r#", "lead_size": 1"#, &format!(r#", "deep": {deep}"#), "");
    let parsed = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let payload = parse(&body).unwrap();
            let again = parse(&serde_json::to_vec(&payload).unwrap()).unwrap();
            assert_eq!(again, payload);
            payload
        })
        .unwrap()
        .join()
        .expect("parsing at the nesting limit fits in 512 KiB of stack");
    let mut value = &parsed.lead.extra["deep"];
    let mut depth = 0;
    while let Value::Array(items) = value {
        depth += 1;
        match items.first() {
            Some(inner) => value = inner,
            None => break,
        }
    }
    assert_eq!(depth, within);
}

// ---------------------------------------------------------------------------------------------
// Size.

// A 50 MB note: `tests/large_body.rs`, which counts its allocations.

/// A 1 MB key is an unknown field like any other: kept whole, written back. An error about
/// such a key has it whole in its path, and a message of a few hundred bytes.
#[test]
fn a_1_mb_object_key_is_kept_and_shortened_in_errors() {
    let key = "k".repeat(1 << 20);
    let body = body_with(r#", "lead_size": 1"#, &format!(r#", "{key}": 7"#), "");
    let payload = parse(&body).unwrap();
    assert_eq!(payload.lead.extra.get(&key), Some(&json!(7)));
    assert_eq!(
        parse(&serde_json::to_vec(&payload).unwrap()).as_ref(),
        Ok(&payload)
    );
    // Unknown fields of an activity are held until its type is known: the same there.
    let body = body_with(&format!(r#", "lead_size": 1, "{key}": [true]"#), "", "");
    assert_eq!(parse(&body).unwrap().activity.extra[&key], json!([true]));

    let body = body_with(
        r#", "lead_size": 1"#,
        &format!(r#", "{key}": 7, "{key}": 8"#),
        "",
    );
    let err = parse(&body).unwrap_err();
    assert!(matches!(err, Error::InvalidPayload { .. }), "{err:?}");
    assert_eq!(err.path(), Some(format!("lead.{key}").as_str()));
    assert!(
        err.to_string().len() < 400,
        "{} bytes",
        err.to_string().len()
    );
}

/// 100 000 unknown fields on one activity (held until the type is known) and one lead all
/// parse and are kept; a repeat among them is still found.
#[test]
fn a_100_000_field_object_is_kept_and_repeats_are_found() {
    let fields: String = (0..100_000).map(|i| format!(r#", "f{i}": {i}"#)).collect();
    let body = body_with(&format!(r#", "lead_size": 1{fields}"#), &fields, "");
    let payload = parse(&body).unwrap();
    assert_eq!(payload.activity.extra.len(), 100_000);
    assert_eq!(payload.lead.extra.len(), 100_000);
    assert_eq!(payload.activity.extra["f99999"], json!(99999));
    let body = body_with(&format!(r#", "lead_size": 1{fields}, "f4242": 0"#), "", "");
    assert_eq!(invalid_at(&body).0, "activity.f4242");
}

// ---------------------------------------------------------------------------------------------
// Repeated keys.

/// A second `handshake_key` is `InvalidPayload` at `handshake_key`, whatever the two values
/// (equal, different, null) and however the second key is spelled (`\u005f` is `_`): two
/// readers taking different copies is how a forged key gets through.
#[test]
fn a_repeated_handshake_key_is_an_invalid_payload() {
    for (first, second) in [
        (r#""handshake_key": "k""#, r#""handshake_key": "k""#),
        (r#""handshake_key": "k""#, r#""handshake_key": "forged""#),
        (r#""handshake_key": null"#, r#""handshake_key": "k""#),
        (r#""handshake_key": "k""#, r#""handshake_key": null"#),
        (
            r#""handshake_key": "k""#,
            r#""handshake\u005fkey": "forged""#,
        ),
        (r#""handshake\u005Fkey": "k""#, r#""handshake_key": "k""#),
    ] {
        let body = body_with(r#", "lead_size": 1"#, "", &format!(", {first}, {second}"));
        let (path, message) = invalid_at(&body);
        assert_eq!(path, "handshake_key", "{first}, {second}");
        assert_eq!(message, r#"duplicate field "handshake_key""#);
        let err = parse(&body).unwrap_err();
        let first_end = find(&body, first).unwrap() + first.len();
        let second_at = first_end + find(&body[first_end..], second).unwrap();
        let (_, second_key) = position(&body, second_at);
        assert_eq!(err.column(), second_key, "points at the second key");
        assert_eq!(parse_verified(&body, "k").unwrap_err(), err);
    }
}

/// A second `type` on an activity is `InvalidPayload` at `activity.type`, before or after the
/// type's fields, equal or not; so is a second field of the type, however spelled.
#[test]
fn a_repeated_activity_type_or_field_is_an_invalid_payload() {
    for (fields, path) in [
        (
            r#", "lead_size": 1, "type": "lead:size_changed""#,
            "activity.type",
        ),
        (r#", "lead_size": 1, "type": "lead:won""#, "activity.type"),
        (
            r#", "type": "note:created", "lead_size": 1"#,
            "activity.type",
        ),
        (
            r#", "lead_size": 1, "t\u0079pe": "lead:won""#,
            "activity.type",
        ),
        (r#", "lead_size": 1, "lead_size": 2"#, "activity.lead_size"),
        (
            r#", "lead_size": 1, "lead\u005fsize": 1"#,
            "activity.lead_size",
        ),
        (
            r#", "lead_size": 1, "old_lead_size": 1, "old_lead_size": null"#,
            "activity.old_lead_size",
        ),
        (r#", "lead_size": 1, "_id": "a2""#, "activity._id"),
        (
            r#", "lead_size": 1, "created_at": "2014-01-10T09:37:58Z""#,
            "activity.created_at",
        ),
        (
            r#", "lead_size": 1, "user": null, "user": null"#,
            "activity.user",
        ),
    ] {
        let (got, message) = invalid_at(&body_with(fields, "", ""));
        assert_eq!(got, path, "{fields}");
        assert!(message.starts_with("duplicate field"), "{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// Keys that look alike.

/// Keys that differ from the expected one only in case, surrounding whitespace, a trailing NUL,
/// Unicode normalisation (NFC `é` against NFD `e` + U+0301) or a look-alike letter never
/// verify: the comparison is byte for byte. Through `verify_key`, `verify` and
/// `parse_verified` alike, with either form as the expected key.
#[test]
fn keys_that_only_look_equal_are_wrong_keys() {
    let nfc = "caf\u{e9}-s3cr3t-KEY-9f8e";
    let nfd = "cafe\u{301}-s3cr3t-KEY-9f8e";
    assert_ne!(nfc.as_bytes(), nfd.as_bytes());
    for (expected, received) in [
        (nfc, nfd),
        (nfd, nfc),
        (nfc, "CAF\u{c9}-S3CR3T-KEY-9F8E"),
        (nfc, "caf\u{e9}-s3cr3t-key-9f8e"),
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8e "),
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8e\n"),
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8e\t"),
        (nfc, " caf\u{e9}-s3cr3t-KEY-9f8e"),
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8e\0"),
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8"),
        (nfc, "c\u{430}f\u{e9}-s3cr3t-KEY-9f8e"), // Cyrillic а
        (nfc, "caf\u{e9}-s3cr3t-KEY-9f8e\u{200b}"), // zero-width space
        (nfc, ""),
    ] {
        let what = format!("expected {expected:?}, received {received:?}");
        assert_eq!(
            verify_key(Some(received), expected),
            Err(Error::WrongKey),
            "{what}"
        );
        let body = body_with(
            r#", "lead_size": 1"#,
            "",
            &format!(r#", "handshake_key": {}"#, json!(received)),
        );
        let payload = parse(&body).unwrap();
        assert_eq!(
            payload.handshake_key.as_ref().unwrap().expose_secret(),
            received
        );
        assert_eq!(verify(&payload, expected), Err(Error::WrongKey), "{what}");
        assert_eq!(
            parse_verified(&body, expected),
            Err(Error::WrongKey),
            "{what}"
        );
        assert_eq!(
            verify(&payload, received).is_ok(),
            !received.is_empty(),
            "{what}"
        );
    }
    // An escaped key is the same key once unescaped.
    let body = body_with(
        r#", "lead_size": 1"#,
        "",
        r#", "handshake_key": "caf\u00e9-s3cr3t-KEY-9f8e""#,
    );
    assert_eq!(parse_verified(&body, nfc).map(|_| ()), Ok(()));
    assert_eq!(parse_verified(&body, nfd).map(|_| ()), Err(Error::WrongKey));
}

// ---------------------------------------------------------------------------------------------
// Numbers.

/// A JSON number beyond `f64`'s range, in a numeric field or anywhere else, is refused by
/// serde_json as it reads it: `NotJson` "number out of range" (no path), pointing at the
/// number's last digit. Never infinity. As a string (`"1e400"`) it is `InvalidPayload` at
/// the field. Underflow is not an error: `1e-400` reads as 0.
#[test]
fn numbers_out_of_range_are_errors_not_infinity() {
    let huge = format!("1{}", "0".repeat(400));
    let minus_huge = format!("-{huge}");
    for number in [
        "1e400",
        "-1e400",
        "1e309",
        "1.8e308",
        huge.as_str(),
        minus_huge.as_str(),
    ] {
        for (activity, lead) in [
            (format!(r#", "lead_size": {number}"#), String::new()),
            (
                format!(r#", "lead_size": 1, "old_lead_size": {number}"#),
                String::new(),
            ),
            (
                r#", "lead_size": 1"#.to_owned(),
                format!(r#", "size": {number}"#),
            ),
            (
                r#", "lead_size": 1"#.to_owned(),
                format!(r#", "meta": [{number}]"#),
            ),
            (
                format!(r#", "lead_size": 1, "other": {{"n": {number}}}"#),
                String::new(),
            ),
        ] {
            let body = body_with(&activity, &lead, "");
            let (message, line, column) = not_json(&body);
            assert_eq!(message, "number out of range", "{activity} {lead}");
            let end = find(&body, number).unwrap() + number.len() - 1;
            assert_eq!((line, column), position(&body, end), "{activity} {lead}");
        }
        let body = body_with(&format!(r#", "lead_size": "{number}""#), "", "");
        assert_eq!(invalid_at(&body).0, "activity.lead_size");
        let body = body_with(
            r#", "lead_size": 1"#,
            &format!(r#", "size": "{number}""#),
            "",
        );
        assert_eq!(invalid_at(&body).0, "lead.size");
    }
    let product = r#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z",
        "type": "product:added", "product_name": "P", "product_quantity": 1e400},
        "lead": {"_id": "l", "name": "n"}}"#;
    assert_eq!(not_json(product.as_bytes()).0, "number out of range");

    let payload = parse(&body_with(
        r#", "lead_size": 1e-400"#,
        r#", "size": -1e-400"#,
        "",
    ))
    .unwrap();
    assert!(
        matches!(payload.activity.kind, ActivityKind::LeadSizeChanged(LeadSizeChanged { lead_size, .. }) if lead_size == 0.0)
    );
    assert_eq!(payload.lead.size, Some(0.0));
    let max = parse(&body_with(
        r#", "lead_size": 1.7976931348623157e308"#,
        "",
        "",
    ))
    .unwrap();
    assert!(
        matches!(max.activity.kind, ActivityKind::LeadSizeChanged(LeadSizeChanged { lead_size, .. }) if lead_size == f64::MAX)
    );
}

/// `NaN`, `Infinity` and friends are not JSON: `NotJson` at the literal, wherever it stands.
/// As strings they are `InvalidPayload` at the numeric field.
#[test]
fn nan_and_infinity_literals_are_not_json() {
    for literal in [
        "NaN",
        "Infinity",
        "-Infinity",
        "nan",
        "inf",
        "-inf",
        "+1",
        ".5",
        "0x10",
    ] {
        for (activity, lead) in [
            (format!(r#", "lead_size": {literal}"#), String::new()),
            (
                r#", "lead_size": 1"#.to_owned(),
                format!(r#", "size": {literal}"#),
            ),
            (
                r#", "lead_size": 1"#.to_owned(),
                format!(r#", "meta": {literal}"#),
            ),
        ] {
            let body = body_with(&activity, &lead, "");
            let (message, line, _) = not_json(&body);
            assert_eq!(line, Some(1), "{literal}: {message}");
        }
        let body = body_with(&format!(r#", "lead_size": "{literal}""#), "", "");
        assert_eq!(invalid_at(&body).0, "activity.lead_size", "{literal}");
        let body = body_with(
            r#", "lead_size": 1"#,
            &format!(r#", "size": "{literal}""#),
            "",
        );
        assert_eq!(invalid_at(&body).0, "lead.size", "{literal}");
    }
    // The error points at the literal itself (the byte serde_json stopped at).
    let body = body_with(r#", "lead_size": NaN"#, "", "");
    let (message, line, column) = not_json(&body);
    assert_eq!(message, "expected value");
    assert_eq!((line, column), position_of(&body, "NaN", 0));
}

// ---------------------------------------------------------------------------------------------
// Text.

/// A `\u` escape of a lone UTF-16 surrogate cannot become Rust text: `NotJson` in any string,
/// key or value, known field or unknown. A proper surrogate pair is one character.
#[test]
fn lone_surrogate_escapes_are_not_json() {
    for escape in [
        r"\ud800",
        r"\udc00",
        r"\ud800\u0041",
        r"\ud800\ud800",
        r"\uDBFF",
        r"\ud800x",
    ] {
        for (activity, lead, top) in [
            (
                String::new(),
                format!(r#", "pipe": {{"_id": "p", "name": "{escape}"}}"#),
                String::new(),
            ),
            (
                String::new(),
                format!(r#", "note": "{escape}""#),
                String::new(),
            ),
            (String::new(), format!(r#", "{escape}": 1"#), String::new()),
            (
                format!(r#", "old_lead_size": "{escape}""#),
                String::new(),
                String::new(),
            ),
            (
                String::new(),
                String::new(),
                format!(r#", "handshake_key": "{escape}""#),
            ),
        ] {
            let body = body_with(&format!(r#", "lead_size": 1{activity}"#), &lead, &top);
            let (message, line, column) = not_json(&body);
            assert!(
                message.contains("surrogate") || message.contains("hex escape"),
                "{escape}: {message}"
            );
            let (_, start) = position_of(&body, escape, 0);
            assert_eq!(line, Some(1));
            assert!(
                (start.unwrap()..start.unwrap() + 14).contains(&column.unwrap()),
                "{escape}: column {column:?}, escape at {start:?}"
            );
        }
    }
    let body = body_with(r#", "lead_size": 1"#, r#", "note": "\ud83d\ude00""#, "");
    assert_eq!(parse(&body).unwrap().lead.extra["note"], json!("😀"));
}

/// A UTF-8 byte-order mark before the body is refused, as the README says: `NotJson`
/// "expected value" at line 1, column 1. One after it is trailing bytes. Inside a string,
/// U+FEFF is an ordinary character and is kept. A UTF-16 BOM is invalid UTF-8.
#[test]
fn a_byte_order_mark_before_the_body_is_not_json() {
    let body = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/doc_example.json"));
    let with_bom = [&b"\xEF\xBB\xBF"[..], &body].concat();
    let (message, line, column) = not_json(&with_bom);
    assert_eq!(message, "expected value");
    assert_eq!((line, column), (Some(1), Some(1)));
    assert!(matches!(
        parse_verified(&with_bom, KEY),
        Err(Error::NotJson { .. })
    ));

    let (message, _, _) = not_json(&[&body, &b"\xEF\xBB\xBF"[..]].concat());
    assert_eq!(message, "trailing characters");

    let (message, _, _) = not_json(&[&b"\xFE\xFF"[..], &body].concat());
    assert_eq!(message, "invalid UTF-8");

    let inside = body_with(r#", "lead_size": 1"#, ", \"name2\": \"\u{feff}x\"", "");
    assert_eq!(
        parse(&inside).unwrap().lead.extra["name2"],
        json!("\u{feff}x")
    );
}

/// Raw control characters inside a string are not JSON (they must be escaped), nor is invalid
/// UTF-8 anywhere; escaped, every control character is kept.
#[test]
fn raw_control_characters_and_invalid_utf8_are_not_json() {
    for byte in (0u8..0x20).chain([0x80, 0xC0, 0xFF]) {
        let mut body = body_with(r#", "lead_size": 1"#, r#", "note": "a_b""#, "");
        let at = find(&body, "a_b").unwrap() + 1;
        body[at] = byte;
        let (message, line, column) = not_json(&body);
        let expected = if byte < 0x20 {
            "control character (\\u0000-\\u001F) found while parsing a string"
        } else {
            "invalid UTF-8"
        };
        assert_eq!(message, expected, "byte {byte:#04x}");
        assert_eq!((line, column), position(&body, at), "byte {byte:#04x}");
    }
    let escaped: String = (0u8..0x20).map(|b| format!("\\u{b:04x}")).collect();
    let body = body_with(
        r#", "lead_size": 1"#,
        &format!(r#", "note": "{escaped}""#),
        "",
    );
    let kept: String = (0u8..0x20).map(char::from).collect();
    assert_eq!(parse(&body).unwrap().lead.extra["note"], json!(kept));
}
