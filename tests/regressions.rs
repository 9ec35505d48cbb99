//! Inputs that once broke a property checked in `tests/properties.rs`, kept as plain tests.

use clinchpad_webhook::{parse, Payload};
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
