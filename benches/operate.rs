//! Operating the inbox, on SQLite: what its signals cost, a console's queries at 1M rows,
//! 10,000 dead deliveries retried in bulk, and 1M done deliveries pruned while stores go on.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench operate` (from the repository's root).
//!
//! 1. Signals: the axum store handler called through the router in process, and a worker
//!    processing with a handler that does nothing, each with the signals on (a `tracing` fmt
//!    subscriber at INFO writing to a sink, and a Prometheus recorder) and off (neither), in
//!    alternating rounds (off, on, on, off) so that the machine's drift hits both alike. The
//!    figure is the median over the blocks of four of the on rounds' rate over the off ones'.
//! 2. A console's queries: 1,000,000 deliveries (990,000 done, 10,000 dead, of 33 types and
//!    5,000 leads, over 30 days) written by one SQL statement, then each page query (50 rows)
//!    and the counts run 11 times; the median, in milliseconds.
//! 3. Bulk retry: the 10,000 dead ones made due again over a window, in one statement; its time,
//!    and how many distinct due times it drew.
//! 4. Pruning: the 990,000 done ones, older than the 30 days kept, removed by `Inbox::prune`
//!    while a task stores deliveries one after the other; its time, and the stores' latency
//!    meanwhile beside the same stores' with nothing else going on (p50, p99, max).
//! 5. A type's rate held over a minute: 4 workers, `lead:moved` limited to 100 a second, with
//!    more always due; how many began in the minute from the first, against the 6,000 allowed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use clinchpad_webhook::{ActivityType, HandshakeKey, Payload, Receiver};
use clinchpad_webhook_inbox::{Filter, Inbox, State};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use tower::ServiceExt;

const KEY: &str = "gfhkd1asfsa";
const DAY_MS: i64 = 86_400_000;

/// A recorder that can be switched off: Prometheus's when on, nothing when off.
struct Switch {
    on: AtomicBool,
    inner: metrics_exporter_prometheus::PrometheusRecorder,
}

impl Recorder for Switch {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description)
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description)
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description)
    }
    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        match self.on.load(Ordering::Relaxed) {
            true => self.inner.register_counter(key, metadata),
            false => Counter::noop(),
        }
    }
    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        match self.on.load(Ordering::Relaxed) {
            true => self.inner.register_gauge(key, metadata),
            false => Gauge::noop(),
        }
    }
    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        match self.on.load(Ordering::Relaxed) {
            true => self.inner.register_histogram(key, metadata),
            false => Histogram::noop(),
        }
    }
}

/// The signals on or off: the recorder's switch, and a subscriber for this thread.
struct Signals {
    recorder: &'static Switch,
}

impl Signals {
    fn install() -> Signals {
        let recorder: &'static Switch = Box::leak(Box::new(Switch {
            on: AtomicBool::new(false),
            inner: metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
        }));
        metrics::set_global_recorder(recorder).unwrap();
        Signals { recorder }
    }

    /// Runs `work` with the signals on or off.
    fn with<T>(&self, on: bool, work: impl FnOnce() -> T) -> T {
        self.recorder.on.store(on, Ordering::Relaxed);
        match on {
            true => {
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::INFO)
                    .with_writer(std::io::sink)
                    .finish();
                tracing::subscriber::with_default(subscriber, work)
            }
            false => work(),
        }
    }
}

fn receiver() -> Receiver {
    Receiver::new(HandshakeKey::new(KEY).unwrap())
}

fn bodies(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            Payload::sample(ActivityType::ALL[i % ActivityType::ALL.len()])
                .with_activity_id(format!("{prefix}-{i:06}"))
                .with_handshake_key(KEY)
                .to_wire_bytes()
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(values: &mut [Duration], share: f64) -> Duration {
    values.sort();
    values[((values.len() - 1) as f64 * share).round() as usize]
}

/// Blocks of four rounds (off, on, on, off) in the signals' measure.
const BLOCKS: usize = 24;

/// What the signals cost (1. above): requests/s and processed/s, on / off, on a SQLite file (each
/// store's commit waits for the disk, as in production) and in memory (no disk: the signals'
/// share of the work at its largest).
fn signals(signals: &Signals, dir: &std::path::Path) {
    println!("\n| signals (SQLite, in process) | off | on | on / off |");
    println!("|---|---|---|---|");
    let file = format!("sqlite://{}/signals.db", dir.display());
    for (label, url) in [("file", file.as_str()), ("in memory", "sqlite::memory:")] {
        signals_on(signals, label, url);
    }
}

fn signals_on(signals: &Signals, label: &str, url: &str) {
    // One thread: the subscriber set for it sees every span and event.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inbox = runtime.block_on(Inbox::open(url)).unwrap();
    let router: Router = clinchpad_webhook_inbox::axum::router(receiver(), inbox.clone());
    // Rates by round; each block of four rounds (off, on, on, off) gives one ratio.
    let (mut stored, mut processed) = (Vec::new(), Vec::new());
    // Each round starts with the write-ahead log copied into the database, so that no round
    // pays for a checkpoint that an earlier one left due.
    let checkpoint = || {
        if url.contains(":memory:") {
            return;
        }
        runtime.block_on(async {
            let pool = sqlx::AnyPool::connect(url).await.unwrap();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    };
    for round in 0..BLOCKS * 4 {
        let on = matches!(round % 4, 1 | 2);
        checkpoint();
        let batch = bodies(&format!("signals-{round}"), 300);
        let rates = signals.with(on, || {
            runtime.block_on(async {
                let started = Instant::now();
                for body in &batch {
                    let request = Request::post("/").body(Body::from(body.clone())).unwrap();
                    let response = router.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), StatusCode::NO_CONTENT);
                }
                let stored = batch.len() as f64 / started.elapsed().as_secs_f64();
                let worker = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
                let started = Instant::now();
                let mut done = 0;
                while worker.run_once().await.unwrap().is_some() {
                    done += 1;
                }
                assert_eq!(done, batch.len());
                (stored, done as f64 / started.elapsed().as_secs_f64())
            })
        });
        stored.push((on, rates.0));
        processed.push((on, rates.1));
    }
    // Per block: the on rounds' rate over the off rounds'; and each side's median rate.
    let summary = |rates: &[(bool, f64)]| {
        let ratios: Vec<f64> = rates
            .chunks(4)
            .map(|block| {
                let side = |on: bool| -> f64 {
                    block.iter().filter(|(o, _)| *o == on).map(|(_, r)| r).sum()
                };
                side(true) / side(false)
            })
            .collect();
        let side = |on: bool| {
            median(
                rates
                    .iter()
                    .filter(|(o, _)| *o == on)
                    .map(|(_, r)| *r)
                    .collect(),
            )
        };
        (side(false), side(true), median(ratios))
    };
    let (stored_off, stored_on, stored_ratio) = summary(&stored);
    let (done_off, done_on, done_ratio) = summary(&processed);
    println!(
        "| requests/s, axum store handler, {label} | {stored_off:.0} | {stored_on:.0} | {stored_ratio:.3} |"
    );
    println!(
        "| processed/s, 1 worker, no-op handler, {label} | {done_off:.0} | {done_on:.0} | {done_ratio:.3} |"
    );
}

/// Writes `done` done deliveries and `dead` dead ones, in one statement each.
async fn fill(url: &str, done: i64, dead: i64) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let body = String::from_utf8(
        Payload::sample(ActivityType::NoteCreated)
            .without_handshake_key()
            .to_wire_bytes(),
    )
    .unwrap();
    let now = chrono_now_ms();
    let types: Vec<String> = ActivityType::ALL
        .iter()
        .map(|kind| format!("'{}'", kind.as_str()))
        .collect();
    // SQLite's json_array gives the n-th type by index.
    let statement = |state: &str, count: i64, error: &str, ago: i64| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO clinchpad_deliveries (delivery_key, activity_id, activity_type, lead_id, \
             created_at, received_at, typed, drift, body, state, attempts, next_attempt_at, \
             last_error, finished_at, verified) \
             SELECT '{state}-' || i, '{state}-' || i, \
             json_extract(json_array({types}), '$[' || (i % {kinds}) || ']'), \
             'lead-' || (i % 5000), $1 - {ago} * {DAY_MS} + i * (30 * {DAY_MS} / {count}), \
             $1 - {ago} * {DAY_MS} + i * (30 * {DAY_MS} / {count}), 1, NULL, $2, '{state}', 1, \
             $1, {error}, $1 - {ago} * {DAY_MS} + i * (30 * {DAY_MS} / {count}), 1 FROM n",
            last = count - 1,
            types = types.join(", "),
            kinds = types.len(),
        )
    };
    // The done ones finished 70 to 40 days ago, all older than the 30 days kept; the dead
    // ones 40 to 10 days ago.
    for (state, count, error, ago) in [
        ("done", done, "NULL", 70),
        ("dead", dead, "'upstream timeout after 30 s'", 40),
    ] {
        sqlx::query(&statement(state, count, error, ago))
            .bind(now)
            .bind(body.clone())
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Runs `query` 11 times: the median, in milliseconds.
async fn timed<F, Fut, T>(query: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::new();
    for _ in 0..11 {
        let started = Instant::now();
        let _ = query().await;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    median(times)
}

/// Stores `bodies` one after the other: each store's time.
async fn store_times(inbox: &Inbox, bodies: &[Vec<u8>]) -> Vec<Duration> {
    let receiver = receiver();
    let mut times = Vec::with_capacity(bodies.len());
    for body in bodies {
        let delivery = receiver.accept(None, body).unwrap();
        let started = Instant::now();
        inbox.store(&delivery).await.unwrap();
        times.push(started.elapsed());
    }
    times
}

/// The rest (2. to 4. above): at 1M rows.
fn at_a_million(dir: &std::path::Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}/million.db", dir.display());
    runtime.block_on(async {
        let inbox = Inbox::open(&url).await.unwrap();
        let started = Instant::now();
        fill(&url, 990_000, 10_000).await;
        let filled = started.elapsed();
        let page = |filter: Filter| {
            let inbox = inbox.clone();
            move || {
                let inbox = inbox.clone();
                let filter = filter.clone();
                async move { inbox.list_matching(&filter, 50).await.unwrap() }
            }
        };
        println!(
            "\n| a console's query, 1,000,000 deliveries on SQLite (filled in {:.1} s) | page, median ms | count, median ms |",
            filled.as_secs_f64()
        );
        println!("|---|---|---|");
        let rows = [
            ("the latest 50", Filter::new()),
            ("dead, the latest 50", Filter::new().state(State::Dead)),
            ("one type, the latest 50", Filter::new().activity_type("lead:moved")),
            ("one lead, the latest 50", Filter::new().lead("lead-42")),
            ("dead of one type", Filter::new().state(State::Dead).activity_type("note:created")),
            (
                "received in one day",
                Filter::new().received_between(
                    Some(chrono_now_ms() - 50 * DAY_MS),
                    Some(chrono_now_ms() - 49 * DAY_MS),
                ),
            ),
            ("error text (dead)", Filter::new().state(State::Dead).error_contains("TIMEOUT")),
        ];
        for (label, filter) in rows {
            let counted = {
                let inbox = inbox.clone();
                let filter = filter.clone();
                timed(move || {
                    let inbox = inbox.clone();
                    let filter = filter.clone();
                    async move { inbox.count(&filter).await.unwrap() }
                })
                .await
            };
            let ms = timed(page(filter)).await;
            println!("| {label} | {ms:.1} | {counted:.1} |");
        }
        let ms = timed(|| {
            let inbox = inbox.clone();
            async move { inbox.counts().await.unwrap() }
        })
        .await;
        println!("| counts by state, oldest pending | {ms:.1} | |");

        // 3. Bulk retry.
        let dead = Filter::new().state(State::Dead);
        let started = Instant::now();
        let counted = inbox.count(&dead).await.unwrap();
        let count_time = started.elapsed();
        let started = Instant::now();
        let retried = inbox
            .retry_matching(&dead, Duration::from_millis(counted))
            .await
            .unwrap();
        let retry_time = started.elapsed();
        let pending = inbox
            .list_matching(&Filter::new().state(State::Pending), 20_000)
            .await
            .unwrap();
        let distinct: std::collections::BTreeSet<i64> =
            pending.iter().map(|entry| entry.next_attempt_at).collect();
        println!("\n| bulk retry, SQLite, 1,000,000 rows | |");
        println!("|---|---|");
        println!(
            "| dead counted (the dry run) | {counted} in {:.0} ms |",
            count_time.as_secs_f64() * 1e3
        );
        println!(
            "| made due again, spread over {counted} ms | {retried} in {:.0} ms, {} distinct due times |",
            retry_time.as_secs_f64() * 1e3,
            distinct.len()
        );

        // 4. Pruning while storing.
        let quiet = store_times(&inbox, &bodies("quiet", 2_000)).await;
        let pruning = {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let removed = inbox.prune().await.unwrap();
                (removed, started.elapsed())
            })
        };
        let mut busy = Vec::new();
        let mut n = 0;
        while !pruning.is_finished() {
            busy.extend(store_times(&inbox, &bodies(&format!("busy-{n}"), 100)).await);
            n += 1;
        }
        let (removed, took) = pruning.await.unwrap();
        let (mut quiet, mut busy) = (quiet, busy);
        println!("\n| pruning, SQLite | |");
        println!("|---|---|");
        println!(
            "| done deliveries removed by `Inbox::prune` | {removed} in {:.1} s ({:.0}/s) |",
            took.as_secs_f64(),
            removed as f64 / took.as_secs_f64()
        );
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (quiet_p50, quiet_p99, quiet_max) = (
            percentile(&mut quiet, 0.5),
            percentile(&mut quiet, 0.99),
            *quiet.iter().max().unwrap(),
        );
        let (busy_p50, busy_p99, busy_max) = (
            percentile(&mut busy, 0.5),
            percentile(&mut busy, 0.99),
            *busy.iter().max().unwrap(),
        );
        println!(
            "| a store alone, p50 / p99 / max | {:.2} / {:.2} / {:.1} ms |",
            ms(quiet_p50),
            ms(quiet_p99),
            ms(quiet_max)
        );
        println!(
            "| a store while pruning ({} stores), p50 / p99 / max | {:.2} / {:.2} / {:.1} ms (p99 {:.1}x) |",
            busy.len(),
            ms(busy_p50),
            ms(busy_p99),
            ms(busy_max),
            ms(busy_p99) / ms(quiet_p99)
        );
    });
}

/// A type's rate held over a minute (5. above): 4 workers, `lead:moved` limited to 100 a second,
/// always more due than that; how many began in the minute from the first.
fn limits(dir: &std::path::Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}/limits.db", dir.display());
    runtime.block_on(async {
        let inbox = Inbox::open(&url).await.unwrap();
        let receiver = receiver();
        for n in 0..7_000 {
            let body = Payload::sample(ActivityType::LeadMoved)
                .with_activity_id(format!("limits-{n:05}"))
                .with_handshake_key(KEY)
                .to_wire_bytes();
            inbox
                .store(&receiver.accept(None, &body).unwrap())
                .await
                .unwrap();
        }
        let starts = Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
        let seen = starts.clone();
        let first = inbox
            .worker(move |_: Payload| {
                seen.lock().unwrap().push(Instant::now());
                async { Ok::<(), String>(()) }
            })
            .limit(
                "lead:moved",
                clinchpad_webhook_inbox::Limit::rate(100, Duration::from_secs(1)),
            );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let worker = first.another();
                let mut stopped = stopped.clone();
                tokio::spawn(worker.run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                }))
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(62)).await;
        let _ = stop.send(true);
        for worker in workers {
            worker.await.unwrap();
        }
        let starts = starts.lock().unwrap().clone();
        let minute = starts
            .iter()
            .take_while(|at| at.duration_since(starts[0]) < Duration::from_secs(60))
            .count();
        println!("\n| a type's rate, `Limit::rate(100, 1 s)`, 4 workers, SQLite | |");
        println!("|---|---|");
        println!(
            "| begun in the minute from the first | {minute} of 6,000 ({:+.2} %) |",
            (minute as f64 / 6_000.0 - 1.0) * 100.0
        );
    });
}

fn main() {
    let dir = std::env::temp_dir().join(format!("clinchpad-operate-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let installed = Signals::install();
    if std::env::var_os("SKIP_SIGNALS").is_none() {
        signals(&installed, &dir);
    }
    if std::env::var_os("SKIP_MILLION").is_none() {
        at_a_million(&dir);
    }
    if std::env::var_os("SKIP_LIMITS").is_none() {
        limits(&dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
