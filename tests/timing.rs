//! The key check takes the same time wherever a wrong key differs from the expected one, and,
//! with several keys configured (to change the key without downtime), whichever key matched.
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

use clinchpad_webhook::{verify_key, Error, HandshakeKey};

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

/// A key check, given the received key.
type Check<'a> = &'a dyn Fn(&str) -> Result<(), Error>;

/// Mean time per call, in nanoseconds, of one batch.
fn batch_mean(check: Check, received: &str) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        let _ = black_box(check(black_box(received)));
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
fn compare(label: &str, cases: (&str, &str), check: Check, a: &str, b: &str) -> f64 {
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
        "{label}: {} {:.2} ns/call, {} {:.2} ns/call \
         (medians of {RUNS} runs x {BATCHES} batches x {BATCH} calls each); \
         relative difference per run {:.2?} %, median {:.2} %",
        cases.0,
        median(&mut a_all),
        cases.1,
        median(&mut b_all),
        differences.iter().map(|d| d * 100.0).collect::<Vec<_>>(),
        difference * 100.0,
    );
    difference
}

/// The two cases of the single-key measurement.
const WHERE: (&str, &str) = ("first byte differs", "last byte differs");

#[test]
#[ignore = "timing measurement: needs a release build; CI runs it with --release --ignored"]
fn a_wrong_key_takes_as_long_to_reject_wherever_it_differs() {
    assert_eq!(EXPECTED.len(), 32);
    let (first, last) = (differing_at(0), differing_at(31));
    let leaky = |received: &str| leaky_check(received, EXPECTED);
    let crate_check = |received: &str| verify_key(Some(received), EXPECTED);
    assert_eq!(crate_check(&first), Err(Error::WrongKey));
    assert_eq!(crate_check(&last), Err(Error::WrongKey));
    assert_eq!(leaky(&first), Err(Error::WrongKey));
    assert_eq!(leaky(EXPECTED), Ok(()));

    let control = compare(
        "early-exit comparison (control)",
        WHERE,
        &leaky,
        &first,
        &last,
    );
    let verify = compare("verify_key", WHERE, &crate_check, &first, &last);
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

/// Three configured keys of 32 bytes, as a receiver holds them while the key changes. They
/// differ in their last byte only, so that a check that stops at the first match takes about
/// three times as long to find the last as the first.
fn rotation_keys() -> [String; 3] {
    [
        EXPECTED.to_owned(),
        differing_at(31),
        format!("{}a", &EXPECTED[..31]),
    ]
}

/// A check of several keys that stops at the first match, as `keys.iter().any(..)` with a
/// naive comparison would: the control.
fn leaky_keys(received: &str, keys: &[String]) -> Result<(), Error> {
    for key in keys {
        if leaky_check(received, key).is_ok() {
            return Ok(());
        }
    }
    Err(Error::WrongKey)
}

#[test]
#[ignore = "timing measurement: needs a release build; CI runs it with --release --ignored"]
fn with_several_keys_the_time_shows_neither_which_matched_nor_where_a_wrong_one_differs() {
    let texts = rotation_keys();
    let keys: Vec<HandshakeKey> = texts
        .iter()
        .map(|k| HandshakeKey::new(k.as_str()).unwrap())
        .collect();
    let crate_check = |received: &str| verify_key(Some(received), &keys);
    let leaky = |received: &str| leaky_keys(received, &texts);
    for key in &texts {
        assert_eq!(crate_check(key), Ok(()));
        assert_eq!(leaky(key), Ok(()));
    }

    // Which key matched: the first configured one, or the last.
    let which = ("the first key matches", "the last key matches");
    let control = compare(
        "first-match check (control)",
        which,
        &leaky,
        &texts[0],
        &texts[2],
    );
    let matched = compare(
        "verify_key, three keys",
        which,
        &crate_check,
        &texts[0],
        &texts[2],
    );
    assert!(
        control > 4.0 * NOISE,
        "the measurement cannot see a first-match exit ({:.2} %): its verdict means nothing",
        control * 100.0
    );
    assert!(
        matched < NOISE,
        "which key matched shows in the time: {:.2} % apart (bound {:.0} %)",
        matched * 100.0,
        NOISE * 100.0
    );

    // Where a wrong key differs, with three keys to compare it with.
    let (first, last) = (differing_at(0), differing_at(31));
    assert_eq!(crate_check(&first), Err(Error::WrongKey));
    let wrong = compare(
        "verify_key, three keys, wrong key",
        WHERE,
        &crate_check,
        &first,
        &last,
    );
    assert!(
        wrong < NOISE,
        "where a wrong key differs shows in the time: {:.2} % apart (bound {:.0} %)",
        wrong * 100.0,
        NOISE * 100.0
    );
}
