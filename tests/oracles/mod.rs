//! What must hold for any input whatever: the checks of the fuzz targets (`fuzz/`), shared with
//! `tests/fuzz_regressions.rs`, which runs them on every input a fuzz target once failed on,
//! and with `tests/properties.rs`. Each check panics, with the reason, when its property does
//! not hold.

use clinchpad_webhook::{parse, parse_verified, Error, Payload};

/// `parse` returns, and every error says where: a one-based line and column inside the body
/// (or just past its last byte), a path exactly for `InvalidPayload`, never a key error.
pub fn check_parse(body: &[u8]) {
    let Err(err) = parse(body) else { return };
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
/// gives the same bytes.
pub fn check_round_trip(body: &[u8]) {
    if let Ok(payload) = parse(body) {
        check_payload_round_trip(&payload);
    }
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
