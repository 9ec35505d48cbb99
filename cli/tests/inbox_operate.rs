//! `inbox list|retry|purge` by filter, `--dry-run` counting first, `inbox stats`, and `inbox
//! pause|resume` as a running worker sees them: the built command against an inbox the
//! library filled, on SQLite and PostgreSQL.

mod common;
#[path = "../../inbox/tests/common/postgres.rs"]
mod postgres;

use std::time::{Duration, Instant};

use clinchpad_webhook::{ActivityType, HandshakeKey, LeadId, Payload, Receiver};
use clinchpad_webhook_inbox::{Inbox, State};
use common::{get, run, temp_file, text};

const KEY: &str = "gfhkd1asfsa";

fn stores(name: &str) -> [String; 2] {
    let file = temp_file(&format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    [
        format!("sqlite://{}", file.display()),
        postgres::shared().fresh_database(&format!("cli_{}", name.replace('-', "_"))),
    ]
}

fn inbox(store: &str, args: &[&str]) -> std::process::Output {
    let mut full = vec!["inbox", "--store", store];
    full.extend_from_slice(args);
    run(&full, None, b"")
}

/// The one JSON line `args` print.
fn json(store: &str, args: &[&str]) -> serde_json::Value {
    let output = inbox(store, args);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn listed(store: &str, args: &[&str]) -> usize {
    let mut full = vec!["list", "--json", "--limit", "1000"];
    full.extend_from_slice(args);
    let output = inbox(store, &full);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
    String::from_utf8_lossy(&output.stdout).lines().count()
}

/// 20 `lead:moved` deliveries of lead-a that failed ("upstream Timeout"), dead; 10
/// `note:created` of lead-b, done.
async fn filled(store: &str) -> Inbox {
    let receiver = Receiver::new(HandshakeKey::new(KEY).unwrap());
    let inbox = Inbox::open(store).await.unwrap().masking_keys_of(&receiver);
    for n in 0..30 {
        let (kind, lead) = match n < 20 {
            true => (ActivityType::LeadMoved, "lead-a"),
            false => (ActivityType::NoteCreated, "lead-b"),
        };
        let mut payload = Payload::sample(kind).with_activity_id(format!("act-{n:02}"));
        payload.lead.id = LeadId::from(lead);
        inbox.store_payload(&payload, &receiver).await.unwrap();
    }
    let worker = inbox
        .worker(|payload: Payload| async move {
            match payload.activity.kind.activity_type() {
                // An error that quotes the key, as a careless handler's might.
                Some(ActivityType::LeadMoved) => Err(format!("upstream Timeout (key {KEY})")),
                _ => Ok::<(), String>(()),
            }
        })
        .max_attempts(1);
    for _ in 0..30 {
        worker.run_once().await.unwrap().unwrap();
    }
    inbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_and_purge_by_filter_count_first_and_say_what_they_changed() {
    for store in stores("inbox-bulk") {
        let _inbox = filled(&store).await;
        let store = store.as_str();
        assert_eq!(
            listed(store, &["--state", "dead", "--type", "lead:moved"]),
            20
        );
        assert_eq!(listed(store, &["--error", "TIMEOUT"]), 20);
        assert_eq!(
            listed(store, &["--lead", "lead-b", "--state", "done,dead"]),
            10
        );
        assert_eq!(
            listed(store, &["--since", "1h", "--type", "note:created"]),
            10
        );
        assert_eq!(listed(store, &["--until", "1h"]), 0);
        // What the filters list and count never shows the key an error quoted.
        for args in [
            &["list", "--error", "timeout", "--json"][..],
            &["list", "--state", "dead"],
            &["stats", "--json"],
        ] {
            let said = text(&inbox(store, args));
            assert!(
                said.contains("***") || args[0] == "stats",
                "{args:?}: {said}"
            );
            assert!(!said.contains(KEY), "{args:?}: {said}");
        }

        let counted = json(
            store,
            &["retry", "--type", "lead:moved", "--dry-run", "--json"],
        );
        assert_eq!(
            (counted["matched"].as_u64(), counted["retried"].as_u64()),
            (Some(20), Some(0))
        );
        assert_eq!(
            listed(store, &["--state", "dead"]),
            20,
            "a dry run changes nothing"
        );

        let retried = inbox(store, &["retry", "--type", "lead:moved", "--spread", "30s"]);
        assert_eq!(
            stdout(&retried),
            "20 deliveries due again, spread over 30s",
            "{}",
            text(&retried)
        );
        assert_eq!(listed(store, &["--state", "pending"]), 20);

        let stats = json(store, &["stats", "--json"]);
        assert_eq!(
            (
                stats["pending"].as_u64(),
                stats["done"].as_u64(),
                stats["dead"].as_u64()
            ),
            (Some(20), Some(10), Some(0))
        );
        assert!(stats["oldest_pending_age_ms"].as_i64().unwrap() >= 0);
        let people = stdout(&inbox(store, &["stats"]));
        assert!(people.contains("the oldest received"), "{people}");
        assert!(people.contains("paused   nothing"), "{people}");

        let purgeable = json(store, &["purge", "--state", "done", "--dry-run", "--json"]);
        assert_eq!(purgeable["matched"].as_u64(), Some(10));
        // Done a moment ago: not older than a day.
        let old = json(store, &["purge", "--older-than", "1d", "--json"]);
        assert_eq!(old["removed"].as_u64(), Some(0));
        let purged = inbox(store, &["purge", "--state", "done"]);
        assert_eq!(stdout(&purged), "10 deliveries removed");
        assert_eq!(listed(store, &[]), 20, "the pending ones are all there");
    }
}

#[test]
fn bulk_commands_refuse_what_would_lose_or_surprise() {
    let store = &stores("inbox-refusals")[0];
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(Inbox::open(store))
        .unwrap();
    for (args, says) in [
        (&["retry"][..], "which deliveries?"),
        (&["retry", "--state", "running"], "a worker has those"),
        (&["purge"], "which deliveries?"),
        (
            &["purge", "--state", "pending"],
            "has not been processed yet",
        ),
        (
            &["purge", "--older-than", "soon"],
            "give a number and a unit",
        ),
        (&["list", "--type", "lead:movd"], "lead:moved"),
        (
            &["list", "--since", "2d", "--until", "3d"],
            "before --until",
        ),
        (&["retry", "--dead", "--spread", "fast"], "--spread"),
        (&["pause", "--type", "moved"], "unknown activity type"),
    ] {
        let output = inbox(store, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
    // An undocumented type is taken as stored, and said so.
    let output = inbox(store, &["list", "--type", "lead:renamed"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("not a documented type"),
        "{}",
        text(&output)
    );
    // A name with a control character is shown escaped wherever it is printed: the warning,
    // the pause, the stats, the resume.
    let hostile = "lead:\u{1b}[2Jx";
    for args in [
        &["pause", "--type", hostile][..],
        &["stats"],
        &["resume", "--type", hostile],
    ] {
        let output = inbox(store, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        assert!(
            !text(&output).contains('\u{1b}'),
            "{args:?}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains("lead:"),
            "{args:?}: {}",
            text(&output)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_from_the_command_holds_a_running_worker_until_resumed() {
    for store in stores("inbox-pause") {
        let inbox_handle = Inbox::open(&store).await.unwrap();
        let paused = inbox(&store, &["pause", "--type", "lead:moved"]);
        assert_eq!(
            stdout(&paused),
            "paused: lead:moved; deliveries are still stored"
        );
        let stats = stdout(&inbox(&store, &["stats"]));
        assert!(stats.contains("paused   lead:moved (since"), "{stats}");

        let worker = inbox_handle
            .worker(|_: Payload| async { Ok::<(), String>(()) })
            .poll_interval(Duration::from_millis(100));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        let receiver = Receiver::new(HandshakeKey::new(KEY).unwrap());
        let moved = Payload::sample(ActivityType::LeadMoved).with_activity_id("held");
        inbox_handle.store_payload(&moved, &receiver).await.unwrap();
        let note = Payload::sample(ActivityType::NoteCreated).with_activity_id("goes");
        inbox_handle.store_payload(&note, &receiver).await.unwrap();
        let started = Instant::now();
        while inbox_handle.get("goes").await.unwrap().unwrap().state != State::Done {
            assert!(started.elapsed() < Duration::from_secs(10));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let held = inbox_handle.get("held").await.unwrap().unwrap();
        assert_eq!(held.state, State::Pending, "paused");

        let resumed = json(&store, &["resume", "--json"]);
        assert_eq!(resumed["resumed"][0]["type"], "lead:moved", "{resumed}");
        let resumed_at = Instant::now();
        while inbox_handle.get("held").await.unwrap().unwrap().state != State::Done {
            // Within half a second and a poll by design; here only that it happens.
            assert!(resumed_at.elapsed() < Duration::from_secs(10), "resumed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        assert_eq!(running.await.unwrap().done, 2);
        let nothing = inbox(&store, &["resume"]);
        assert_eq!(stdout(&nothing), "nothing was paused");
    }
}

#[test]
fn listen_serves_its_metrics_for_prometheus_without_a_key() {
    let store = &stores("listen-metrics")[0];
    let listening = common::listen(
        &["--key", KEY, "--store", store, "--metrics", "127.0.0.1:0"],
        None,
    );
    let metrics_at = (0..5)
        .find_map(|_| {
            let line = listening.stderr_line();
            line.split("metrics for Prometheus at http://")
                .nth(1)
                .map(|rest| rest.trim_end_matches("/metrics").to_owned())
        })
        .expect("the metrics' address is printed");
    let sent = run(
        &["send", &listening.address, "--type", "lead:moved"],
        Some(KEY),
        b"",
    );
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    let forged = run(
        &[
            "send",
            &listening.address,
            "--type",
            "lead:won",
            "--key",
            "guess-key-9",
        ],
        None,
        b"",
    );
    assert_eq!(forged.status.code(), Some(1));

    let (status, metrics) = get(&metrics_at, "/metrics");
    assert_eq!(status, 200);
    for line in [
        r#"clinchpad_inbox_stores{outcome="new"} 1"#,
        r#"clinchpad_webhook_refused{http_response_status_code="401"} 1"#,
        r#"clinchpad_inbox_deliveries{state="pending"} 1"#,
        r#"http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="204"} 1"#,
        "# HELP clinchpad_inbox_oldest_pending_age How long",
        "clinchpad_inbox_oldest_pending_age_seconds ",
    ] {
        assert!(
            metrics.lines().any(|l| l == line || l.starts_with(line)),
            "{line}\n{metrics}"
        );
    }
    assert!(!metrics.contains(KEY) && !metrics.contains("guess-key-9"));
    assert_eq!(get(&metrics_at, "/").0, 404);
    let (status, _, _) = listening.stop();
    assert_eq!(status.code(), Some(1), "the forged one was refused");
}
