//! What the inbox's tests share: the databases they run against (a SQLite file, and a
//! PostgreSQL server of their own), and deliveries to store.
#![allow(dead_code)]

pub mod postgres;

use std::path::PathBuf;

use clinchpad_webhook::{Delivery, HandshakeKey, Receiver};

/// The key of every fixture.
pub const KEY: &str = "gfhkd1asfsa";

/// The two databases every test runs against: a fresh SQLite file, and a fresh database on
/// the shared PostgreSQL server. Their names, and URLs.
pub fn databases(test: &str) -> [(&'static str, String); 2] {
    [
        ("sqlite", sqlite(test)),
        ("postgres", postgres::shared().fresh_database(test)),
    ]
}

/// A fresh SQLite file's URL, in a directory of this process's own (those of processes that
/// are gone are removed).
pub fn sqlite(test: &str) -> String {
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("clinchpad-inbox-")
                .and_then(|rest| rest.split('-').next()?.parse::<u32>().ok());
            if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("clinchpad-inbox-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}", dir.join("inbox.db").display())
}

pub fn receiver() -> Receiver {
    Receiver::new(HandshakeKey::new(KEY).unwrap())
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures").join(name)).unwrap()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A delivery of `fixture` with its activity id set to `id`.
pub fn delivery(fixture_name: &str, id: &str) -> Delivery {
    let body = String::from_utf8(fixture(fixture_name)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let old = value["activity"]["_id"].as_str().unwrap().to_owned();
    receiver()
        .accept(None, body.replacen(&old, id, 1).as_bytes())
        .unwrap()
}

/// `app` served by hyper on a free port of 127.0.0.1, until the runtime ends: its address.
pub async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// Runs `workers` until `done` says so (within 20 s), then stops them: their reports, each
/// within its drain.
pub async fn run_until(
    workers: Vec<clinchpad_webhook_inbox::Worker>,
    done: impl Fn() -> bool,
) -> Vec<clinchpad_webhook_inbox::Report> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running: Vec<_> = workers
        .into_iter()
        .map(|worker| {
            let mut stopped = stopped.clone();
            tokio::spawn(worker.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }))
        })
        .collect();
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "stalled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.send(true).unwrap();
    let mut reports = Vec::new();
    for running in running {
        reports.push(
            tokio::time::timeout(std::time::Duration::from_secs(10), running)
                .await
                .expect("stopped within its drain")
                .unwrap(),
        );
    }
    reports
}
