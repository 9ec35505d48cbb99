//! Any bytes: `parse` returns, and every error says where, inside the body.
//! The check itself is in `tests/oracles/mod.rs`, shared with the regression tests.
#![no_main]

// Each target runs one of the checks.
#[allow(dead_code)]
#[path = "../../tests/oracles/mod.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::check_parse(data));
