//! Parses the 33 type fixtures 2000 times with one parser, for a profiler to count:
//!
//! ```sh
//! cargo build --release --manifest-path benches/Cargo.toml --example profile
//! valgrind --tool=callgrind benches/target/release/examples/profile parse
//! valgrind --tool=callgrind benches/target/release/examples/profile ignored_any
//! ```
//!
//! The parser is `parse` (the crate's), `value` (`serde_json::Value`) or `ignored_any`
//! (`serde::de::IgnoredAny`). Instruction counts, unlike times, do not depend on what else
//! the machine is doing.

use std::hint::black_box;
use std::process::ExitCode;

use clinchpad_webhook::ActivityType;
use serde::de::IgnoredAny;

fn main() -> ExitCode {
    let parser: fn(&[u8]) = match std::env::args().nth(1).as_deref() {
        Some("parse") => |body| {
            black_box(clinchpad_webhook::parse(body).unwrap());
        },
        Some("value") => |body| {
            black_box(serde_json::from_slice::<serde_json::Value>(body).unwrap());
        },
        Some("ignored_any") => |body| {
            black_box(serde_json::from_slice::<IgnoredAny>(body).unwrap());
        },
        _ => {
            eprintln!("usage: profile parse|value|ignored_any");
            return ExitCode::from(2);
        }
    };
    let bodies: Vec<Vec<u8>> = ActivityType::ALL
        .iter()
        .map(|t| {
            let name = t.as_str().replace(':', "_");
            let path = format!("{}/../fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
            std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
        })
        .collect();
    for _ in 0..2000 {
        for body in &bodies {
            parser(black_box(body));
        }
    }
    ExitCode::SUCCESS
}
