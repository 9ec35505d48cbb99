//! Parse speed, side by side with the obvious alternatives on the same bytes:
//! `serde_json::Value` (the generic parse a user would write first) and
//! `serde::de::IgnoredAny` (syntax check only: the floor for anything built on serde_json).
//!
//! `cargo bench --bench parse` runs the groups and prints the ratios at the end.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use clinchpad_webhook::ActivityType;
use criterion::{BenchmarkId, Criterion, Throughput};
use serde::de::IgnoredAny;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn type_fixtures() -> Vec<Vec<u8>> {
    ActivityType::ALL
        .iter()
        .map(|t| fixture(&t.as_str().replace(':', "_")))
        .collect()
}

/// A `note:created` payload whose `note_content` is about `size` bytes of prose.
fn note_payload(size: usize) -> Vec<u8> {
    let line = "Called back about the renewal; they want the \"pro\" plan, net 30.\n";
    let note: String = line.chars().cycle().take(size).collect();
    let mut payload: serde_json::Value = serde_json::from_slice(&fixture("note_created")).unwrap();
    payload["activity"]["note_content"] = note.into();
    serde_json::to_vec(&payload).unwrap()
}

/// The three parsers of every comparison, over a set of bodies parsed in turn.
fn compare(c: &mut Criterion, group: &str, bodies: &[Vec<u8>]) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(
        bodies.iter().map(|b| b.len() as u64).sum(),
    ));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for body in bodies {
                black_box(clinchpad_webhook::parse(black_box(body)).unwrap());
            }
        })
    });
    group.bench_function("value", |b| {
        b.iter(|| {
            for body in bodies {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap());
            }
        })
    });
    group.bench_function("ignored_any", |b| {
        b.iter(|| {
            for body in bodies {
                black_box(serde_json::from_slice::<IgnoredAny>(black_box(body)).unwrap());
            }
        })
    });
    group.finish();
}

fn size_series(c: &mut Criterion) {
    let mut group = c.benchmark_group("note_size");
    for (label, size) in [("10KB", 10 * 1024), ("1MB", 1024 * 1024)] {
        let body = note_payload(size);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", label), &body, |b, body| {
            b.iter(|| black_box(clinchpad_webhook::parse(black_box(body)).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("value", label), &body, |b, body| {
            b.iter(|| {
                black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap())
            })
        });
    }
    group.finish();
}

/// Median of one benchmark, in nanoseconds, from criterion's saved estimates.
fn median(id: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // the bench runs from target/release/deps/
            std::env::current_exe()
                .unwrap()
                .ancestors()
                .nth(3)
                .unwrap()
                .to_path_buf()
        });
    let path = target.join("criterion").join(id).join("new/estimates.json");
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn print_ratios() {
    println!("\nRatios of medians from this run (lower is faster):\n");
    println!("| input | parse / Value | parse / IgnoredAny | target |");
    println!("|---|---|---|---|");
    for (group, label) in [
        ("fixtures_33", "33 type fixtures"),
        ("doc_example", "documentation example"),
    ] {
        let times = ["parse", "value", "ignored_any"].map(|f| median(&format!("{group}/{f}")));
        if let [Some(parse), Some(value), Some(ignored)] = times {
            println!(
                "| {label} | {:.2}x | {:.2}x | ≤ 0.50x and ≤ 2.50x |",
                parse / value,
                parse / ignored
            );
        }
    }
    let sizes = [10 * 1024, 1024 * 1024].map(|s| note_payload(s).len() as f64);
    if let (Some(small), Some(large)) = (
        median("note_size/parse/10KB"),
        median("note_size/parse/1MB"),
    ) {
        let ratio = (large / sizes[1]) / (small / sizes[0]);
        println!("\nper-byte time, 1 MB note vs 10 KB note: {ratio:.2}x (target ≤ 1.50x)");
        println!(
            "  10 KB: {:.3} ns/byte, 1 MB: {:.3} ns/byte",
            small / sizes[0],
            large / sizes[1]
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    compare(&mut c, "fixtures_33", &type_fixtures());
    compare(&mut c, "doc_example", &[fixture("doc_example")]);
    size_series(&mut c);
    c.final_summary();
    print_ratios();
}
