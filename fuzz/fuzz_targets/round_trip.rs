//! Whatever parses serializes to a body that parses back equal, and serializing is stable.
#![no_main]

use clinchpad_webhook::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(payload) = parse(body) else { return };
    let wire = serde_json::to_vec(&payload).expect("a parsed payload serializes");
    let again = match parse(&wire) {
        Ok(again) => again,
        Err(err) => panic!("{err}\n{}", String::from_utf8_lossy(&wire)),
    };
    assert_eq!(again, payload);
    assert_eq!(serde_json::to_vec(&again).unwrap(), wire);
});
