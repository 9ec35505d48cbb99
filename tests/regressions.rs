//! Inputs that once broke a property checked in `tests/properties.rs`, kept as plain tests.

// Every error these tests meet goes through `oracles::parse`, which checks that its message is
// one bounded line.
#[allow(dead_code)]
mod oracles;
use chrono::NaiveTime;
use clinchpad_webhook::activity::*;
use clinchpad_webhook::{ActivityKind, Error, Payload, TodoTime};
use oracles::parse;
use serde_json::json;

fn base() -> serde_json::Value {
    json!({
        "activity": {"_id": "a", "created_at": "2014-01-10T09:37:58Z", "type": "lead:won"},
        "lead": {"_id": "l", "name": "n"}
    })
}

fn round_trip(payload: &Payload) -> Payload {
    parse(&serde_json::to_vec(payload).unwrap()).unwrap()
}

/// serde_json's default float parser can be one unit in the last place off; the crate enables
/// `float_roundtrip` so that the shortest representation written by the serializer reads back
/// as the same `f64`, in typed fields and in unknown fields alike.
#[test]
fn floats_read_back_exactly() {
    for n in [9.737088939322161e-36, 906714392.7465103, 0.1, 1e300, 5e-324] {
        let mut body = base();
        body["lead"]["size"] = json!(n);
        body["lead"]["meta"] = json!([n]);
        let payload = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(payload.lead.size, Some(n), "{n:e}");
        assert_eq!(payload.lead.extra["meta"][0].as_f64(), Some(n), "{n:e}");
        assert_eq!(round_trip(&payload), payload, "{n:e}");
    }
}

/// serde_json reports column 0 when the last byte it read ends a line, or when it read
/// nothing. The crate's columns are one-based: such errors point at that newline, or at the
/// start of the body.
#[test]
fn columns_are_one_based_where_serde_json_says_column_0() {
    let position = |body: &[u8]| {
        let err = parse(body).unwrap_err();
        (err.line(), err.column())
    };
    assert!(matches!(parse(b""), Err(Error::NotJson { .. })));
    assert_eq!(position(b""), (Some(1), Some(1)));
    assert_eq!(position(b"\n"), (Some(1), Some(1)));
    assert_eq!(position(b"{\n"), (Some(1), Some(2)));
    assert_eq!(parse(b"[]").unwrap_err().path(), Some(""));
    assert_eq!(position(b"[]"), (Some(1), Some(1)));
    // A raw newline inside a string: the newline ending line 2 (after `"lead": "ab`) is at fault.
    assert!(matches!(
        parse(b"{\n\"lead\": \"ab\ncd\"}"),
        Err(Error::NotJson { .. })
    ));
    assert_eq!(position(b"{\n\"lead\": \"ab\ncd\"}"), (Some(2), Some(12)));
    // A value of the wrong type is pointed at where it starts, after a newline too.
    assert_eq!(position(b"{\"activity\": []}"), (Some(1), Some(14)));
    assert_eq!(position(b"{\"activity\":\n[]}"), (Some(2), Some(1)));
}

/// `TodoTime::from(NaiveTime)` wrote hours and minutes only: a time with seconds was written
/// as another time, and a payload holding it no longer read back equal to itself.
#[test]
fn todo_times_built_from_a_time_read_back_as_that_time() {
    let t = |h, m, s, ns| NaiveTime::from_hms_nano_opt(h, m, s, ns).unwrap();
    for (time, text) in [
        (t(14, 30, 0, 0), "14:30"),
        (t(14, 30, 5, 0), "14:30:05"),
        (t(14, 30, 5, 250_000_000), "14:30:05.250"),
        (t(8, 17, 54, 613_451_000), "08:17:54.613451"),
        (t(23, 59, 59, 1_500_000_000), "23:59:60.500"),
    ] {
        let todo = TodoTime::from(time);
        assert_eq!(todo.as_str(), text);
        assert_eq!(todo.value(), Some(&time));
        assert_eq!(TodoTime::new(text), todo, "{text}");
    }
    let mut body = base();
    body["activity"] = json!({"_id": "a", "created_at": "2014-01-10T09:37:58Z",
        "type": "todo:time_changed", "todo_name": "Call", "todo_time": "09:00"});
    let mut payload = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    if let ActivityKind::TodoTimeChanged(TodoTimeChanged { todo_time, .. }) =
        &mut payload.activity.kind
    {
        *todo_time = TodoTime::from(t(9, 0, 30, 0));
    }
    assert_eq!(round_trip(&payload), payload);
}
