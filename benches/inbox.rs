//! The inbox's speed, on SQLite and on PostgreSQL: deliveries stored per second (one after the
//! other, and from 8 tasks at once), deliveries processed per second by 1 and by 4 workers
//! (a handler that does nothing, so that the inbox's own work is what is measured), and what
//! storing before answering adds to a request: the axum store handler beside a handler that
//! takes the same `Delivery` and answers without storing, called through the router in
//! process, in alternating rounds.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench inbox` (from the repository's root).
//! PostgreSQL is a server of the benchmark's own (its data in the temporary directory, fsync
//! off as in the tests: the figures are the inbox's work, not a disk's), started from the
//! system's binaries as the inbox's tests start theirs.

#[path = "../inbox/tests/common/postgres.rs"]
mod postgres;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::{ActivityType, Delivery, Payload, Receiver};
use clinchpad_webhook_inbox::Inbox;
use tower::ServiceExt;

/// Deliveries per measurement.
const DELIVERIES: usize = 2_000;

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

fn receiver() -> Receiver {
    Receiver::new(clinchpad_webhook::HandshakeKey::new("gfhkd1asfsa").unwrap())
}

/// Stores every body, from `tasks` tasks at once; deliveries per second.
async fn store_rate(inbox: &Inbox, bodies: Vec<Vec<u8>>, tasks: usize) -> f64 {
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
                for delivery in chunk {
                    inbox.store(&delivery).await.unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    DELIVERIES as f64 / started.elapsed().as_secs_f64()
}

/// Processes everything stored with `workers` workers; deliveries per second.
async fn process_rate(inbox: &Inbox, workers: usize) -> f64 {
    let first = inbox
        .worker(|_: Payload| async { Ok::<(), String>(()) })
        .poll_interval(Duration::from_millis(1));
    let all: Vec<_> = (0..workers).map(|_| first.another()).collect();
    let started = Instant::now();
    let handles: Vec<_> = all
        .into_iter()
        .map(|worker| {
            tokio::spawn(async move {
                let mut done = 0;
                while worker.run_once().await.unwrap().is_some() {
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for handle in handles {
        done += handle.await.unwrap();
    }
    assert_eq!(done, DELIVERIES, "every delivery processed once");
    DELIVERIES as f64 / started.elapsed().as_secs_f64()
}

#[derive(Clone)]
struct State {
    receiver: Receiver,
    inbox: Inbox,
}

impl FromRef<State> for Receiver {
    fn from_ref(state: &State) -> Receiver {
        state.receiver.clone()
    }
}

impl FromRef<State> for Inbox {
    fn from_ref(state: &State) -> Inbox {
        state.inbox.clone()
    }
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
    let state = State {
        receiver: receiver(),
        inbox: inbox.clone(),
    };
    let storing = Router::new()
        .route("/", post(clinchpad_webhook_inbox::axum::store))
        .with_state(state.clone());
    let answering = Router::new()
        .route("/", post(|_: Delivery| async { StatusCode::NO_CONTENT }))
        .with_state(state);
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
    println!("\n| database | stored/s, 1 task | stored/s, 8 tasks | processed/s, 1 worker | processed/s, 4 workers | store + answer / answer, per request |");
    println!("|---|---|---|---|---|---|");
    for (label, url) in databases {
        runtime.block_on(async {
            let inbox = Inbox::open(&url).await.unwrap();
            let one = store_rate(&inbox, bodies(&format!("{label}-one")), 1).await;
            let processed_one = process_rate(&inbox, 1).await;
            let eight = store_rate(&inbox, bodies(&format!("{label}-eight")), 8).await;
            let processed_four = process_rate(&inbox, 4).await;
            let (stored, bare) = added_latency(&inbox, label).await;
            println!(
                "| {label} | {one:.0} | {eight:.0} | {processed_one:.0} | {processed_four:.0} | {:.0} µs / {:.0} µs ({:.1}x) |",
                stored / 1e3,
                bare / 1e3,
                stored / bare
            );
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
}
