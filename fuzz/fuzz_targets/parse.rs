//! Any bytes: `parse` returns, and every error says where, inside the body.
#![no_main]

use clinchpad_webhook::{parse, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Err(err) = parse(body) else { return };
    let (Some(line), Some(column)) = (err.line(), err.column()) else {
        panic!("a data error without a position: {err:?}");
    };
    // Lines and columns are one-based and point into the body (or just past its last byte).
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    assert!(
        line >= 1 && line <= lines.len(),
        "line {line} of {}: {err}",
        lines.len()
    );
    let width = lines[line - 1].len();
    assert!(
        column >= 1 && column <= width + 1,
        "column {column} of {width}: {err}"
    );
    assert_eq!(
        err.path().is_some(),
        matches!(err, Error::InvalidPayload { .. })
    );
    assert!(!err.is_key_error(), "parse checked a key: {err}");
});
