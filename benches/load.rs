//! The axum receiver under load, beside a bare axum handler that only reads the body and
//! answers 204: the cost of reading, parsing and verifying a delivery, as a web server sees it.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench load` (from the repository's root).
//!
//! The server runs on a runtime with one worker thread, the load generator on another thread
//! with one runtime of its own: on a two-core machine, a core each. The generator keeps 1, 16
//! or 64 HTTP/1.1 connections busy, each sending requests one after the other (the body is
//! `fixtures/lead_moved.json`, with its key), until a fixed number of requests is done. The two
//! handlers are measured in pairs, bare then receiver then receiver then bare, so that a
//! change in the machine's load hits both sides of a ratio alike; the ratio of throughputs is
//! the median over the pairs, the latencies' percentiles are over every request of a side.
//! Every answer must be 204: anything else, or a failed request, is counted and reported.

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

/// Serves both handlers on a free port of 127.0.0.1, on a runtime of one worker thread.
fn start_server() -> SocketAddr {
    let (started, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let key = HandshakeKey::new("gfhkd1asfsa").unwrap();
            let app = Router::new()
                .route("/bare", post(bare))
                .route("/receiver", post(receiver))
                .with_state(Receiver::new(key));
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
async fn measure(address: SocketAddr, path: &'static str, connections: usize, body: &Bytes) -> Measured {
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

fn main() {
    // `cargo bench` passes `--bench`; a filter other than "load" means another benchmark.
    if std::env::args().skip(1).any(|arg| !arg.starts_with('-') && !"load".contains(arg.as_str())) {
        return;
    }
    let body = Bytes::from(
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/lead_moved.json")).unwrap(),
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
            // Warm up both paths: connections, caches, the CPU's clock.
            measure(address, "/bare", connections, &body).await;
            measure(address, "/receiver", connections, &body).await;
            let (mut bare_side, mut receiver_side, mut ratios) = (Side::new(), Side::new(), Vec::new());
            for _ in 0..ROUNDS {
                let bare_first = measure(address, "/bare", connections, &body).await;
                let receiver_first = measure(address, "/receiver", connections, &body).await;
                let receiver_second = measure(address, "/receiver", connections, &body).await;
                let bare_second = measure(address, "/bare", connections, &body).await;
                ratios.push(
                    (receiver_first.per_second + receiver_second.per_second)
                        / (bare_first.per_second + bare_second.per_second),
                );
                for measured in [bare_first, bare_second] {
                    bare_side.add(measured);
                }
                for measured in [receiver_first, receiver_second] {
                    receiver_side.add(measured);
                }
            }
            let ratio = median(&mut ratios);
            let (bare_rps, bare_p50, bare_p99) = bare_side.summary();
            let (recv_rps, recv_p50, recv_p99) = receiver_side.summary();
            let failed = bare_side.failed + receiver_side.failed;
            all_met &= ratio >= AIM && failed == 0;
            rows.push(format!(
                "| {connections} | {bare_rps:.0} | {} / {} | {recv_rps:.0} | {} / {} | {ratio:.2} | {failed} |",
                micros(bare_p50),
                micros(bare_p99),
                micros(recv_p50),
                micros(recv_p99),
            ));
        });
    }
    println!(
        "\nThe axum receiver against a bare axum handler: {REQUESTS} requests per measurement, \
         {ROUNDS} pairs per row, requests per second as medians, ratio = the median over the pairs \
         of receiver / bare throughput.\n"
    );
    println!("| connections | bare req/s | bare p50 / p99 | receiver req/s | receiver p50 / p99 | receiver / bare | failed |");
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!(
        "\naim: receiver / bare ≥ {AIM:.2} at every concurrency with no failed request: {}",
        if all_met { "met" } else { "NOT met" }
    );
}
