//! Parse speed, side by side with the obvious alternatives on the same bytes:
//! `serde_json::Value` (the generic parse a user would write first) and
//! `serde::de::IgnoredAny` (syntax check only: the floor for anything built on serde_json).
//!
//! `Receiver::receive` and `Receiver::accept` are measured too, on bodies that fit: the
//! tolerant path must cost what the strict one costs.
//!
//! `cargo bench --manifest-path benches/Cargo.toml` (from the repository's root) runs the
//! criterion groups, then measures the ratios the crate's targets are stated in, in pairs (see
//! `paired`), and prints them as a table.

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::sync::OnceLock;

use clinchpad_webhook::{ActivityType, HandshakeKey, Receiver};
use criterion::{BenchmarkId, Criterion, Throughput};
use serde::de::IgnoredAny;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
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
    group.bench_function("receive", |b| {
        b.iter(|| {
            for body in bodies {
                run_receive(black_box(body));
            }
        })
    });
    group.bench_function("accept", |b| {
        b.iter(|| {
            for body in bodies {
                run_accept(black_box(body));
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

/// Nanoseconds to run `f` over every body `reps` times.
fn time(bodies: &[Vec<u8>], reps: usize, f: fn(&[u8])) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        for body in bodies {
            f(black_box(body));
        }
    }
    start.elapsed().as_nanos() as f64
}

fn run_parse(body: &[u8]) {
    black_box(clinchpad_webhook::parse(body).unwrap());
}

fn run_value(body: &[u8]) {
    black_box(serde_json::from_slice::<serde_json::Value>(body).unwrap());
}

fn run_ignored(body: &[u8]) {
    black_box(serde_json::from_slice::<IgnoredAny>(body).unwrap());
}

/// The receiver of `run_receive` and `run_accept`: the fixtures' key, the default limit.
fn receiver() -> &'static Receiver {
    static RECEIVER: OnceLock<Receiver> = OnceLock::new();
    RECEIVER.get_or_init(|| Receiver::new(HandshakeKey::new("gfhkd1asfsa").unwrap()))
}

fn run_receive(body: &[u8]) {
    black_box(receiver().receive(None, body).unwrap());
}

/// `accept` on a body that fits: `receive`, with the body kept in the delivery.
fn run_accept(body: &[u8]) {
    let delivery = receiver().accept(None, body).unwrap();
    assert!(delivery.is_typed());
    black_box(delivery);
}

/// The least a typed parse of the documentation example can do: a plain derive of its
/// shape, every field a `String`, nothing kept, nothing checked (no duplicate keys, no
/// timestamps, no paths in errors). A reference for the ratios, not a contender.
// The fields are only ever written, by the deserializer.
#[allow(dead_code)]
fn run_bare_derive(body: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Named {
        _id: String,
        name: String,
        photo_url: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Activity {
        _id: String,
        created_at: String,
        note_content: String,
        r#type: String,
        user: Option<Named>,
    }
    #[derive(serde::Deserialize)]
    struct Lead {
        _id: String,
        name: String,
        stage: Option<Named>,
        pipe: Option<Named>,
    }
    #[derive(serde::Deserialize)]
    struct Payload {
        activity: Activity,
        lead: Lead,
        handshake_key: Option<String>,
    }
    let text = std::str::from_utf8(body).unwrap();
    black_box(serde_json::from_str::<Payload>(text).unwrap());
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Ratios measured in pairs: each round times the contenders back to back (in rotating
/// order) on the same bytes, and the median of the per-round ratios is reported. On a shared
/// machine, load that comes and goes hits both sides of a ratio alike.
fn paired(bodies: &[Vec<u8>], contenders: &[fn(&[u8])]) -> Vec<f64> {
    const ROUNDS: usize = 301;
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    // About 2 ms per contender per round.
    let reps = (2_000_000 / bytes.max(1)).max(1);
    let mut times = vec![Vec::with_capacity(ROUNDS); contenders.len()];
    for round in 0..ROUNDS {
        for i in 0..contenders.len() {
            let which = (round + i) % contenders.len();
            times[which].push(time(bodies, reps, contenders[which]));
        }
    }
    (1..contenders.len())
        .map(|other| median((0..ROUNDS).map(|r| times[0][r] / times[other][r]).collect()))
        .collect()
}

fn print_ratios() {
    println!("\nRatios measured in pairs (median of 301 rounds; lower is faster):\n");
    println!("| input | parse / Value | parse / IgnoredAny |");
    println!("|---|---|---|");
    let inputs = [
        ("33 type fixtures", type_fixtures()),
        ("documentation example", vec![fixture("doc_example")]),
    ];
    for (label, bodies) in inputs {
        let ratios = paired(&bodies, &[run_parse, run_value, run_ignored]);
        println!("| {label} | {:.2}x | {:.2}x |", ratios[0], ratios[1]);
    }
    println!("| target | ≤ 0.50x | ≤ 2.50x |");

    let doc = [fixture("doc_example")];
    let floor = paired(&doc, &[run_bare_derive, run_value, run_ignored]);
    println!(
        "| reference: bare derive of the documentation example's shape | {:.2}x | {:.2}x |",
        floor[0], floor[1]
    );

    // The tolerant path, on bodies that fit: the same work as the strict one, and the body
    // kept. The receiver's own work over parse's, for scale.
    println!("\n| input | accept / receive | receive / parse |");
    println!("|---|---|---|");
    for (label, bodies) in [
        ("33 type fixtures", type_fixtures()),
        ("documentation example", vec![fixture("doc_example")]),
    ] {
        let ratios = paired(&bodies, &[run_receive, run_accept, run_parse]);
        println!("| {label} | {:.2}x | {:.2}x |", 1.0 / ratios[0], ratios[1]);
    }

    for (label, small, large, rounds, target) in [
        ("1 MB note vs 10 KB note", 10 * 1024, 1024 * 1024, 101, "target ≤ 1.50x"),
        (
            "50 MB note vs 50 KB note",
            50_000,
            50_000_000,
            15,
            "no target: over 32 MiB, each parse gets fresh pages from the kernel, zeroed on first touch",
        ),
    ] {
        let per_byte = per_byte_ratio(&note_payload(small), &note_payload(large), rounds);
        println!("per-byte parse time, {label}: {per_byte:.2}x ({target})");
    }
}

/// Per-byte time of parsing `large` over that of parsing `small`: each round times one parse
/// of `large` and as many of `small` as make the same number of bytes, in alternating order,
/// and the median of the rounds' ratios is returned.
fn per_byte_ratio(small: &[u8], large: &[u8], rounds: usize) -> f64 {
    let small_copies = vec![small.to_vec(); large.len() / small.len()];
    let small_bytes: usize = small_copies.iter().map(Vec::len).sum();
    let large = [large.to_vec()];
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (large_ns, small_ns) = if round % 2 == 0 {
            let l = time(&large, 1, run_parse);
            (l, time(&small_copies, 1, run_parse))
        } else {
            let s = time(&small_copies, 1, run_parse);
            (time(&large, 1, run_parse), s)
        };
        ratios.push((large_ns / large[0].len() as f64) / (small_ns / small_bytes as f64));
    }
    median(ratios)
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
