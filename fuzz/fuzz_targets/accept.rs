//! `Receiver::accept` never takes what `receive` and a reading of the key refuse, never
//! refuses a sound, keyed body, and says the same of what it takes as `receive` does.
//! The check itself is in `tests/oracles/mod.rs`, shared with the regression tests.
#![no_main]

// Each target runs one of the checks.
#[allow(dead_code)]
#[path = "../../tests/oracles/mod.rs"]
mod oracles;

libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::check_accept(data));
