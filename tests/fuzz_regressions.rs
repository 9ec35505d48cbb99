//! Every input a fuzz target (`fuzz/`) once failed on, kept in `tests/fuzz_regressions/TARGET/`
//! and checked here with that target's own check (`tests/oracles/mod.rs`), and with the others.
//!
//! - `parse_verified/number_body_quoted_in_error`: a body that is a bare number, `8888…777`,
//!   with the expected key `8.88888888888888`. The error quotes the number as serde_json writes
//!   it, `8.888888888888889e+45`, which holds the key's text: an early version of the target
//!   took that for a leak of the expected key. `parse_verified` never quotes the expected key
//!   (its errors are `parse`'s or fixed texts, which the check asserts), so the check now
//!   watches what can leak: the received key, quoted in an error about `handshake_key`.

mod oracles;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 4] = [
    ("parse", oracles::check_parse),
    ("parse_verified", oracles::check_parse_verified),
    ("round_trip", oracles::check_round_trip),
    ("accept", oracles::check_accept),
];

#[test]
fn every_input_a_fuzz_target_failed_on_now_passes_every_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut checked = 0;
    for (target, _) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            for (name, check) in TARGETS {
                let outcome = std::panic::catch_unwind(|| check(&input));
                assert!(outcome.is_ok(), "{}: check {name} fails", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no regression inputs under {}", root.display());
}

/// The received key, sent as a value of the wrong type, is never quoted in the error.
#[test]
fn the_received_key_is_not_quoted_when_it_is_the_wrong_type() {
    for key in [
        "123456789",
        "12345.5",
        "true",
        "[\"s3cr3t-key\"]",
        "{\"k\": \"s3cr3t-key\"}",
    ] {
        let body = format!(
            r#"{{"activity": {{"_id": "a", "type": "lead:won", "created_at": "2014-01-10T09:37:58Z"}},
                "lead": {{"_id": "l", "name": "n"}}, "handshake_key": {key}}}"#
        );
        let err = clinchpad_webhook::parse(body.as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some("handshake_key"), "{key}: {err}");
        assert!(!err.to_string().contains("s3cr3t"), "{key}: {err}");
        oracles::check_parse(body.as_bytes());
    }
}
