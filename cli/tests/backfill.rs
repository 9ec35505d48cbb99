//! `backfill`, the built command against a local double of ClinchPad's REST API: what was
//! missed is recovered into the inbox, the key is never shown, a refused or missing key
//! stops it with status 2, a spent budget with 1 and the next run goes on, `--every` runs
//! again until SIGTERM.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use clinchpad_webhook::{ActivityType, Lead, Payload};
use clinchpad_webhook_api::testing::ApiDouble;
use common::{command, temp_file, text, PATIENCE};

const API_KEY: &str = "3c5e1f0a9b8d7c6e5f4a3b2c1d0e9f8a";

fn newest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// `count` activities a minute apart from the newest back, on `leads` leads.
async fn double(count: u64, leads: u64) -> ApiDouble {
    let double = ApiDouble::start(API_KEY).await;
    for n in 0..count {
        let at = newest() - chrono::Duration::minutes(n as i64);
        let kind = ActivityType::ALL[(n % 33) as usize];
        let lead = Lead::new(
            format!("{:08x}{:016x}", 0x6900_0000u32, n % leads),
            format!("Lead {}", n % leads),
        );
        double.add(
            &Payload::sample(kind)
                .with_activity_id(format!("{:08x}{:016x}", at.timestamp() as u32, n))
                .with_created_at(at)
                .with_lead(lead),
        );
    }
    double
}

fn store(name: &str) -> String {
    let file = temp_file(&format!("{name}.db"));
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    format!("sqlite://{}", file.display())
}

/// Asserts that no secret is in the store's files: the database, nor its write-ahead log, which
/// holds what the command committed until SQLite copies it into the database.
fn assert_on_disk_nowhere(store: &str, secrets: &[&str]) {
    let file = store.trim_start_matches("sqlite://");
    for path in [file.to_string(), format!("{file}-wal")] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let bytes = String::from_utf8_lossy(&bytes);
        assert!(
            !secrets.iter().any(|secret| bytes.contains(secret)),
            "a secret in {path}"
        );
    }
}

/// Runs the command with the API key in `$CLINCHPAD_API_KEY` (when given), off the runtime
/// that serves the double.
async fn backfill(args: &[&str], api_key: Option<&str>) -> Output {
    backfill_with(args, api_key, None).await
}

/// [`backfill`], with a handshake key in `$CLINCHPAD_HANDSHAKE_KEY` too.
async fn backfill_with(
    args: &[&str],
    api_key: Option<&str>,
    handshake_key: Option<&str>,
) -> Output {
    let mut full = vec!["backfill"];
    full.extend_from_slice(args);
    let mut command = command(&full, handshake_key);
    if let Some(key) = api_key {
        command.env("CLINCHPAD_API_KEY", key);
    }
    tokio::task::spawn_blocking(move || {
        let child = command.spawn().expect("the command starts");
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(child.wait_with_output()));
        wait.recv_timeout(PATIENCE)
            .expect("it ends in time")
            .expect("its output")
    })
    .await
    .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("{}", text(output)));
    serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {}", text(output)))
}

fn inbox_count(store: &str) -> usize {
    let listed = common::run(
        &[
            "inbox", "--store", store, "list", "--limit", "10000", "--json",
        ],
        None,
        b"",
    );
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
    String::from_utf8_lossy(&listed.stdout).lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_recovers_what_was_missed_and_says_so_without_the_key() {
    let double = double(120, 30).await;
    let store = store("backfill-recovers");
    let url = double.url();
    let since = (newest() - chrono::Duration::hours(3)).to_rfc3339();
    let args = [
        "--store",
        &store,
        "--api-url",
        &url,
        "--since",
        &since,
        "--json",
    ];
    let first = backfill(&args, Some(API_KEY)).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let report = json(&first);
    assert_eq!(report["event"], "backfill", "{report}");
    assert_eq!(report["finished"], true, "{report}");
    assert_eq!(report["recovered"], 120, "{report}");
    assert_eq!(report["leads_read"], 30, "{report}");
    assert_eq!(report["calls"], double.calls(), "{report}");
    assert!(!text(&first).contains(API_KEY), "{}", text(&first));
    assert_eq!(inbox_count(&store), 120);

    let listed = common::run(
        &["inbox", "--store", &store, "list", "--limit", "1", "--json"],
        None,
        b"",
    );
    let entry: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(entry["recovered_at"].is_i64(), "{entry}");

    // Again, for people: nothing more to recover.
    let again = backfill(&args[..6], Some(API_KEY)).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.starts_with("backfill: 120 seen, 120 already stored, 0 recovered"),
        "{said}"
    );
    assert_eq!(inbox_count(&store), 120);
    assert_on_disk_nowhere(&store, &[API_KEY]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_exits_2_with_a_message_that_never_quotes_it() {
    let double = double(10, 5).await;
    let store = store("backfill-refused");
    let url = double.url();
    let wrong = "0f9e8d7c6b5a49382716a5b4c3d2e1f0";
    let output = backfill(&["--store", &store, "--api-url", &url], Some(wrong)).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("refused the API key (401"), "{said}");
    assert!(!said.contains(wrong), "{said}");
    assert_eq!(double.refused(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_key_fails_closed_before_any_call() {
    let double = double(10, 5).await;
    let store = store("backfill-no-key");
    let url = double.url();
    let args = ["--store", store.as_str(), "--api-url", url.as_str()];
    let unset = backfill(&args, None).await;
    assert_eq!(unset.status.code(), Some(2), "{}", text(&unset));
    assert!(
        text(&unset).contains("set CLINCHPAD_API_KEY"),
        "{}",
        text(&unset)
    );
    let empty = backfill(&args, Some("  ")).await;
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty));
    assert!(
        text(&empty).contains("CLINCHPAD_API_KEY is empty"),
        "{}",
        text(&empty)
    );
    let file = temp_file("empty-api-key");
    std::fs::write(&file, "\n").unwrap();
    let path = file.display().to_string();
    let mut with_file = args.to_vec();
    with_file.extend(["--api-key-file", &path]);
    let from_file = backfill(&with_file, None).await;
    assert_eq!(from_file.status.code(), Some(2), "{}", text(&from_file));
    assert!(
        text(&from_file).contains("is empty"),
        "{}",
        text(&from_file)
    );
    assert_eq!(double.calls(), 0);

    // The key from a file, with its newline, works.
    std::fs::write(&file, format!("{API_KEY}\n")).unwrap();
    let read = backfill(&with_file, None).await;
    assert_eq!(read.status.code(), Some(0), "{}", text(&read));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_exits_1_and_the_next_run_goes_on() {
    let double = double(120, 30).await;
    let store = store("backfill-budget");
    let url = double.url();
    let args = [
        "--store",
        &store,
        "--api-url",
        &url,
        "--since",
        "2026-11-30",
        "--budget",
        "20",
        "--json",
    ];
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 20, "no end after {runs} runs");
        let output = backfill(&args, Some(API_KEY)).await;
        let report = json(&output);
        match output.status.code() {
            Some(0) => {
                assert_eq!(report["finished"], true, "{report}");
                break;
            }
            Some(1) => {
                assert_eq!(report["finished"], false, "{report}");
                assert!(report["calls"].as_u64().unwrap() <= 20, "{report}");
                assert!(
                    text(&output).contains("run it again to go on"),
                    "{}",
                    text(&output)
                );
            }
            other => panic!("{other:?}: {}", text(&output)),
        }
    }
    assert!(runs >= 2, "{runs}");
    assert_eq!(inbox_count(&store), 120);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_runs_again_until_sigterm() {
    let double = double(10, 5).await;
    let store = store("backfill-every");
    let url = double.url();
    let mut command = command(
        &[
            "backfill",
            "--store",
            &store,
            "--api-url",
            &url,
            "--every",
            "1s",
            "--json",
        ],
        None,
    );
    command.env("CLINCHPAD_API_KEY", API_KEY);
    let child = command.spawn().unwrap();
    let started = Instant::now();
    while double.activity_list_calls() < 3 {
        assert!(started.elapsed() < PATIENCE, "it did not run again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: kill(2) on the child's own pid, which it still has (not yet waited for).
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().count() >= 2, "{stdout}");
    assert!(text(&output).contains("stopped"), "{}", text(&output));
    assert_eq!(inbox_count(&store), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_quoted_in_an_activity_is_stored_masked() {
    let double = double(0, 1).await;
    let handshake_key = "gfhkd1asfsa";
    let sample = Payload::sample(ActivityType::NoteCreated).with_created_at(newest());
    let mut note = clinchpad_webhook_api::testing::rest_activity(&sample);
    note["note_content"] = format!("pasted by mistake: {handshake_key} and {API_KEY}").into();
    double.add_raw(note);
    double.set_lead(clinchpad_webhook_api::testing::rest_lead(&sample));
    let store = store("backfill-masked");
    let url = double.url();
    let args = [
        "--store",
        store.as_str(),
        "--api-url",
        url.as_str(),
        "--since",
        "2026-11-01",
    ];
    let output = backfill_with(&args, Some(API_KEY), Some(handshake_key)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(inbox_count(&store), 1);
    let body: String = {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&store).await.unwrap();
        sqlx::query_scalar("SELECT body FROM clinchpad_deliveries")
            .fetch_one(&mut connection)
            .await
            .unwrap()
    };
    assert!(
        body.contains("pasted by mistake: *** and ***"),
        "the note is stored, masked: {body}"
    );
    assert_on_disk_nowhere(&store, &[handshake_key, API_KEY]);
}
