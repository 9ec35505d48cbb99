//! Chaos, nothing lost: while deliveries stream in over HTTP, worker processes in lead order are
//! killed with SIGKILL one after another and started again; on PostgreSQL the server is
//! restarted mid-stream, and on SQLite the receiver's disk fills (a process whose files may
//! not grow past 1 MB, as a full disk refuses writes) until it is restarted with room.
//! Afterwards every delivery answered 2xx is done, its handler's effect (a row keyed by its id)
//! there exactly once, and each lead's effects in the order of its activities. The counts are
//! printed.
//!
//! Ignored by default (about a minute): CI runs it after the tests, with
//! `cargo test -p clinchpad-webhook-inbox --all-features --test chaos -- --ignored --nocapture`.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use clinchpad_webhook::{ActivityType, Payload};
use clinchpad_webhook_inbox::{Inbox, State};
use common::{receiver, KEY};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sqlx::Row;

/// Deliveries sent, over `LEADS` leads, by `SENDERS` senders each sending its leads'
/// deliveries one after the other (so that a lead's are stored in their order).
const DELIVERIES: usize = 3_000;
const LEADS: usize = 30;
const SENDERS: usize = 6;

/// Worker processes running at once.
const WORKERS: usize = 2;

/// The inbox's axum router on a free port of 127.0.0.1, until the runtime ends.
async fn serve(inbox: Inbox) -> SocketAddr {
    common::serve(clinchpad_webhook_inbox::axum::router(receiver(), inbox)).await
}

/// The `n`th delivery: its lead, and its body (its activity a second after the lead's last).
fn nth(n: usize) -> (String, Vec<u8>) {
    let lead = format!("lead-{:02}", n % LEADS);
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
        + chrono::Duration::seconds((n / LEADS) as i64);
    let kind = ActivityType::ALL[n % ActivityType::ALL.len()];
    let mut payload = Payload::sample(kind)
        .with_activity_id(format!("chaos-{n:05}"))
        .with_created_at(at)
        .with_handshake_key(KEY);
    payload.lead.id = lead.clone().into();
    (lead, payload.to_wire_bytes())
}

/// This test binary again, as a process of `mode` on the inbox at `url`.
fn process(mode: &str, url: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "chaos_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CHAOS_MODE", mode)
        .env("CHAOS_URL", url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: `prctl` is async-signal-safe and touches only the child being made.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    command
}

/// Spawns `command` from one thread that lives as long as the test: a child's parent-death
/// signal comes when the thread that spawned it ends, not its process.
fn spawn(mut command: Command) -> Child {
    type Spawn = (Command, mpsc::Sender<Child>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Spawn>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (spawner, spawns) = mpsc::channel::<Spawn>();
        std::thread::spawn(move || {
            for (mut command, spawned) in spawns {
                let _ = spawned.send(command.spawn().unwrap());
            }
        });
        Mutex::new(spawner)
    });
    let (spawned, child) = mpsc::channel();
    command.stdin(Stdio::null());
    spawner.lock().unwrap().send((command, spawned)).unwrap();
    child.recv().unwrap()
}

/// A worker process, in lead order.
fn worker(url: &str) -> Child {
    let mut command = process("work", url);
    command.stdout(Stdio::null());
    spawn(command)
}

/// A receiver process, its files kept under `most` bytes when given (writes past it refused,
/// as a full disk refuses them): the process, and the address it serves.
fn receiver_process(url: &str, most: Option<u64>) -> (Child, SocketAddr) {
    let mut command = process("receive", url);
    if let Some(most) = most {
        // SAFETY: `setrlimit` and `signal` are async-signal-safe and touch only the child.
        unsafe {
            command.pre_exec(move || {
                // A write past the limit fails (EFBIG) rather than killing the process.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: most,
                    rlim_max: most,
                };
                match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            });
        }
    }
    let mut child = spawn(command);
    // The test harness's lines first, then the address (after the harness's `test ... `).
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let address = std::io::BufRead::lines(stdout)
        .take(20)
        .map_while(Result::ok)
        .find_map(|line| line.rsplit_once("listening ")?.1.trim().parse().ok())
        .expect("the receiver says where it listens");
    (child, address)
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The processes' bodies; does nothing when this binary runs as the test suite.
#[test]
fn chaos_process() {
    let (Ok(mode), Ok(url)) = (std::env::var("CHAOS_MODE"), std::env::var("CHAOS_URL")) else {
        return;
    };
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        // Started while the database is down, it waits for it, as a restarted service would.
        let started = Instant::now();
        let (inbox, effects) = loop {
            match (Inbox::open(&url).await, sqlx::AnyPool::connect(&url).await) {
                (Ok(inbox), Ok(effects)) => break (inbox, effects),
                _ if started.elapsed() < Duration::from_secs(30) => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                (inbox, effects) => panic!("{:?} {:?}", inbox.err(), effects.err()),
            }
        };
        if mode == "receive" {
            let address = serve(inbox.clone()).await;
            println!("listening {address}");
            std::future::pending::<()>().await;
        }
        let process = std::process::id().to_string();
        let worker = inbox
            .worker(move |payload: Payload| {
                let (effects, process) = (effects.clone(), process.clone());
                async move {
                    let id = payload.activity.id.to_string();
                    sqlx::query("INSERT INTO chaos_runs (delivery_key, process) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(&process)
                        .execute(&effects)
                        .await?;
                    // Long enough for a kill to land mid-handler now and then.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    sqlx::query(
                        "INSERT INTO chaos_effects (delivery_key, lead_id, created_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (delivery_key) DO NOTHING",
                    )
                    .bind(&id)
                    .bind(payload.lead.id.to_string())
                    .bind(payload.activity.created_at.timestamp())
                    .execute(&effects)
                    .await
                    .map(drop)
                }
            })
            .ordered_by_lead()
            .concurrency(8)
            .lease(Duration::from_secs(2))
            // Soon again after the outage, and never dead of it: a delivery whose workers
            // are killed under it is claimed once per kill.
            .backoff(Duration::from_millis(100), Duration::from_secs(1))
            .max_attempts(20)
            .poll_interval(Duration::from_millis(50));
        worker.run(std::future::pending::<()>()).await;
    });
}

/// The side tables: each run of a handler, and each delivery's effect once, in the order
/// they were made.
async fn side_tables(url: &str, postgres: bool) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let serial = match postgres {
        true => "BIGSERIAL PRIMARY KEY",
        false => "INTEGER PRIMARY KEY AUTOINCREMENT",
    };
    sqlx::query("CREATE TABLE chaos_runs (delivery_key TEXT NOT NULL, process TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&format!(
        "CREATE TABLE chaos_effects (seq {serial}, delivery_key TEXT NOT NULL UNIQUE, \
         lead_id TEXT NOT NULL, created_at BIGINT NOT NULL)"
    ))
    .execute(&pool)
    .await
    .unwrap();
}

/// POSTs `body` to `address` (the one now in `receiving`): whether it was answered 2xx.
async fn post(receiving: &Mutex<SocketAddr>, body: Vec<u8>) -> bool {
    let address = *receiving.lock().unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!("http://{address}/"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let answer = async {
        let response = client.request(request).await.ok()?;
        let ok = response.status().is_success();
        response.into_body().collect().await.ok()?;
        Some(ok)
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(10), answer).await,
        Ok(Some(true))
    )
}

/// What happened to the deliveries sent.
#[derive(Default)]
struct Sent {
    answered: Mutex<HashMap<String, bool>>,
    count: AtomicUsize,
}

/// Sends every delivery, each lead's one after the other; returns when all are sent.
async fn stream(receiving: Arc<Mutex<SocketAddr>>, sent: Arc<Sent>) {
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (receiving, sent) = (receiving.clone(), sent.clone());
            tokio::spawn(async move {
                for n in (0..DELIVERIES).filter(|n| (n % LEADS) % SENDERS == sender) {
                    let (_, body) = nth(n);
                    let ok = post(&receiving, body).await;
                    sent.answered
                        .lock()
                        .unwrap()
                        .insert(format!("chaos-{n:05}"), ok);
                    sent.count.fetch_add(1, Ordering::SeqCst);
                    // About 600 a second in all: long enough for the chaos to land.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
}

/// Kills a worker and starts another, every 700 ms, until `until`: how many were killed.
fn keep_killing(url: String, workers: Arc<Mutex<Vec<Child>>>, until: Arc<AtomicBool>) -> usize {
    let mut killed = 0;
    while !until.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(700));
        let mut workers = workers.lock().unwrap();
        let mut victim = workers.remove(0);
        // SIGKILL: no chance to record anything, to give anything back.
        kill(&mut victim);
        killed += 1;
        workers.push(worker(&url));
    }
    killed
}

/// Checks what the chaos left, and prints the counts.
async fn check(backend: &str, url: &str, sent: &Sent, chaos: &str) {
    let answered: HashMap<String, bool> = sent.answered.lock().unwrap().clone();
    let must_have: Vec<&String> = answered
        .iter()
        .filter(|(_, ok)| **ok)
        .map(|(k, _)| k)
        .collect();
    let inbox = Inbox::connect(url).await.unwrap();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    // Every delivery answered 2xx processed, within a bound.
    let started = Instant::now();
    loop {
        let pending: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM clinchpad_deliveries WHERE state IN ('pending', 'running')",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("n");
        if pending == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let left: Vec<String> = sqlx::query(
                "SELECT delivery_key, state, attempts, next_attempt_at, claimed_by, last_error, \
                 lead_id, created_at FROM clinchpad_deliveries \
                 WHERE state IN ('pending', 'running') ORDER BY lead_id, created_at LIMIT 3",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|row| {
                format!(
                    "{} {} {} {} {:?} {:?} {:?} {:?}",
                    row.get::<String, _>("delivery_key"),
                    row.get::<String, _>("state"),
                    row.get::<i64, _>("attempts"),
                    row.get::<i64, _>("next_attempt_at"),
                    row.get::<Option<String>, _>("claimed_by"),
                    row.get::<Option<String>, _>("last_error"),
                    row.get::<Option<String>, _>("lead_id"),
                    row.get::<Option<i64>, _>("created_at"),
                )
            })
            .collect();
            panic!("{backend}: {pending} never processed: {left:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut missing = Vec::new();
    let mut not_done = Vec::new();
    for key in &must_have {
        match inbox.get(key).await.unwrap() {
            None => missing.push(key.to_string()),
            Some(entry) if entry.state != State::Done => not_done.push(key.to_string()),
            Some(_) => {}
        }
    }
    let effects =
        sqlx::query("SELECT delivery_key, lead_id, created_at FROM chaos_effects ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    let runs: i64 = sqlx::query("SELECT COUNT(*) AS n FROM chaos_runs")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("n");
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM clinchpad_deliveries")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("n");
    // Each effect is there once by its key (the handler's insert is idempotent, as a real
    // handler's must be under at-least-once): what is asked is that none is missing.
    let mut effect_of: HashMap<String, usize> = HashMap::new();
    let mut last_of_lead: HashMap<String, i64> = HashMap::new();
    let mut out_of_order = Vec::new();
    for row in &effects {
        let key: String = row.get("delivery_key");
        let lead: String = row.get("lead_id");
        let at: i64 = row.get("created_at");
        *effect_of.entry(key.clone()).or_default() += 1;
        // The order is asked of what was stored in order: deliveries answered 2xx.
        if answered.get(&key) == Some(&true) {
            if let Some(before) = last_of_lead.insert(lead.clone(), at) {
                if before > at {
                    out_of_order.push(key);
                }
            }
        }
    }
    let without_effect: Vec<_> = must_have
        .iter()
        .filter(|key| !effect_of.contains_key(key.as_str()))
        .collect();
    println!(
        "chaos on {backend} ({chaos}): {} sent, {} answered 2xx, {} not; {stored} stored, \
         {} effects, {runs} handler runs ({} again after a kill); missing {}, not done {}, \
         without effect {}, out of lead order {}",
        answered.len(),
        must_have.len(),
        answered.len() - must_have.len(),
        effects.len(),
        runs - effects.len() as i64,
        missing.len(),
        not_done.len(),
        without_effect.len(),
        out_of_order.len(),
    );
    assert_eq!(answered.len(), DELIVERIES, "{backend}: every delivery sent");
    assert!(
        missing.is_empty(),
        "{backend}: answered 2xx, not stored: {missing:?}"
    );
    assert!(not_done.is_empty(), "{backend}: not done: {not_done:?}");
    assert!(
        without_effect.is_empty(),
        "{backend}: no effect: {without_effect:?}"
    );
    assert!(
        out_of_order.is_empty(),
        "{backend}: out of order: {out_of_order:?}"
    );
}

#[test]
#[ignore = "chaos, about a minute: CI runs it after the tests with --ignored"]
fn deliveries_answered_2xx_survive_killed_workers_a_restarted_postgres_and_a_full_disk() {
    sqlx::any::install_default_drivers();
    // PostgreSQL: a server of the test's own, restarted while deliveries stream in.
    let server = common::postgres::Server::start("chaos");
    let sqlite = common::sqlite("chaos");
    for (backend, url) in [("sqlite", sqlite), ("postgres", server.url("postgres"))] {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            Inbox::open(&url).await.unwrap();
            side_tables(&url, backend == "postgres").await;
        });
        let workers = Arc::new(Mutex::new(
            (0..WORKERS).map(|_| worker(&url)).collect::<Vec<_>>(),
        ));
        let sent = Arc::new(Sent::default());
        let streamed = Arc::new(AtomicBool::new(false));
        let killer = {
            let (url, workers, streamed) = (url.clone(), workers.clone(), streamed.clone());
            std::thread::spawn(move || keep_killing(url, workers, streamed))
        };
        let chaos = match backend {
            "postgres" => runtime.block_on(async {
                let inbox = Inbox::open(&url).await.unwrap();
                let receiving = Arc::new(Mutex::new(serve(inbox).await));
                let streaming = tokio::spawn(stream(receiving, sent.clone()));
                // A third in, the server goes down for a second and comes back.
                while sent.count.load(Ordering::SeqCst) < DELIVERIES / 3 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                tokio::task::block_in_place(|| {
                    server.stop();
                    std::thread::sleep(Duration::from_secs(1));
                    server.run();
                });
                streaming.await.unwrap();
                "PostgreSQL restarted once".to_owned()
            }),
            _ => runtime.block_on(async {
                // The receiver's disk holds 1 MB: it fills a few hundred deliveries in; a
                // second later the receiver is restarted with room.
                let (full, address) = receiver_process(&url, Some(1 << 20));
                let receiving = Arc::new(Mutex::new(address));
                let streaming = tokio::spawn(stream(receiving.clone(), sent.clone()));
                let started = Instant::now();
                let refused = loop {
                    let refused = sent
                        .answered
                        .lock()
                        .unwrap()
                        .values()
                        .filter(|ok| !**ok)
                        .count();
                    if refused >= 20 || started.elapsed() > Duration::from_secs(60) {
                        break refused;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                };
                assert!(refused >= 20, "the receiver's disk never filled");
                tokio::time::sleep(Duration::from_secs(1)).await;
                let mut full = full;
                let (roomy, address) = tokio::task::block_in_place(|| {
                    kill(&mut full);
                    receiver_process(&url, None)
                });
                *receiving.lock().unwrap() = address;
                streaming.await.unwrap();
                let mut roomy = roomy;
                kill(&mut roomy);
                "the receiver's disk full, then room again".to_owned()
            }),
        };
        streamed.store(true, Ordering::SeqCst);
        let killed = killer.join().unwrap();
        let chaos = format!("{chaos}; {killed} workers killed with SIGKILL");
        runtime.block_on(check(backend, &url, &sent, &chaos));
        for mut worker in workers.lock().unwrap().drain(..) {
            kill(&mut worker);
        }
    }
}
