//! `parse_verified` agrees with `parse` followed by a plain comparison of the keys, and never
//! lets a key reach an error message.
//!
//! The input's first byte gives the length of the expected key, taken from the bytes after it;
//! the rest is the body.
#![no_main]

use clinchpad_webhook::{parse, parse_verified, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let len = usize::from(len % 48).min(rest.len());
    let (key, body) = rest.split_at(len);
    let Ok(key) = std::str::from_utf8(key) else {
        return;
    };

    let verified = parse_verified(body, key);
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
    assert_eq!(verified, expected);

    if let Err(err) = &verified {
        // A key of some length that the body does not hold cannot be quoted from it.
        let quoted = |text: &str| key.len() >= 6 && text.contains(key);
        let body_text = String::from_utf8_lossy(body);
        if !body_text.contains(key) {
            assert!(!quoted(&err.to_string()), "key in {err}");
            assert!(!quoted(&format!("{err:?}")), "key in {err:?}");
        }
    }
});
