//! `parse_verified` agrees with `parse` and a plain comparison of the keys.
//! The check itself is in `tests/oracles/mod.rs`, shared with the regression tests.
#![no_main]

// Each target runs one of the checks.
#[allow(dead_code)]
#[path = "../../tests/oracles/mod.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::check_parse_verified(data));
