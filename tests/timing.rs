//! The key check takes the same time wherever a wrong key differs from the expected one.
//!
//! `#[ignore]`d: it measures, so it needs an optimised build. CI runs it with
//! `cargo test --release -- --ignored`; to see the figures:
//! `cargo test --release --test timing -- --ignored --nocapture`.
//!
//! Robust on a shared machine: the two cases run in alternating batches (ABAB..., then
//! BABA...), each batch's mean is one sample, each run compares the medians of its samples,
//! and the verdict is the median over several runs. A deliberately leaky comparison, measured
//! the same way, shows that the method sees a difference when there is one.

use std::hint::black_box;
use std::time::Instant;

use clinchpad_webhook::{verify_key, Error};

/// The expected key: 32 bytes.
const EXPECTED: &str = "Zq4v9Xb2Lm7Tc1Rk8Wp3Hs6Jd0Fg5NyQ";
/// Calls per batch, and batches per case per run: 200 000 calls per case per run.
const BATCH: usize = 1_000;
const BATCHES: usize = 200;
/// Independent runs; the verdict is their median.
const RUNS: usize = 7;
/// The largest relative difference between the two cases' median batch means that passes.
const NOISE: f64 = 0.05;

/// `EXPECTED` with the byte at `at` changed.
fn differing_at(at: usize) -> String {
    let mut bytes = EXPECTED.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
    String::from_utf8(bytes).unwrap()
}

/// An early-exit comparison, as a naive `==` on bytes would be: the control.
fn leaky_check(received: &str, expected: &str) -> Result<(), Error> {
    let (a, b) = (received.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return Err(Error::WrongKey);
    }
    for i in 0..a.len() {
        if black_box(a[i]) != black_box(b[i]) {
            return Err(Error::WrongKey);
        }
    }
    Ok(())
}

type Check = fn(&str, &str) -> Result<(), Error>;

fn crate_check(received: &str, expected: &str) -> Result<(), Error> {
    verify_key(Some(received), expected)
}

/// Mean time per call, in nanoseconds, of one batch.
fn batch_mean(check: Check, received: &str) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        let result = check(black_box(received), black_box(EXPECTED));
        black_box(result).unwrap_err();
    }
    start.elapsed().as_secs_f64() * 1e9 / BATCH as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// One run: medians of the batch means of `a` and `b`, in alternating batches.
fn run(check: Check, a: &str, b: &str) -> (f64, f64) {
    let (mut a_means, mut b_means) = (Vec::with_capacity(BATCHES), Vec::with_capacity(BATCHES));
    for i in 0..BATCHES {
        if i % 2 == 0 {
            a_means.push(batch_mean(check, a));
            b_means.push(batch_mean(check, b));
        } else {
            b_means.push(batch_mean(check, b));
            a_means.push(batch_mean(check, a));
        }
    }
    (median(&mut a_means), median(&mut b_means))
}

/// Median over `RUNS` runs of the relative difference between `a` and `b`, with the figures.
fn compare(label: &str, check: Check, a: &str, b: &str) -> f64 {
    // Warm up caches, branch predictors and the CPU's clock.
    run(check, a, b);
    let mut differences = Vec::with_capacity(RUNS);
    let (mut a_all, mut b_all) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (a_ns, b_ns) = run(check, a, b);
        differences.push((a_ns - b_ns).abs() / a_ns.min(b_ns));
        a_all.push(a_ns);
        b_all.push(b_ns);
    }
    let difference = median(&mut differences.clone());
    eprintln!(
        "{label}: first byte differs {:.2} ns/call, last byte differs {:.2} ns/call \
         (medians of {RUNS} runs x {BATCHES} batches x {BATCH} calls each); \
         relative difference per run {:.2?} %, median {:.2} %",
        median(&mut a_all),
        median(&mut b_all),
        differences.iter().map(|d| d * 100.0).collect::<Vec<_>>(),
        difference * 100.0,
    );
    difference
}

#[test]
#[ignore = "timing measurement: needs a release build; CI runs it with --release --ignored"]
fn a_wrong_key_takes_as_long_to_reject_wherever_it_differs() {
    assert_eq!(EXPECTED.len(), 32);
    let (first, last) = (differing_at(0), differing_at(31));
    assert_eq!(verify_key(Some(&first), EXPECTED), Err(Error::WrongKey));
    assert_eq!(verify_key(Some(&last), EXPECTED), Err(Error::WrongKey));
    assert_eq!(leaky_check(&first, EXPECTED), Err(Error::WrongKey));
    assert_eq!(leaky_check(EXPECTED, EXPECTED), Ok(()));

    let control = compare(
        "early-exit comparison (control)",
        leaky_check,
        &first,
        &last,
    );
    let verify = compare("verify_key", crate_check, &first, &last);
    assert!(
        control > 4.0 * NOISE,
        "the measurement cannot see an early exit ({:.2} %): its verdict on verify_key means nothing",
        control * 100.0
    );
    assert!(
        verify < NOISE,
        "verify_key's time depends on where the keys differ: {:.2} % apart (bound {:.0} %)",
        verify * 100.0,
        NOISE * 100.0
    );
}
