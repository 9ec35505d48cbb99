//! Processing: a failed attempt is tried again after a backoff (timed with a clock the test
//! holds), a delivery that fails its last attempt is dead and kept, a drifted one goes to its
//! own handler or waits as dead, and a delivery whose worker stops is taken by another: in
//! this process when a claim expires, and across processes when a worker is killed with
//! SIGKILL mid-handler. Several workers in several processes handle each delivery exactly once
//! on PostgreSQL. Every test runs on SQLite and on PostgreSQL, but the last, which is
//! PostgreSQL's alone.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clinchpad_webhook::{Payload, Receiver};
use clinchpad_webhook_inbox::{Entry, Inbox, ManualClock, Outcome, State};
use common::{databases, delivery};

/// The start of every test's clock: 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

/// The table where worker processes record what they handled (see `worker_process`), and a
/// pool on its database.
async fn handled_table(url: &str) -> sqlx::AnyPool {
    let recorder = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query("CREATE TABLE test_handled (delivery_key TEXT NOT NULL, process TEXT NOT NULL)")
        .execute(&recorder)
        .await
        .unwrap();
    recorder
}

/// A worker with a lease of 60 s whose handler waits until told to go on.
fn waiting_worker(inbox: &Inbox) -> (clinchpad_webhook_inbox::Worker, Arc<tokio::sync::Notify>) {
    let release = Arc::new(tokio::sync::Notify::new());
    let wait = release.clone();
    let worker = inbox
        .worker(move |_: Payload| {
            let wait = wait.clone();
            async move {
                wait.notified().await;
                Ok::<(), String>(())
            }
        })
        .lease(Duration::from_secs(60));
    (worker, release)
}

async fn manual(url: &str) -> (Inbox, ManualClock) {
    let clock = ManualClock::at(T0);
    let inbox = Inbox::open(url).await.unwrap().with_clock(clock.clone());
    (inbox, clock)
}

#[tokio::test]
async fn a_failed_attempt_is_tried_again_after_a_backoff_with_jitter() {
    for (backend, url) in databases("backoff") {
        let (inbox, clock) = manual(&url).await;
        inbox
            .store(&delivery("lead_won.json", "a-backoff"))
            .await
            .unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let worker = inbox
            .worker(move |payload: Payload| {
                let call = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(
                        payload.handshake_key.is_none(),
                        "a handler never sees the key"
                    );
                    if call < 2 {
                        Err(format!("the CRM is down ({call})"))
                    } else {
                        Ok(())
                    }
                }
            })
            .backoff(Duration::from_secs(10), Duration::from_secs(3600));
        // First failure: due again between 5 and 10 s later; not before.
        let Some(Outcome::Retry { at, error, .. }) = worker.run_once().await.unwrap() else {
            panic!("{backend}: not retried");
        };
        assert_eq!(error, "the CRM is down (0)");
        assert!(
            (T0 + 5_000..=T0 + 10_000).contains(&at),
            "{backend}: {}",
            at - T0
        );
        assert_eq!(
            worker.run_once().await.unwrap(),
            None,
            "{backend}: not due yet"
        );
        clock.advance(Duration::from_millis((at - T0) as u64));
        // Second failure: between 10 and 20 s after that.
        let now = at;
        let Some(Outcome::Retry { at, .. }) = worker.run_once().await.unwrap() else {
            panic!("{backend}: not retried");
        };
        assert!(
            (now + 10_000..=now + 20_000).contains(&at),
            "{backend}: {}",
            at - now
        );
        let entry = inbox.get("a-backoff").await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Pending, 2));
        assert_eq!(entry.last_error.as_deref(), Some("the CRM is down (1)"));
        clock.advance(Duration::from_secs(20));
        assert!(matches!(
            worker.run_once().await.unwrap(),
            Some(Outcome::Done { .. })
        ));
        let entry = inbox.get("a-backoff").await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Done, 3), "{backend}");
        assert_eq!(entry.last_error, None);
        assert_eq!(entry.finished_at, Some(T0 + (now - T0) + 20_000));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}

#[tokio::test]
async fn the_waits_double_up_to_the_most_and_are_spread_between_half_and_whole() {
    let url = common::sqlite("spread");
    let (inbox, clock) = manual(&url).await;
    let worker = inbox
        .worker(|_: Payload| async { Err::<(), _>("always") })
        .max_attempts(12)
        .backoff(Duration::from_secs(1), Duration::from_secs(60));
    for n in 0..40 {
        inbox
            .store(&delivery("lead_won.json", &format!("a-{n}")))
            .await
            .unwrap();
    }
    let mut waits: Vec<Vec<i64>> = vec![Vec::new(); 11];
    for (attempt, these) in waits.iter_mut().enumerate() {
        for _ in 0..40 {
            let now = clock.now_ms_for_tests();
            match worker.run_once().await.unwrap() {
                Some(Outcome::Retry { at, .. }) => these.push(at - now),
                other => panic!("attempt {attempt}: {other:?}"),
            }
        }
        clock.advance(Duration::from_secs(61));
    }
    for (attempt, waits) in waits.iter().enumerate() {
        let full = (1_000i64 << attempt.min(31)).min(60_000);
        assert!(
            waits.iter().all(|&w| w >= full / 2 && w <= full),
            "attempt {attempt}: {waits:?} not within [{}, {full}]",
            full / 2
        );
        // Spread: not all the same.
        assert!(
            waits.iter().any(|&w| w != waits[0]),
            "attempt {attempt}: {waits:?}"
        );
    }
    // The twelfth failure is the last.
    assert!(matches!(
        worker.run_once().await.unwrap(),
        Some(Outcome::Dead { .. })
    ));
}

trait NowForTests {
    fn now_ms_for_tests(&self) -> i64;
}

impl NowForTests for ManualClock {
    fn now_ms_for_tests(&self) -> i64 {
        clinchpad_webhook_inbox::Clock::now_ms(self)
    }
}

#[tokio::test]
async fn after_its_last_attempt_a_delivery_is_dead_and_kept_until_retried() {
    for (backend, url) in databases("dead") {
        let (inbox, clock) = manual(&url).await;
        inbox
            .store(&delivery("lead_lost.json", "a-dead"))
            .await
            .unwrap();
        let worker = inbox
            .worker(|_: Payload| async { Err::<(), _>("refused by the CRM\n[INFO] forged") })
            .max_attempts(3);
        for _ in 0..2 {
            assert!(matches!(
                worker.run_once().await.unwrap(),
                Some(Outcome::Retry { .. })
            ));
            clock.advance(Duration::from_secs(3600));
        }
        let Some(Outcome::Dead { error, .. }) = worker.run_once().await.unwrap() else {
            panic!("{backend}: not dead");
        };
        // Stored as one escaped line.
        assert_eq!(error, r"refused by the CRM\n[INFO] forged");
        clock.advance(Duration::from_secs(24 * 3600));
        assert_eq!(
            worker.run_once().await.unwrap(),
            None,
            "{backend}: dead stays dead"
        );
        let entry = inbox.get("a-dead").await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Dead, 3));
        // Retried: due now, its attempts counted afresh.
        assert!(inbox.retry("a-dead").await.unwrap());
        let entry = inbox.get("a-dead").await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Pending, 0));
        assert!(matches!(
            worker.run_once().await.unwrap(),
            Some(Outcome::Retry { .. })
        ));
        assert_eq!(inbox.retry_dead().await.unwrap(), 0);
        assert!(!inbox.retry("no-such-delivery").await.unwrap());
    }
}

#[tokio::test]
async fn a_drifted_delivery_goes_to_its_own_handler_or_waits_as_dead() {
    for (backend, url) in databases("drift_handler") {
        let (inbox, _clock) = manual(&url).await;
        let body = std::fs::read(common::root().join("fixtures/drift/user_as_id.json")).unwrap();
        let drifted = common::receiver().accept(None, &body).unwrap();
        inbox.store(&drifted).await.unwrap();
        let key = drifted.activity_id().unwrap().to_owned();
        // No drift handler: dead at once, with why, the typed handler never called.
        let typed_calls = Arc::new(AtomicUsize::new(0));
        let counted = typed_calls.clone();
        let worker = inbox.worker(move |_: Payload| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), String>(()) }
        });
        let Some(Outcome::Dead { error, .. }) = worker.run_once().await.unwrap() else {
            panic!("{backend}");
        };
        assert!(
            error.contains("no drift handler") && error.contains("activity.user"),
            "{error}"
        );
        assert_eq!(typed_calls.load(Ordering::SeqCst), 0);
        // With one: it gets the entry, the body without its key and the error.
        inbox.retry(&key).await.unwrap();
        let seen = Arc::new(std::sync::Mutex::new(None));
        let keep = seen.clone();
        let worker = worker.on_drift(move |entry: Entry| {
            *keep.lock().unwrap() = Some(entry);
            async { Ok::<(), String>(()) }
        });
        assert!(matches!(
            worker.run_once().await.unwrap(),
            Some(Outcome::Done { .. })
        ));
        let entry = seen.lock().unwrap().take().unwrap();
        assert_eq!(entry.activity_type.as_deref(), Some("lead:moved"));
        assert!(entry.drift.unwrap().contains("activity.user"));
        assert!(!entry.body.contains("handshake_key"), "{backend}");
    }
}

#[tokio::test]
async fn a_handler_that_panics_has_failed_its_attempt() {
    for (backend, url) in databases("panics") {
        let (inbox, _clock) = manual(&url).await;
        inbox
            .store(&delivery("zone_added.json", "a-panics"))
            .await
            .unwrap();
        let worker = inbox.worker(|_: Payload| async {
            if true {
                panic!("a bug in the handler");
            }
            Ok::<(), String>(())
        });
        let outcome = worker.run_once().await.unwrap();
        assert!(
            matches!(&outcome, Some(Outcome::Retry { error, .. }) if error == "the handler panicked"),
            "{backend}: {outcome:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_that_expires_is_taken_by_another_worker_and_the_first_one_loses_it() {
    for (backend, url) in databases("expires") {
        let (inbox, clock) = manual(&url).await;
        inbox
            .store(&delivery("lead_moved.json", "a-expires"))
            .await
            .unwrap();
        let (slow, release) = waiting_worker(&inbox);
        let slow = tokio::spawn(async move { slow.run_once().await });
        // The slow worker has it: nobody else may take it before its lease ends.
        let quick = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
        let started = Instant::now();
        loop {
            let entry = inbox.get("a-expires").await.unwrap().unwrap();
            if entry.state == State::Running {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{backend}: never claimed"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(quick.run_once().await.unwrap(), None, "{backend}");
        clock.advance(Duration::from_secs(61));
        assert!(matches!(
            quick.run_once().await.unwrap(),
            Some(Outcome::Done { .. })
        ));
        release.notify_one();
        let late = slow.await.unwrap().unwrap();
        assert!(
            matches!(late, Some(Outcome::ClaimLost { .. })),
            "{backend}: {late:?}"
        );
        let entry = inbox.get("a-expires").await.unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Done, 2));
    }
}

// ---------------------------------------------------------------------------------------------
// Workers in processes of their own: this test binary, run again with `WORKER_URL` set, is the
// worker process (see `worker_process`).

/// Runs this test binary as a worker process: `mode` is `hang` (the handler says so in
/// `marker`, then never returns) or `record` (the handler records who handled what in
/// `handled`, and the process ends once nothing has been due for a second).
fn spawn_worker_process(
    url: &str,
    mode: &str,
    workers: usize,
    marker: &str,
) -> std::process::Child {
    worker_process_command(url, mode, workers, marker)
        .spawn()
        .unwrap()
}

/// The command that runs this test binary as a worker process.
fn worker_process_command(
    url: &str,
    mode: &str,
    workers: usize,
    marker: &str,
) -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "worker_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WORKER_URL", url)
        .env("WORKER_MODE", mode)
        .env("WORKER_COUNT", workers.to_string())
        .env("WORKER_MARKER", marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    command
}

/// The worker process's body; does nothing when this binary runs as the test suite.
#[test]
fn worker_process() {
    let Ok(url) = std::env::var("WORKER_URL") else {
        return;
    };
    let mode = std::env::var("WORKER_MODE").unwrap();
    let count: usize = std::env::var("WORKER_COUNT").unwrap().parse().unwrap();
    let marker = std::env::var("WORKER_MARKER").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(count.max(1))
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let inbox = Inbox::open(&url).await.unwrap();
        let process = std::process::id().to_string();
        let recorder = sqlx::AnyPool::connect(&url).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..count {
            let (mode, marker, process, recorder) = (
                mode.clone(),
                marker.clone(),
                process.clone(),
                recorder.clone(),
            );
            let worker = inbox
                .worker(move |payload: Payload| {
                    let (mode, marker, process, recorder) = (
                        mode.clone(),
                        marker.clone(),
                        process.clone(),
                        recorder.clone(),
                    );
                    async move {
                        if mode == "hang" {
                            std::fs::write(&marker, payload.activity.id.as_str()).unwrap();
                            std::future::pending::<()>().await;
                        }
                        sqlx::query(
                            "INSERT INTO test_handled (delivery_key, process) VALUES ($1, $2)",
                        )
                        .bind(payload.activity.id.as_str())
                        .bind(&process)
                        .execute(&recorder)
                        .await
                        .map(drop)
                        .map_err(|err| err.to_string())
                    }
                })
                .lease(Duration::from_secs(2))
                .poll_interval(Duration::from_millis(20));
            tasks.push(tokio::spawn(async move {
                // Until nothing has been due for a second.
                let mut idle_since = Instant::now();
                while idle_since.elapsed() < Duration::from_secs(1) {
                    match worker.run_once().await.unwrap() {
                        Some(_) => idle_since = Instant::now(),
                        None => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    std::process::exit(0);
}

#[test]
fn a_worker_killed_mid_handler_loses_nothing() {
    sqlx::any::install_default_drivers();
    for (backend, url) in databases("killed") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let inbox = runtime.block_on(Inbox::open(&url)).unwrap();
        runtime
            .block_on(inbox.store(&delivery("lead_won.json", "a-killed")))
            .unwrap();
        let marker =
            std::env::temp_dir().join(format!("clinchpad-killed-{}-{backend}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        let mut hanging = spawn_worker_process(&url, "hang", 1, marker.to_str().unwrap());
        let started = Instant::now();
        while !marker.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{backend}: the handler never ran"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // SIGKILL, mid-handler: no chance to record anything.
        hanging.kill().unwrap();
        hanging.wait().unwrap();
        let entry = runtime.block_on(inbox.get("a-killed")).unwrap().unwrap();
        assert_eq!(entry.state, State::Running, "{backend}");
        // Another worker takes it once the claim expires (2 s), and processes it.
        let handled = Arc::new(AtomicUsize::new(0));
        let count = handled.clone();
        let worker = inbox.worker(move |_: Payload| {
            count.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), String>(()) }
        });
        let outcome = runtime.block_on(async {
            let started = Instant::now();
            loop {
                if let Some(outcome) = worker.run_once().await.unwrap() {
                    break outcome;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "never taken again"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert!(
            matches!(outcome, Outcome::Done { .. }),
            "{backend}: {outcome:?}"
        );
        assert_eq!(handled.load(Ordering::SeqCst), 1);
        let entry = runtime.block_on(inbox.get("a-killed")).unwrap().unwrap();
        assert_eq!((entry.state, entry.attempts), (State::Done, 2), "{backend}");
        let _ = std::fs::remove_file(&marker);
    }
}

#[test]
fn four_workers_in_two_processes_handle_2000_deliveries_each_exactly_once() {
    use clinchpad_webhook::ActivityType;
    sqlx::any::install_default_drivers();
    let url = common::postgres::shared().fresh_database("exactly_once");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let inbox = runtime.block_on(Inbox::open(&url)).unwrap();
    let receiver = Receiver::unverified();
    runtime.block_on(async {
        handled_table(&url).await;
        for n in 0..2000 {
            let activity_type = ActivityType::ALL[n % ActivityType::ALL.len()];
            let body = Payload::sample(activity_type)
                .with_activity_id(format!("a-{n:04}"))
                .to_wire_bytes();
            inbox
                .store(&receiver.accept(None, &body).unwrap())
                .await
                .unwrap();
        }
    });
    let processes: Vec<_> = (0..2)
        .map(|_| spawn_worker_process(&url, "record", 2, ""))
        .collect();
    for mut process in processes {
        assert!(process.wait().unwrap().success());
    }
    runtime.block_on(async {
        use sqlx::Row;
        let recorder = sqlx::AnyPool::connect(&url).await.unwrap();
        let row = sqlx::query(
            "SELECT COUNT(*) AS handled, COUNT(DISTINCT delivery_key) AS distinct_keys, \
             COUNT(DISTINCT process) AS processes FROM test_handled",
        )
        .fetch_one(&recorder)
        .await
        .unwrap();
        let (handled, distinct, processes): (i64, i64, i64) = (
            row.get("handled"),
            row.get("distinct_keys"),
            row.get("processes"),
        );
        assert_eq!(
            (handled, distinct),
            (2000, 2000),
            "each delivery handled exactly once"
        );
        assert_eq!(processes, 2, "both processes took part");
        let done = inbox.list(Some(State::Done), 5000).await.unwrap();
        assert_eq!(done.len(), 2000);
        assert!(done.iter().all(|entry| entry.attempts == 1));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_run_until_stopped_and_say_what_they_did() {
    for (backend, url) in databases("run") {
        let inbox = Inbox::open(&url).await.unwrap();
        for n in 0..10 {
            inbox
                .store(&delivery("zone_removed.json", &format!("a-run-{n}")))
                .await
                .unwrap();
        }
        let first = inbox
            .worker(|payload: Payload| async move {
                match payload.activity.id.as_str() {
                    "a-run-3" => Err("not this one"),
                    _ => Ok(()),
                }
            })
            .max_attempts(1)
            .poll_interval(Duration::from_millis(10));
        let second = first.another();
        assert_ne!(first.name(), second.name());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let stopped = async move {
            let _ = stopped.await;
        };
        let (stop_too, stopped_too) = tokio::sync::oneshot::channel::<()>();
        let stopped_too = async move {
            let _ = stopped_too.await;
        };
        let one = tokio::spawn(first.run(stopped));
        let two = tokio::spawn(second.run(stopped_too));
        let started = Instant::now();
        while inbox.list(Some(State::Pending), 100).await.unwrap().len()
            + inbox.list(Some(State::Running), 100).await.unwrap().len()
            > 0
        {
            assert!(started.elapsed() < Duration::from_secs(30), "{backend}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(()).unwrap();
        stop_too.send(()).unwrap();
        let (one, two) = (one.await.unwrap(), two.await.unwrap());
        assert_eq!(one.done + two.done, 9, "{backend}");
        assert_eq!(one.dead + two.dead, 1, "{backend}");
        assert_eq!(one.errors + two.errors, 0, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_never_returns_fails_its_attempt_and_the_worker_goes_on() {
    for (backend, url) in databases("never_returns") {
        let (inbox, _clock) = manual(&url).await;
        for id in ["a-hangs", "a-next"] {
            inbox.store(&delivery("lead_won.json", id)).await.unwrap();
        }
        let worker = inbox
            .worker(|payload: Payload| async move {
                if payload.activity.id.as_str() == "a-hangs" {
                    std::future::pending::<()>().await;
                }
                Ok::<(), String>(())
            })
            .attempt_timeout(Duration::from_millis(300));
        let first = tokio::time::timeout(Duration::from_secs(10), worker.run_once())
            .await
            .expect("the attempt never ended");
        assert!(
            matches!(&first, Ok(Some(Outcome::Retry { key, error, .. }))
                if key == "a-hangs" && error.contains("attempt timeout")),
            "{backend}: {first:?}"
        );
        let next = tokio::time::timeout(Duration::from_secs(10), worker.run_once())
            .await
            .expect("the worker stalled");
        assert!(
            matches!(&next, Ok(Some(Outcome::Done { key })) if key == "a-next"),
            "{backend}: {next:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_returns_within_the_drain_and_gives_the_delivery_in_hand_back() {
    for (backend, url) in databases("drain") {
        let inbox = Inbox::open(&url).await.unwrap();
        inbox
            .store(&delivery("lead_won.json", "a-in-hand"))
            .await
            .unwrap();
        let stuck = inbox
            .worker(|_: Payload| async {
                std::future::pending::<()>().await;
                Ok::<(), String>(())
            })
            .drain(Duration::from_millis(500))
            .poll_interval(Duration::from_millis(10));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(stuck.run(async move {
            let _ = stopped.await;
        }));
        let started = Instant::now();
        while inbox.get("a-in-hand").await.unwrap().unwrap().state != State::Running {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{backend}: never taken"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let stopping = Instant::now();
        stop.send(()).unwrap();
        let report = tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("run did not return after its stop")
            .unwrap();
        assert!(stopping.elapsed() < Duration::from_secs(3), "{backend}");
        assert_eq!(report.released, 1, "{backend}: {report:?}");
        // Given back, due now, its attempt not counted: another worker takes it at once.
        let entry = inbox.get("a-in-hand").await.unwrap().unwrap();
        assert_eq!(
            (entry.state, entry.attempts),
            (State::Pending, 0),
            "{backend}"
        );
        let quick = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
        assert!(
            matches!(quick.run_once().await.unwrap(), Some(Outcome::Done { .. })),
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_panics_before_its_future_fails_its_attempt_and_run_goes_on() {
    for (backend, url) in databases("panics_early") {
        let inbox = Inbox::open(&url).await.unwrap();
        for id in ["a-1-panics", "a-2-fine"] {
            inbox.store(&delivery("lead_won.json", id)).await.unwrap();
        }
        let worker = inbox
            .worker(|payload: Payload| {
                // Not in the future: while making it.
                if payload.activity.id.as_str() == "a-1-panics" {
                    panic!("a bug before the handler's async part");
                }
                std::future::ready(Ok::<(), String>(()))
            })
            .max_attempts(1)
            .poll_interval(Duration::from_millis(10));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        let started = Instant::now();
        while !inbox
            .list(Some(State::Pending), 10)
            .await
            .unwrap()
            .is_empty()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{backend}: stalled"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(()).unwrap();
        let report = tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .expect("the worker's task died");
        assert_eq!((report.done, report.dead), (1, 1), "{backend}: {report:?}");
        let dead = inbox.get("a-1-panics").await.unwrap().unwrap();
        assert_eq!(dead.last_error.as_deref(), Some("the handler panicked"));
    }
}

#[tokio::test]
async fn a_handler_error_that_quotes_a_key_is_stored_masked() {
    for (backend, url) in databases("error_key") {
        let receiver = common::receiver();
        let (inbox, _clock) = manual(&url).await;
        let inbox = inbox.masking_keys_of(&receiver);
        inbox
            .store(&delivery("lead_won.json", "a-error-key"))
            .await
            .unwrap();
        let worker = inbox.worker(|_: Payload| async {
            Err::<(), String>(format!("the CRM refused key {}", common::KEY))
        });
        let outcome = worker.run_once().await.unwrap();
        let Some(Outcome::Retry { error, .. }) = outcome else {
            panic!("{backend}: {outcome:?}");
        };
        assert_eq!(error, "the CRM refused key ***");
        let entry = inbox.get("a-error-key").await.unwrap().unwrap();
        assert_eq!(entry.last_error.as_deref(), Some("the CRM refused key ***"));
    }
}

/// libfaketime, which makes a process read a clock of its choosing.
fn libfaketime() -> std::path::PathBuf {
    let found = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .map(|dir| std::path::Path::new(dir).join("faketime/libfaketime.so.1"))
    .find(|path| path.exists());
    found.expect(
        "libfaketime is missing: install it (Debian: apt-get install faketime); .ci/run does",
    )
}

#[test]
fn a_worker_whose_clock_runs_ahead_does_not_take_a_delivery_another_holds() {
    sqlx::any::install_default_drivers();
    let url = common::postgres::shared().fresh_database("skewed");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let inbox = runtime.block_on(Inbox::open(&url)).unwrap();
    runtime.block_on(async {
        handled_table(&url).await;
        inbox
            .store(&delivery("lead_won.json", "a-held"))
            .await
            .unwrap();
    });
    // This worker holds the delivery for its lease (60 s), its handler waiting.
    let (holder, release) = waiting_worker(&inbox);
    let held = runtime.spawn(async move { holder.run_once().await });
    runtime.block_on(async {
        let started = Instant::now();
        while inbox.get("a-held").await.unwrap().unwrap().state != State::Running {
            assert!(started.elapsed() < Duration::from_secs(10), "never taken");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    // A worker process whose machine's clock is ten minutes ahead: by its clock, the lease
    // ran out long ago.
    let status = worker_process_command(&url, "record", 1, "")
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", "+10m")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .status()
        .unwrap();
    assert!(status.success());
    let handled: i64 = runtime.block_on(async {
        use sqlx::Row;
        let recorder = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("SELECT COUNT(*) AS handled FROM test_handled")
            .fetch_one(&recorder)
            .await
            .unwrap()
            .get("handled")
    });
    assert_eq!(
        handled, 0,
        "the skewed worker ran a delivery another worker held"
    );
    release.notify_one();
    let outcome = runtime.block_on(held).unwrap().unwrap();
    assert!(matches!(outcome, Some(Outcome::Done { .. })), "{outcome:?}");
}
