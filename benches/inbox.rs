//! The inbox's speed, on SQLite and on PostgreSQL, each figure beside a baseline measured in
//! the same run:
//!
//! - intake: deliveries stored per second from 1 task and from 64 at once (the stores waiting
//!   at one moment share one statement), and how long a store takes at 64 at once (p50, p99),
//!   which is what storing adds before a 2xx;
//! - processing: deliveries processed per second by one worker with the default settings
//!   (claims in batches, 16 handlers at once, those done together recorded in one
//!   statement), beside the same worker one at a time (`concurrency(1)`, as workers ran
//!   before), and by 4 workers; a handler that does nothing, so that the inbox's own work is
//!   what is measured;
//! - lead order: the default worker in lead order, over 10,000 deliveries of 200 leads, every
//!   lead's deliveries checked to run in order;
//! - pickup: from a store's answer to its handler's start, for an idle worker (p50, p99):
//!   stored through the worker's own inbox (woken in process), and on PostgreSQL through
//!   another connection (woken by `LISTEN`/`NOTIFY`), beside the poll it replaces;
//! - what storing before answering adds to a request: the axum store handler beside a handler
//!   that takes the same `Delivery` and answers without storing, called through the router in
//!   process, in alternating rounds.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench inbox` (from the repository's root;
//! `INBOX_BENCH_ONLY=SQLite` or `=PostgreSQL` for one database).
//! PostgreSQL is a server of the benchmark's own (its data in the temporary directory, fsync
//! off as in the tests: the figures are the inbox's work, not a disk's), started from the
//! system's binaries as the inbox's tests start theirs.

#[path = "../inbox/tests/common/postgres.rs"]
mod postgres;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::{ActivityType, Delivery, Payload, Receiver};
use clinchpad_webhook_inbox::{Inbox, Stored, Worker};
use tower::ServiceExt;

/// Deliveries per measurement.
const DELIVERIES: usize = 10_000;

/// Stores at once, for the intake figures.
const AT_ONCE: usize = 64;

fn bodies(prefix: &str) -> Vec<Vec<u8>> {
    (0..DELIVERIES)
        .map(|n| {
            Payload::sample(ActivityType::ALL[n % ActivityType::ALL.len()])
                .with_activity_id(format!("{prefix}-{n:05}"))
                .with_handshake_key("gfhkd1asfsa")
                .to_wire_bytes()
        })
        .collect()
}

/// `DELIVERIES` bodies over `leads` leads, each lead's activities a second apart, shuffled
/// so that no lead's come in order by their keys.
fn lead_bodies(prefix: &str, leads: usize) -> Vec<Vec<u8>> {
    let start = chrono::Utc::now() - chrono::Duration::days(1);
    let mut bodies: Vec<(u64, Vec<u8>)> = (0..DELIVERIES)
        .map(|n| {
            let lead = n % leads;
            let mut payload = Payload::sample(ActivityType::ALL[n % ActivityType::ALL.len()])
                .with_activity_id(format!("{prefix}-{n:05}"))
                .with_created_at(start + chrono::Duration::seconds((n / leads) as i64))
                .with_handshake_key("gfhkd1asfsa");
            payload.lead.id = format!("lead-{lead:04}").into();
            // A fixed scramble: the keys' order is not the activities'.
            let rank = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            (rank, payload.to_wire_bytes())
        })
        .collect();
    bodies.sort_by_key(|(rank, _)| *rank);
    bodies.into_iter().map(|(_, body)| body).collect()
}

fn receiver() -> Receiver {
    Receiver::new(clinchpad_webhook::HandshakeKey::new("gfhkd1asfsa").unwrap())
}

/// Stores every body, from `tasks` tasks at once: deliveries per second, and each store's
/// time in microseconds.
async fn store_rate(inbox: &Inbox, bodies: Vec<Vec<u8>>, tasks: usize) -> (f64, Vec<f64>) {
    let receiver = receiver();
    let deliveries: Vec<Delivery> = bodies
        .iter()
        .map(|b| receiver.accept(None, b).unwrap())
        .collect();
    let chunks: Vec<Vec<Delivery>> = deliveries
        .chunks(DELIVERIES.div_ceil(tasks))
        .map(<[Delivery]>::to_vec)
        .collect();
    let started = Instant::now();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(chunk.len());
                for delivery in chunk {
                    let one = Instant::now();
                    let stored = inbox.store(&delivery).await.unwrap();
                    times.push(one.elapsed().as_secs_f64() * 1e6);
                    assert_eq!(stored, Stored::New);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(DELIVERIES);
    for handle in handles {
        times.extend(handle.await.unwrap());
    }
    (DELIVERIES as f64 / started.elapsed().as_secs_f64(), times)
}

/// Stores `bodies` from `tasks` tasks at once, each storing one every `every` (a rate
/// offered, rather than as fast as the inbox answers): each store's time in microseconds.
async fn paced_store_times(
    inbox: &Inbox,
    bodies: Vec<Vec<u8>>,
    tasks: usize,
    every: Duration,
) -> Vec<f64> {
    let receiver = receiver();
    let deliveries: Vec<Delivery> = bodies
        .iter()
        .map(|b| receiver.accept(None, b).unwrap())
        .collect();
    let start = tokio::time::Instant::now();
    let handles: Vec<_> = deliveries
        .chunks(bodies.len().div_ceil(tasks))
        .map(<[Delivery]>::to_vec)
        .enumerate()
        .map(|(task, chunk)| {
            let inbox = inbox.clone();
            // The tasks' turns spread over the interval, as independent senders' would be.
            let offset = every * task as u32 / tasks as u32;
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(chunk.len());
                for (n, delivery) in chunk.into_iter().enumerate() {
                    tokio::time::sleep_until(start + offset + every * n as u32).await;
                    let one = Instant::now();
                    inbox.store(&delivery).await.unwrap();
                    times.push(one.elapsed().as_secs_f64() * 1e6);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for handle in handles {
        times.extend(handle.await.unwrap());
    }
    times
}

/// The `q` quantile of `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// What the handler of a processing run saw: how many it ran, and per lead the activity time
/// of the last, with how often one came before an earlier one.
#[derive(Default)]
struct Seen {
    handled: AtomicUsize,
    last_of_lead: Mutex<HashMap<String, i64>>,
    out_of_order: AtomicUsize,
}

/// Processes the `total` deliveries stored with `workers` workers made by `make`, run until the
/// last is handled: deliveries per second. Each is handled once, and in lead order when
/// asked.
async fn process_rate(
    inbox: &Inbox,
    total: usize,
    workers: usize,
    make: impl Fn(Worker) -> Worker,
) -> f64 {
    let seen = Arc::new(Seen::default());
    let all_done = Arc::new(tokio::sync::Notify::new());
    let handler = {
        let (seen, all_done) = (seen.clone(), all_done.clone());
        move |payload: Payload| {
            let at = payload.activity.created_at.timestamp_millis();
            let mut last = seen.last_of_lead.lock().unwrap();
            let before = last.insert(payload.lead.id.to_string(), at);
            if before.is_some_and(|before| before > at) {
                seen.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            if seen.handled.fetch_add(1, Ordering::Relaxed) + 1 == total {
                all_done.notify_one();
            }
            async { Ok::<(), String>(()) }
        }
    };
    let first = make(inbox.worker(handler));
    let all: Vec<_> = (0..workers).map(|_| first.another()).collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let handles: Vec<_> = all
        .into_iter()
        .map(|worker| {
            let mut stopped = stopped.clone();
            tokio::spawn(worker.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }))
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(300), all_done.notified())
        .await
        .expect("every delivery handled within 5 minutes");
    let elapsed = started.elapsed();
    stop.send(true).unwrap();
    let mut done = 0;
    for handle in handles {
        done += handle.await.unwrap().done;
    }
    assert_eq!(done, total, "every delivery recorded done once");
    assert_eq!(
        seen.handled.load(Ordering::Relaxed),
        total,
        "none run twice"
    );
    assert_eq!(
        seen.out_of_order.load(Ordering::Relaxed),
        0,
        "lead order held"
    );
    total as f64 / elapsed.as_secs_f64()
}

/// From a store's answer to its handler's start, for an idle worker of `inbox`, over 200
/// deliveries stored one at a time through `storing`: microseconds each.
async fn pickup(inbox: &Inbox, storing: &Inbox, label: &str) -> Vec<f64> {
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = inbox.worker(move |_: Payload| {
        let _ = started_tx.send(Instant::now());
        async { Ok::<(), String>(()) }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let receiver = receiver();
    let mut times = Vec::new();
    for n in 0..200 {
        // Idle again: its claim found nothing, and it waits.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let body = Payload::sample(ActivityType::LeadWon)
            .with_activity_id(format!("{label}-pickup-{n:03}"))
            .with_handshake_key("gfhkd1asfsa")
            .to_wire_bytes();
        storing
            .store(&receiver.accept(None, &body).unwrap())
            .await
            .unwrap();
        let stored_at = Instant::now();
        let began = tokio::time::timeout(Duration::from_secs(5), started_rx.recv())
            .await
            .expect("picked up within 5 s")
            .unwrap();
        times.push(began.saturating_duration_since(stored_at).as_secs_f64() * 1e6);
    }
    stop.send(()).unwrap();
    running.await.unwrap();
    times
}

/// Nanoseconds per request through `router`, over `bodies` (each posted once).
async fn per_request(router: &Router, bodies: &[Vec<u8>]) -> f64 {
    let started = Instant::now();
    for body in bodies {
        let request = Request::post("/").body(Body::from(body.clone())).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    started.elapsed().as_nanos() as f64 / bodies.len() as f64
}

/// The median of what storing before answering adds, per request: the store handler beside
/// one that takes the delivery and answers, in alternating rounds of 100 fresh deliveries.
async fn added_latency(inbox: &Inbox, label: &str) -> (f64, f64) {
    let storing: Router = clinchpad_webhook_inbox::axum::router(receiver(), inbox.clone());
    let answering = Router::new()
        .route("/", post(|_: Delivery| async { StatusCode::NO_CONTENT }))
        .with_state(receiver());
    let (mut stored, mut bare) = (Vec::new(), Vec::new());
    for round in 0..20 {
        let fresh = bodies(&format!("{label}-latency-{round}"));
        let batch = &fresh[..100];
        if round % 2 == 0 {
            stored.push(per_request(&storing, batch).await);
            bare.push(per_request(&answering, batch).await);
        } else {
            bare.push(per_request(&answering, batch).await);
            stored.push(per_request(&storing, batch).await);
        }
    }
    (median(stored), median(bare))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = postgres::Server::start("bench");
    let dir = std::env::temp_dir().join(format!("clinchpad-inbox-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let databases = [
        ("SQLite", format!("sqlite://{}/inbox.db", dir.display())),
        ("PostgreSQL", server.url("postgres")),
    ];
    let mut intake = Vec::new();
    let mut processing = Vec::new();
    let mut pickups = Vec::new();
    let mut requests = Vec::new();
    // `INBOX_BENCH_ONLY=SQLite` (or `PostgreSQL`) measures one database.
    let only = std::env::var("INBOX_BENCH_ONLY").ok();
    for (label, url) in databases {
        if only.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        runtime.block_on(async {
            let inbox = Inbox::open(&url).await.unwrap();
            let (one, _) = store_rate(&inbox, bodies(&format!("{label}-one")), 1).await;
            let one_at_a_time = process_rate(&inbox, DELIVERIES, 1, |worker| worker.concurrency(1)).await;
            let (many, times) =
                store_rate(&inbox, bodies(&format!("{label}-many")), AT_ONCE).await;
            let default = process_rate(&inbox, DELIVERIES, 1, |worker| worker).await;
            // 64 senders, 100 deliveries a second each.
            let mut paced_bodies = bodies(&format!("{label}-paced"));
            paced_bodies.truncate(AT_ONCE * 50);
            let paced =
                paced_store_times(&inbox, paced_bodies, AT_ONCE, Duration::from_millis(10)).await;
            process_rate(&inbox, AT_ONCE * 50, 1, |worker| worker).await;
            store_rate(&inbox, bodies(&format!("{label}-four")), AT_ONCE).await;
            let four = process_rate(&inbox, DELIVERIES, 4, |worker| worker).await;
            store_rate(&inbox, lead_bodies(&format!("{label}-leads"), 200), AT_ONCE).await;
            let ordered = process_rate(&inbox, DELIVERIES, 1, Worker::ordered_by_lead).await;
            intake.push(format!(
                "| {label} | {one:.0} | {many:.0} ({:.1}x) | {:.0} µs / {:.0} µs | {:.0} µs / {:.0} µs |",
                many / one,
                quantile(&times, 0.5),
                quantile(&times, 0.99),
                quantile(&paced, 0.5),
                quantile(&paced, 0.99),
            ));
            processing.push(format!(
                "| {label} | {one_at_a_time:.0} | {default:.0} ({:.1}x) | {four:.0} | {ordered:.0} |",
                default / one_at_a_time
            ));
            let here = pickup(&inbox, &inbox, &format!("{label}-here")).await;
            pickups.push(format!(
                "| {label} | same process | {:.2} ms | {:.2} ms |",
                quantile(&here, 0.5) / 1e3,
                quantile(&here, 0.99) / 1e3
            ));
            if label == "PostgreSQL" {
                let elsewhere = Inbox::open(&url).await.unwrap();
                let there = pickup(&inbox, &elsewhere, &format!("{label}-there")).await;
                pickups.push(format!(
                    "| {label} | another connection (LISTEN/NOTIFY) | {:.2} ms | {:.2} ms |",
                    quantile(&there, 0.5) / 1e3,
                    quantile(&there, 0.99) / 1e3
                ));
            }
            let (stored, bare) = added_latency(&inbox, label).await;
            requests.push(format!(
                "| {label} | {:.0} µs / {:.0} µs ({:.1}x) |",
                stored / 1e3,
                bare / 1e3,
                stored / bare
            ));
        });
    }
    println!("\n| database | stored/s, 1 task | stored/s, {AT_ONCE} at once | store p50 / p99, {AT_ONCE} at once as fast as answered | store p50 / p99, {AT_ONCE} senders at 100/s each |");
    println!("|---|---|---|---|---|");
    intake.iter().for_each(|row| println!("{row}"));
    println!("\n| database | processed/s, one at a time | processed/s, default worker | processed/s, 4 workers | processed/s, lead order (200 leads) |");
    println!("|---|---|---|---|---|");
    processing.iter().for_each(|row| println!("{row}"));
    println!("\n| database | stored through | pickup p50 | pickup p99 |");
    println!("|---|---|---|---|");
    pickups.iter().for_each(|row| println!("{row}"));
    println!("\n| database | store + answer / answer, per request, one at a time |");
    println!("|---|---|");
    requests.iter().for_each(|row| println!("{row}"));
    let _ = std::fs::remove_dir_all(&dir);
}
