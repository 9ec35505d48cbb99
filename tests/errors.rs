//! Every error case of the contract: which `Error` variant, which JSON path, which position.

// Every error these tests meet goes through `oracles::parse`, which checks that its message is
// one bounded line.
#[allow(dead_code)]
mod oracles;
use clinchpad_webhook::{verify, verify_key, Error};
use oracles::{parse, parse_verified};
use serde_json::{json, Value};

/// A valid `lead:moved` payload to break in one place per test.
fn valid() -> Value {
    json!({
        "activity": {
            "_id": "52cfbf76cce8b40f0f000005",
            "created_at": "2014-01-10T09:37:58Z",
            "type": "lead:moved",
            "old_stage_name": "Offer",
            "new_stage_name": "Won",
            "user": {"_id": "52cf8c0acce8b4c375000001", "name": "Webhook Testing", "photo_url": null}
        },
        "lead": {
            "_id": "52cfa124cce8b4d113000056",
            "name": "Webhook T",
            "user": {"_id": "52cf8c0acce8b4c375000002", "name": "Owner"},
            "stage": {"_id": "52cf8c0bcce8b4c37500000c", "name": "Offer"},
            "pipe": {"_id": "52cf8c0bcce8b4c375000008", "name": "Default"}
        },
        "handshake_key": "gfhkd1asfsa"
    })
}

/// `valid()` with the value at `pointer` changed (or removed when `to` is `None`).
fn with(pointer: &str, to: Option<Value>) -> Vec<u8> {
    let mut payload = valid();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = payload
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap();
    match to {
        Some(value) => object.insert(key.to_owned(), value),
        None => object.remove(key),
    };
    serde_json::to_vec_pretty(&payload).unwrap()
}

fn invalid_at(body: &[u8]) -> String {
    match parse(body) {
        Err(Error::InvalidPayload { path, .. }) => path,
        other => panic!("expected an invalid payload error, got {other:?}"),
    }
}

#[test]
fn the_valid_base_payload_parses() {
    parse(&serde_json::to_vec(&valid()).unwrap()).unwrap();
}

#[test]
fn missing_required_fields_are_named_by_path() {
    for (pointer, path) in [
        ("/activity", "activity"),
        ("/lead", "lead"),
        ("/activity/_id", "activity._id"),
        ("/activity/type", "activity.type"),
        ("/activity/created_at", "activity.created_at"),
        ("/lead/_id", "lead._id"),
        ("/lead/name", "lead.name"),
        ("/activity/user/_id", "activity.user._id"),
        ("/activity/user/name", "activity.user.name"),
        ("/lead/user/_id", "lead.user._id"),
        ("/lead/stage/_id", "lead.stage._id"),
        ("/lead/stage/name", "lead.stage.name"),
        ("/lead/pipe/_id", "lead.pipe._id"),
        ("/lead/pipe/name", "lead.pipe.name"),
        ("/activity/new_stage_name", "activity.new_stage_name"),
        ("/activity/old_stage_name", "activity.old_stage_name"),
    ] {
        let body = with(pointer, None);
        assert_eq!(invalid_at(&body), path, "removing {pointer}");
        let message = parse(&body).unwrap_err().to_string();
        assert!(message.contains("missing field"), "{message}");
    }
}

#[test]
fn null_in_a_required_field_is_an_error() {
    for (pointer, path) in [
        ("/activity/_id", "activity._id"),
        ("/activity/type", "activity.type"),
        ("/activity/created_at", "activity.created_at"),
        ("/lead/name", "lead.name"),
        ("/lead/stage/_id", "lead.stage._id"),
        ("/activity/new_stage_name", "activity.new_stage_name"),
        ("/activity", "activity"),
    ] {
        assert_eq!(
            invalid_at(&with(pointer, Some(Value::Null))),
            path,
            "null at {pointer}"
        );
    }
}

#[test]
fn created_at_must_be_rfc3339() {
    for text in [
        "2014-01-10 09:37:58",
        "yesterday",
        "2014-01-10",
        "1389346678",
        "2014-13-10T09:37:58Z",
    ] {
        let body = with("/activity/created_at", Some(json!(text)));
        assert_eq!(invalid_at(&body), "activity.created_at", "{text}");
    }
    let body = with("/activity/created_at", Some(json!(1389346678)));
    assert_eq!(invalid_at(&body), "activity.created_at");
}

#[test]
fn values_of_the_wrong_json_type_are_errors() {
    for (pointer, value, path) in [
        ("/activity/_id", json!(5), "activity._id"),
        ("/lead/name", json!(["Webhook T"]), "lead.name"),
        ("/lead/size", json!("a lot"), "lead.size"),
        ("/lead/size", json!(true), "lead.size"),
        ("/lead/archived", json!("no"), "lead.archived"),
        ("/lead/stage", json!("Offer"), "lead.stage"),
        ("/activity/user", json!(7), "activity.user"),
        (
            "/activity/user/photo_url",
            json!(1),
            "activity.user.photo_url",
        ),
        (
            "/activity/new_stage_name",
            json!(3),
            "activity.new_stage_name",
        ),
        ("/handshake_key", json!(12345), "handshake_key"),
    ] {
        assert_eq!(
            invalid_at(&with(pointer, Some(value.clone()))),
            path,
            "{pointer} = {value}"
        );
    }
}

#[test]
fn numeric_fields_holding_non_numeric_strings_are_errors() {
    let mut payload = valid();
    payload["activity"]["type"] = json!("lead:size_changed");
    for (field, value) in [
        ("lead_size", json!("1,500")),
        ("lead_size", json!("NaN")),
        ("old_lead_size", json!("about 3")),
    ] {
        let mut payload = payload.clone();
        payload["activity"]["lead_size"] = json!(1500);
        payload["activity"][field] = value;
        let path = invalid_at(&serde_json::to_vec(&payload).unwrap());
        assert_eq!(path, format!("activity.{field}"));
    }
}

#[test]
fn fields_checked_after_the_type_point_at_their_value() {
    // `type` comes last, so `todo_done` is converted only when the object has ended; the
    // error still points at the value itself.
    let body = br#"{"lead": {"_id": "l", "name": "n"},
"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z",
  "todo_name": "Call", "todo_done": "maybe",
  "type": "todo:done_changed"}}"#;
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("activity.todo_done"));
    assert_eq!((err.line(), err.column()), (Some(3), Some(37)));
    assert!(err.to_string().contains("line 3, column 37"), "{err}");
}

#[test]
fn a_wrong_value_is_pointed_at_where_it_starts() {
    let body = b"{\n  \"activity\": {\n    \"_id\": 42,\n    \"created_at\": \"10 Jan\"\n  }\n}";
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("activity._id"));
    assert_eq!((err.line(), err.column()), (Some(3), Some(12)));

    let body = b"{\"activity\": {\"_id\": \"a\", \"created_at\": \"10 Jan\"}}";
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("activity.created_at"));
    assert_eq!((err.line(), err.column()), (Some(1), Some(41)));
}

#[test]
fn a_syntax_error_inside_a_value_keeps_the_position_where_reading_stopped() {
    let body = b"{\"activity\": {\"_id\": \"a\", \"user\": {\"_id\": tru}}}";
    let err = parse(body).unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
    assert_eq!((err.line(), err.column()), (Some(1), Some(46)));
}

#[test]
fn duplicated_keys_are_refused_in_every_object() {
    let doubled = |needle: &str, twice: &str| {
        let body = serde_json::to_string_pretty(&valid()).unwrap();
        assert!(body.contains(needle), "{needle}");
        body.replacen(needle, &format!("{twice}, {needle}"), 1)
            .into_bytes()
    };
    for (needle, twice, path) in [
        (
            r#""handshake_key": "gfhkd1asfsa""#,
            r#""handshake_key": "forged""#,
            "handshake_key",
        ),
        (
            r#""type": "lead:moved""#,
            r#""type": "lead:won""#,
            "activity.type",
        ),
        (
            r#""old_stage_name": "Offer""#,
            r#""old_stage_name": "Lost""#,
            "activity.old_stage_name",
        ),
        (r#""name": "Webhook T""#, r#""name": "Other""#, "lead.name"),
        (
            r#""name": "Offer""#,
            r#""name": "Other""#,
            "lead.stage.name",
        ),
        (
            r#""_id": "52cfa124cce8b4d113000056""#,
            r#""_id": "x""#,
            "lead._id",
        ),
    ] {
        let body = doubled(needle, twice);
        assert_eq!(invalid_at(&body), path, "{needle}");
        assert!(parse(&body).unwrap_err().to_string().contains("duplicate"));
    }
}

#[test]
fn a_second_whole_activity_is_refused() {
    let activity = serde_json::to_string(&valid()["activity"]).unwrap();
    let body = serde_json::to_string(&valid()).unwrap();
    let body = body.replacen(
        r#""lead":"#,
        &format!(r#""activity":{activity},"lead":"#),
        1,
    );
    assert_eq!(invalid_at(body.as_bytes()), "activity");
}

#[test]
fn duplicated_unknown_fields_are_refused_at_any_depth() {
    let body =
        br#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won",
        "source": 1, "source": 2}, "lead": {"_id": "l", "name": "n"}}"#;
    assert_eq!(invalid_at(body), "activity.source");
    let body =
        br#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won"},
        "lead": {"_id": "l", "name": "n", "meta": {"a": [{"b": 1, "b": 2}]}}}"#;
    assert_eq!(invalid_at(body), "lead.meta.a[0].b");
    let body =
        br#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won"},
        "lead": {"_id": "l", "name": "n"}, "x": 1, "x": 1}"#;
    assert_eq!(invalid_at(body), "x");
}

#[test]
fn a_body_that_is_not_json_is_not_json() {
    for body in [
        &b""[..],
        b"not json",
        b"{",
        b"{\"activity\": ",
        b"<xml/>",
        b"\xEF\xBB\xBF{}",
    ] {
        assert!(
            matches!(parse(body), Err(Error::NotJson { .. })),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn trailing_bytes_are_an_error_but_trailing_whitespace_is_not() {
    let body = serde_json::to_vec(&valid()).unwrap();
    let mut spaced = body.clone();
    spaced.extend_from_slice(b" \n\t\r\n");
    parse(&spaced).unwrap();
    for tail in [&b"x"[..], b"{}", b" 1", b"\0"] {
        let mut trailing = body.clone();
        trailing.extend_from_slice(tail);
        let err = parse(&trailing).unwrap_err();
        assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
        assert!(err.to_string().contains("trailing"), "{err}");
    }
}

#[test]
fn invalid_utf8_is_reported_with_its_position() {
    let mut body = serde_json::to_vec_pretty(&valid()).unwrap();
    let at = body.windows(5).position(|w| w == b"Offer").unwrap();
    body[at] = 0xFF;
    let err = parse(&body).unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    let line = 1 + body[..at].iter().filter(|&&b| b == b'\n').count();
    assert_eq!(err.line(), Some(line));
}

#[test]
fn a_top_level_value_that_is_not_an_object_is_an_invalid_payload() {
    for body in [&b"[]"[..], b"42", b"\"payload\"", b"null"] {
        assert!(
            matches!(parse(body), Err(Error::InvalidPayload { .. })),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(parse(b"[]")
        .unwrap_err()
        .to_string()
        .contains("the top level"));
}

#[test]
fn data_errors_display_path_line_and_column() {
    let err = parse(&with("/lead/stage/_id", None)).unwrap_err();
    let text = err.to_string();
    let (line, column) = (err.line().unwrap(), err.column().unwrap());
    assert!(text.contains("`lead.stage._id`"), "{text}");
    assert!(
        text.contains(&format!("line {line}, column {column}")),
        "{text}"
    );
}

#[test]
fn verification_passes_only_with_the_expected_key() {
    let body = serde_json::to_vec(&valid()).unwrap();
    let payload = parse(&body).unwrap();
    assert_eq!(verify(&payload, "gfhkd1asfsa"), Ok(()));
    assert_eq!(verify(&payload, "gfhkd1asfs"), Err(Error::WrongKey));
    assert_eq!(verify(&payload, "gfhkd1asfsa "), Err(Error::WrongKey));
    assert_eq!(verify(&payload, "GFHKD1ASFSA"), Err(Error::WrongKey));
    assert_eq!(verify(&payload, ""), Err(Error::EmptyExpectedKey));
    assert_eq!(
        parse_verified(&body, "gfhkd1asfsa").map(|p| p == payload),
        Ok(true)
    );
    assert_eq!(parse_verified(&body, "nope").unwrap_err(), Error::WrongKey);
}

#[test]
fn a_payload_without_a_key_fails_verification() {
    for body in [
        with("/handshake_key", None),
        with("/handshake_key", Some(Value::Null)),
    ] {
        let payload = parse(&body).unwrap();
        assert_eq!(payload.handshake_key, None);
        assert_eq!(verify(&payload, "gfhkd1asfsa"), Err(Error::MissingKey));
        assert_eq!(
            parse_verified(&body, "gfhkd1asfsa").unwrap_err(),
            Error::MissingKey
        );
    }
}

#[test]
fn an_empty_received_key_is_wrong_and_an_empty_expected_key_is_a_configuration_error() {
    let body = with("/handshake_key", Some(json!("")));
    let payload = parse(&body).unwrap();
    assert_eq!(verify(&payload, "gfhkd1asfsa"), Err(Error::WrongKey));
    assert_eq!(verify(&payload, ""), Err(Error::EmptyExpectedKey));
    assert_eq!(
        parse_verified(&body, "").unwrap_err(),
        Error::EmptyExpectedKey
    );
}

#[test]
fn a_key_from_a_query_parameter_is_checked_the_same_way() {
    assert_eq!(verify_key(Some("gfhkd1asfsa"), "gfhkd1asfsa"), Ok(()));
    assert_eq!(
        verify_key(Some("gfhkd1asfsA"), "gfhkd1asfsa"),
        Err(Error::WrongKey)
    );
    assert_eq!(verify_key(None, "gfhkd1asfsa"), Err(Error::MissingKey));
    assert_eq!(verify_key(Some(""), ""), Err(Error::EmptyExpectedKey));
}

#[test]
fn key_errors_are_told_apart_from_body_errors() {
    assert!(Error::MissingKey.is_key_error() && Error::WrongKey.is_key_error());
    assert!(!parse(b"{}").unwrap_err().is_key_error());
}

#[test]
fn errors_never_contain_either_key() {
    let body = with("/handshake_key", Some(json!("received-secret-1")));
    let payload = parse(&body).unwrap();
    let err = verify(&payload, "expected-secret-2").unwrap_err();
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{payload:?}"),
        format!("{payload:#?}"),
    ] {
        assert!(
            !text.contains("received-secret-1") && !text.contains("expected-secret-2"),
            "{text}"
        );
    }
}

#[test]
fn the_error_type_can_cross_threads() {
    fn assert_bounds<T: std::error::Error + Send + Sync + 'static>() {}
    assert_bounds::<Error>();
}

// ---------------------------------------------------------------------------------------------
// Messages that are safe to log: one line, bounded, whatever the body.

/// A valid `lead:won` body with `created_at` replaced by the JSON text `created_at`.
fn with_created_at(created_at: &str) -> Vec<u8> {
    format!(
        r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": {created_at}}},
            "lead": {{"_id": "l", "name": "n"}}}}"#
    )
    .into_bytes()
}

#[test]
fn input_quoted_in_an_error_cannot_forge_a_log_line() {
    for (text, shown) in [
        (
            r#""2024-03-05T14:07:31Z\n[INFO] admin logged in""#,
            r"\n[INFO] admin",
        ),
        (
            r#""2024-03-05T14:07:31Z\r[INFO] admin logged in""#,
            r"\r[INFO] admin",
        ),
        (
            r#""\u001b[2K\u001b[1G[INFO] ok""#,
            r"\u{1b}[2K\u{1b}[1G[INFO]",
        ),
        (r#""x\u2028[INFO] line separator""#, r"x\u{2028}[INFO]"),
        (r#""x\u0085[INFO] next line""#, r"x\u{85}[INFO]"),
        (r#""\u202egnp.exe""#, r"\u{202e}gnp.exe"),
    ] {
        let err = parse(&with_created_at(text)).unwrap_err();
        assert_eq!(err.path(), Some("activity.created_at"), "{text}");
        let message = err.to_string();
        assert!(message.contains(shown), "{text}: {message}");
        // `oracles::parse` has checked there is no raw control character; say it plainly too.
        assert!(
            !message.contains('\n') && !message.contains('\r'),
            "{message}"
        );
    }
}

#[test]
fn a_huge_value_is_quoted_shortened_wherever_it_is() {
    let huge = "x".repeat(100_000);
    let bodies = [
        // A string where an object belongs: serde_json quotes it.
        format!(r#"{{"activity": "{huge}"}}"#),
        format!(
            r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}}, "lead": {{"_id": "l", "name": "n", "stage": "{huge}"}}}}"#
        ),
        format!(
            r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}}, "lead": {{"_id": "l", "name": "n", "archived": "{huge}"}}}}"#
        ),
        // A string the crate itself quotes: a timestamp, a number, a repeated key.
        String::from_utf8(with_created_at(&format!(r#""{huge}""#))).unwrap(),
        format!(
            r#"{{"activity": {{"_id": "a", "type": "lead:size_changed", "created_at": "2014-01-10T09:37:58Z", "lead_size": "{huge}"}}}}"#
        ),
        format!(r#"{{"{huge}": 1, "{huge}": 2}}"#),
        // A type name, quoted by `ActivityType`'s parser, through `Deserialize`.
    ];
    for body in &bodies {
        let err = parse(body.as_bytes()).unwrap_err();
        let message = err.to_string();
        assert!(
            message.len() <= oracles::ERROR_DISPLAY_MAX,
            "{} bytes",
            message.len()
        );
        assert!(message.contains("xxxx…"), "{message}");
    }
    let err = serde_json::from_str::<clinchpad_webhook::ActivityType>(&format!("\"{huge}\""))
        .unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn a_deep_path_is_shown_with_its_middle_left_out() {
    let key = "k".repeat(300);
    let body = format!(
        r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}},
            "lead": {{"_id": "l", "name": "n", "{key}": [{{"{key}": 1, "{key}": 2}}]}}}}"#
    );
    let err = parse(body.as_bytes()).unwrap_err();
    // The path is whole; the message shows its start and end.
    assert_eq!(err.path(), Some(format!("lead.{key}[0].{key}").as_str()));
    let message = err.to_string();
    assert!(
        message.contains("`lead.kkk") && message.contains("kkk`"),
        "{message}"
    );
    assert!(message.contains('…'), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Positions: the value that failed, whatever else the body holds.

#[test]
fn an_error_in_a_repeated_object_points_at_the_copy_that_failed() {
    // The first `lead` fails at its `_id`; the second copy, which would be valid, is never read.
    let body = b"{\"activity\": {\"_id\": \"a\", \"type\": \"lead:won\", \"created_at\": \"2014-01-10T09:37:58Z\"},\n \"lead\": {\"_id\": 5, \"name\": \"n\"},\n \"lead\": {\"_id\": \"x\", \"name\": \"n\"}}";
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("lead._id"));
    assert_eq!((err.line(), err.column()), (Some(2), Some(18)), "{err}");

    let body = b"{\"activity\": {\"_id\": \"a\", \"type\": \"lead:won\", \"created_at\": \"yesterday\"},\n \"activity\": {\"_id\": \"a\", \"type\": \"lead:won\", \"created_at\": \"2014-01-10T09:37:58Z\"}}";
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("activity.created_at"));
    let yesterday = body
        .windows(11)
        .position(|w| w == b"\"yesterday\"")
        .unwrap();
    assert_eq!(
        (err.line(), err.column()),
        (Some(1), Some(yesterday + 1)),
        "{err}"
    );
}

#[test]
fn a_second_copy_of_a_key_is_pointed_at() {
    let body = b"{\"lead\": {\"_id\": \"l\", \"name\": \"n\"},\n  \"lead\": {\"_id\": \"l\", \"name\": \"n\"}}";
    let err = parse(body).unwrap_err();
    assert_eq!(err.path(), Some("lead"));
    assert_eq!((err.line(), err.column()), (Some(2), Some(3)), "{err}");
}

/// A field of the activity's type is checked once the activity has ended (its `type` may come
/// last); the error points at its value whatever follows the activity.
#[test]
fn a_per_type_field_error_points_at_its_value_whatever_follows() {
    let activity = r#"{"activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "old_stage_name": 5, "new_stage_name": "Won", "type": "lead:moved"}"#;
    let column = activity.find(": 5").unwrap() + 3;
    for rest in [
        r#", "lead": {"_id": "l", "name": "n"}}"#,
        r#", "lead": {"_id": "l", "name": "n"}} trailing bytes"#,
        r#", "lead": {"_id": "l", "name": "n"}}}}]]"#,
        r#", "lead": {"_id": "#,
        r#", "lead": {"_id": "l", "na"#,
        r#", "lead": nope"#,
        "",
        ", ",
    ] {
        let body = format!("{activity}{rest}");
        let err = parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some("activity.old_stage_name"), "{rest}: {err}");
        assert_eq!(
            (err.line(), err.column()),
            (Some(1), Some(column)),
            "{rest}: {err}"
        );
    }
    // The same after a lead that is valid, and with the type first.
    let body = r#"{"lead": {"_id": "l", "name": "n"}, "activity": {"type": "todo:done_changed", "_id": "a", "created_at": "2014-01-10T09:37:58Z", "todo_name": "x", "todo_done": "maybe"}} }"#;
    let err = parse(body.as_bytes()).unwrap_err();
    assert_eq!(err.path(), Some("activity.todo_done"));
    assert_eq!(err.column(), Some(body.find("\"maybe\"").unwrap() + 1));
}

// ---------------------------------------------------------------------------------------------
// Paths.

/// A `lead:won` body whose lead holds `lead_fields` (JSON text after `"name": "n"`).
fn with_lead_fields(lead_fields: &str) -> String {
    format!(
        r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}},
"lead": {{"_id": "l", "name": "n"{lead_fields}}}}}"#
    )
}

#[test]
fn a_repeated_key_inside_unknown_fields_has_its_path_and_position() {
    for (fields, path) in [
        (
            r#", "extra": [0, 1, 2, {"x": 1, "x": 2}]"#,
            "lead.extra[3].x",
        ),
        (
            r#", "extra": {"a": [[], [{"b": {"x": 1, "x": 2}}]]}"#,
            "lead.extra.a[1][0].b.x",
        ),
        (
            r#", "extra": [[0, [1, {"x": 1, "x": 2}]]]"#,
            "lead.extra[0][1][1].x",
        ),
        (
            r#", "user": {"_id": "u", "name": "U", "tags": [{"x": 1, "x": 2}]}"#,
            "lead.user.tags[0].x",
        ),
        (
            r#", "extra": [{"x": 1}, {"x": 1, "y": 2, "x": 2}]"#,
            "lead.extra[1].x",
        ),
        (
            r#", "extra": [{"x": "}{,]", "\u0078": 2}]"#,
            "lead.extra[0].x",
        ),
    ] {
        let body = with_lead_fields(fields);
        let err = parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some(path), "{fields}");
        // The position is the second `x`, the key that repeats.
        let second = body.rfind(", \"").unwrap() + 2;
        assert_eq!(
            (err.line(), err.column()),
            (Some(2), Some(second - body.find("\n").unwrap())),
            "{fields}: {err}"
        );
    }
}

#[test]
fn keys_that_are_not_identifiers_are_quoted_so_paths_never_collide() {
    let cases = [
        (r#", "a.b": {"x": 1, "x": 2}"#, r#"lead["a.b"].x"#),
        (r#", "a": {"b": {"x": 1, "x": 2}}"#, "lead.a.b.x"),
        (r#", "x[0]": {"y": 1, "y": 2}"#, r#"lead["x[0]"].y"#),
        (r#", "x": [{"y": 1, "y": 2}]"#, "lead.x[0].y"),
        (
            r#", "say \"hi\"": {"y": 1, "y": 2}"#,
            r#"lead["say \"hi\""].y"#,
        ),
        (r#", "": {"y": 1, "y": 2}"#, r#"lead[""].y"#),
        (r#", "0": {"y": 1, "y": 2}"#, r#"lead["0"].y"#),
        (
            r#", "line\nbreak": {"y": 1, "y": 2}"#,
            r#"lead["line\nbreak"].y"#,
        ),
        (r#", "é": 1, "é": 2"#, r#"lead["é"]"#),
    ];
    let mut seen = std::collections::HashSet::new();
    for (fields, path) in cases {
        let err = parse(with_lead_fields(fields).as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some(path), "{fields}");
        assert!(seen.insert(path), "{path} twice");
        assert!(err.to_string().contains(&format!("`{path}`")), "{err}");
    }
}
