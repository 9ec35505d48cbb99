//! The axum receiver under load, beside a bare axum handler that only reads the body and
//! answers 204: the cost of reading, parsing and verifying a delivery, as a web server sees it.
//! A third handler parses the body into a `serde_json::Value`, the first thing a user would
//! write without this crate, for scale.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench load` (from the repository's root).
//!
//! The server runs on a runtime with one worker thread, the load generator on another thread
//! with one runtime of its own: on a two-core machine, a core each. The generator keeps 1, 16
//! or 64 HTTP/1.1 connections busy, each sending requests one after the other (the body is
//! `fixtures/lead_moved.json`, with its key), until a fixed number of requests is done. The two
//! handlers are measured in pairs, bare then receiver then receiver then bare, so that a
//! change in the machine's load hits both sides of a ratio alike (the `Value` handler the same
//! way, against the bare one); the ratio of throughputs is the median over the pairs, the
//! latencies' percentiles are over every request of a side.
//! Every answer must be 204: anything else, or a failed request, is counted and reported.
//!
//! Then, with no network in between, the server's own work per request: each handler called
//! through the router in process, in alternating batches, and the median batch given in
//! nanoseconds per request; beside them, a handler that only parses the body with `parse`.
//! This says how much of a gap under load is the parse itself.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use clinchpad_webhook::axum::ClinchPadWebhook;
use clinchpad_webhook::{HandshakeKey, Receiver};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

/// Requests per measurement, shared among the connections.
const REQUESTS: usize = 8_000;
/// Concurrent connections.
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Pairs of measurements per concurrency (each pair: bare, receiver, receiver, bare).
const ROUNDS: usize = 5;
/// The aim: the receiver's throughput at least this share of the bare handler's.
const AIM: f64 = 0.90;

async fn bare(body: Bytes) -> StatusCode {
    black_box(body);
    StatusCode::NO_CONTENT
}

async fn receiver(webhook: ClinchPadWebhook) -> StatusCode {
    black_box(webhook);
    StatusCode::NO_CONTENT
}

async fn parse_only(body: Bytes) -> StatusCode {
    match clinchpad_webhook::parse(&body) {
        Ok(payload) => {
            black_box(payload);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

async fn value(body: Bytes) -> StatusCode {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) => {
            black_box(value);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// The handlers, routed by name.
fn app() -> Router {
    let key = HandshakeKey::new("gfhkd1asfsa").unwrap();
    Router::new()
        .route("/bare", post(bare))
        .route("/receiver", post(receiver))
        .route("/parse", post(parse_only))
        .route("/value", post(value))
        .with_state(Receiver::new(key))
}

/// Serves the handlers on a free port of 127.0.0.1, on a runtime of one worker thread.
fn start_server() -> SocketAddr {
    let (started, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = app();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            started.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let service = TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    address.recv().unwrap()
}

/// What one measurement saw.
struct Measured {
    per_second: f64,
    latencies: Vec<Duration>,
    failed: usize,
}

/// `REQUESTS` requests to `path` over `connections` connections, each busy all the time.
async fn measure(
    address: SocketAddr,
    path: &'static str,
    connections: usize,
    body: &Bytes,
) -> Measured {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        senders.push(sender);
    }
    let start = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, mut sender)| {
            let body = body.clone();
            // The requests shared out as evenly as they go.
            let count = REQUESTS / connections + usize::from(i < REQUESTS % connections);
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::with_capacity(count), 0);
                for _ in 0..count {
                    let request = hyper::Request::post(path)
                        .header("host", "127.0.0.1")
                        .body(Full::new(body.clone()))
                        .unwrap();
                    let sent = Instant::now();
                    let answered = match sender.send_request(request).await {
                        Ok(response) => {
                            let ok = response.status() == StatusCode::NO_CONTENT;
                            response.into_body().collect().await.is_ok() && ok
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed());
                    failed += usize::from(!answered);
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut latencies, mut failed) = (Vec::with_capacity(REQUESTS), 0);
    for task in tasks {
        let (some, failures) = task.await.unwrap();
        latencies.extend(some);
        failed += failures;
    }
    Measured {
        per_second: REQUESTS as f64 / start.elapsed().as_secs_f64(),
        latencies,
        failed,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One side's figures over all its measurements.
struct Side {
    per_second: Vec<f64>,
    latencies: Vec<Duration>,
    failed: usize,
}

impl Side {
    fn new() -> Self {
        Side {
            per_second: Vec::new(),
            latencies: Vec::new(),
            failed: 0,
        }
    }

    fn add(&mut self, measured: Measured) {
        self.per_second.push(measured.per_second);
        self.latencies.extend(measured.latencies);
        self.failed += measured.failed;
    }

    /// Median requests per second, p50 and p99 latency.
    fn summary(&mut self) -> (f64, Duration, Duration) {
        self.latencies.sort();
        (
            median(&mut self.per_second.clone()),
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
        )
    }
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Nanoseconds per request of each handler in `paths`, called through the router in process:
/// the median of `ROUNDS * 4` alternating batches of 20 000.
fn in_process(paths: &[&'static str], body: &Bytes) -> Vec<f64> {
    use tower_service::Service;
    const BATCH: usize = 20_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut app = app();
    let mut batches = vec![Vec::new(); paths.len()];
    runtime.block_on(async {
        for round in 0..ROUNDS * 4 {
            for (i, path) in paths.iter().enumerate() {
                // Alternate the order, so that no handler always follows the same one.
                let (i, path) = if round % 2 == 0 {
                    (i, *path)
                } else {
                    (paths.len() - 1 - i, paths[paths.len() - 1 - i])
                };
                let started = Instant::now();
                for _ in 0..BATCH {
                    let request = hyper::Request::post(path)
                        .header("content-length", body.len())
                        .body(axum::body::Body::from(body.clone()))
                        .unwrap();
                    let response = app.call(request).await.unwrap();
                    assert_eq!(response.status(), StatusCode::NO_CONTENT);
                }
                batches[i].push(started.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
            }
        }
    });
    batches.iter_mut().map(|b| median(b)).collect()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter other than "load" means another benchmark.
    if std::env::args()
        .skip(1)
        .any(|arg| !arg.starts_with('-') && !"load".contains(arg.as_str()))
    {
        return;
    }
    let body = Bytes::from(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/lead_moved.json"
        ))
        .unwrap(),
    );
    let address = start_server();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    let mut all_met = true;
    for connections in CONCURRENCY {
        client.block_on(async {
            // Warm up every path: connections, caches, the CPU's clock.
            for path in ["/bare", "/receiver", "/value"] {
                measure(address, path, connections, &body).await;
            }
            let mut bare_side = Side::new();
            let (mut receiver_side, mut receiver_ratios) = (Side::new(), Vec::new());
            let (mut value_side, mut value_ratios) = (Side::new(), Vec::new());
            for _ in 0..ROUNDS {
                // bare, receiver, value, value, receiver, bare: each ratio's two sides are
                // measured as close together as the other's.
                let bare_first = measure(address, "/bare", connections, &body).await;
                let receiver_first = measure(address, "/receiver", connections, &body).await;
                let value_first = measure(address, "/value", connections, &body).await;
                let value_second = measure(address, "/value", connections, &body).await;
                let receiver_second = measure(address, "/receiver", connections, &body).await;
                let bare_second = measure(address, "/bare", connections, &body).await;
                let bare_rps = bare_first.per_second + bare_second.per_second;
                receiver_ratios
                    .push((receiver_first.per_second + receiver_second.per_second) / bare_rps);
                value_ratios.push((value_first.per_second + value_second.per_second) / bare_rps);
                bare_side.add(bare_first);
                bare_side.add(bare_second);
                receiver_side.add(receiver_first);
                receiver_side.add(receiver_second);
                value_side.add(value_first);
                value_side.add(value_second);
            }
            let ratio = median(&mut receiver_ratios);
            let value_ratio = median(&mut value_ratios);
            let (bare_rps, bare_p50, bare_p99) = bare_side.summary();
            let (recv_rps, recv_p50, recv_p99) = receiver_side.summary();
            let (value_rps, value_p50, value_p99) = value_side.summary();
            let failed = bare_side.failed + receiver_side.failed + value_side.failed;
            all_met &= ratio >= AIM && failed == 0;
            rows.push(format!(
                "| {connections} | {bare_rps:.0} | {} / {} | {recv_rps:.0} | {} / {} | {ratio:.2} | {value_rps:.0} | {} / {} | {value_ratio:.2} | {failed} |",
                micros(bare_p50),
                micros(bare_p99),
                micros(recv_p50),
                micros(recv_p99),
                micros(value_p50),
                micros(value_p99),
            ));
        });
    }
    println!(
        "\nThe axum receiver, and a handler parsing a serde_json::Value, against a bare axum \
         handler: {REQUESTS} requests per measurement, {ROUNDS} pairs per row, requests per second \
         as medians, ratio = the median over the pairs of the handler's throughput / the bare \
         one's.\n"
    );
    println!("| connections | bare req/s | bare p50 / p99 | receiver req/s | receiver p50 / p99 | receiver / bare | `Value` req/s | `Value` p50 / p99 | `Value` / bare | failed |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!(
        "\naim: receiver / bare ≥ {AIM:.2} at every concurrency with no failed request: {}",
        if all_met { "met" } else { "NOT met" }
    );
    let paths = ["/bare", "/receiver", "/parse", "/value"];
    let costs = in_process(&paths, &body);
    println!("\nThe server's own work per request, in process (no network), median batch:\n");
    println!("| handler | ns per request | more than bare |");
    println!("|---|---|---|");
    for (path, cost) in paths.iter().zip(&costs) {
        println!("| `{path}` | {cost:.0} | {:.0} |", cost - costs[0]);
    }
}
