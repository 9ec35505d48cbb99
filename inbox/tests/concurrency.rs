//! At speed: a worker runs as many handlers at once as its concurrency and never more; workers
//! claiming in batches still handle each delivery exactly once; an idle worker is woken by a
//! store, in its own process at once and on PostgreSQL from any connection, not by its poll;
//! and stores that arrive at the same moment, sharing one statement, are each answered as
//! they would be alone (new, duplicate, conflict). Every test runs on SQLite and on
//! PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clinchpad_webhook::{ActivityType, Delivery, Payload};
use clinchpad_webhook_inbox::{Inbox, Stored};
use common::{databases, receiver, run_until, KEY};

/// A delivery of a sample of `kind` under `id`.
fn sample(kind: ActivityType, id: &str) -> Delivery {
    let body = Payload::sample(kind)
        .with_activity_id(id)
        .with_handshake_key(KEY)
        .to_wire_bytes();
    receiver().accept(None, &body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_as_many_handlers_at_once_as_its_concurrency_and_no_more() {
    for (backend, url) in databases("side_by_side") {
        let inbox = Inbox::open(&url).await.unwrap();
        for n in 0..12 {
            inbox
                .store(&sample(ActivityType::NoteCreated, &format!("a-{n:02}")))
                .await
                .unwrap();
        }
        // Each handler waits until four are in hand at once: one at a time, none would end.
        let gate = Arc::new(tokio::sync::Barrier::new(4));
        let (now, most, handled) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        let worker = {
            let (gate, now, most, handled) =
                (gate.clone(), now.clone(), most.clone(), handled.clone());
            inbox
                .worker(move |_: Payload| {
                    let (gate, now, most, handled) =
                        (gate.clone(), now.clone(), most.clone(), handled.clone());
                    async move {
                        let in_hand = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(in_hand, Ordering::SeqCst);
                        gate.wait().await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        handled.fetch_add(1, Ordering::SeqCst);
                        Ok::<(), String>(())
                    }
                })
                .concurrency(4)
        };
        let reports = run_until(vec![worker], || handled.load(Ordering::SeqCst) == 12).await;
        assert_eq!(reports[0].done, 12, "{backend}: {:?}", reports[0]);
        assert_eq!(
            most.load(Ordering::SeqCst),
            4,
            "{backend}: at most four at once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_claiming_in_batches_handle_each_delivery_exactly_once() {
    for (backend, url) in databases("batches") {
        let inbox = Inbox::open(&url).await.unwrap();
        for n in 0..600 {
            let kind = ActivityType::ALL[n % ActivityType::ALL.len()];
            inbox
                .store(&sample(kind, &format!("a-{n:03}")))
                .await
                .unwrap();
        }
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let first = {
            let seen = seen.clone();
            inbox
                .worker(move |payload: Payload| {
                    *seen
                        .lock()
                        .unwrap()
                        .entry(payload.activity.id.to_string())
                        .or_default() += 1;
                    async { Ok::<(), String>(()) }
                })
                .concurrency(8)
        };
        // Three workers, two of them on pools of their own, as in other processes.
        let other = Inbox::open(&url).await.unwrap();
        let mut workers = vec![first.another(), first];
        workers.push(
            other
                .worker({
                    let seen = seen.clone();
                    move |payload: Payload| {
                        *seen
                            .lock()
                            .unwrap()
                            .entry(payload.activity.id.to_string())
                            .or_default() += 1;
                        async { Ok::<(), String>(()) }
                    }
                })
                .concurrency(8),
        );
        let reports = run_until(workers, || seen.lock().unwrap().len() == 600).await;
        let twice: Vec<_> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, times)| **times != 1)
            .map(|(key, times)| (key.clone(), *times))
            .collect();
        assert!(twice.is_empty(), "{backend}: run more than once: {twice:?}");
        let done: usize = reports.iter().map(|report| report.done).sum();
        assert_eq!(done, 600, "{backend}: {reports:?}");
        let pending = inbox.list(None, 1000).await.unwrap();
        assert!(
            pending
                .iter()
                .all(|entry| entry.state == clinchpad_webhook_inbox::State::Done),
            "{backend}: every delivery recorded done"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_is_woken_by_a_store_not_by_its_poll() {
    for (backend, url) in databases("woken") {
        let inbox = Inbox::open(&url).await.unwrap();
        // On SQLite a store through the worker's own inbox; on PostgreSQL also one through
        // another pool, as another process's, which LISTEN/NOTIFY carries.
        let mut through = vec![("the same inbox", inbox.clone())];
        if backend == "postgres" {
            through.push(("another pool", Inbox::open(&url).await.unwrap()));
        }
        let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
        // A poll of a minute: only a wake-up gets a delivery handled within the test's bounds.
        let worker = inbox
            .worker(move |payload: Payload| {
                let _ = started.send(payload.activity.id.to_string());
                async { Ok::<(), String>(()) }
            })
            .poll_interval(Duration::from_secs(60));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        for (n, (how, storing)) in through.iter().enumerate() {
            // Idle by now: its first claims found nothing, and it waits.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let id = format!("a-woken-{n}");
            storing
                .store(&sample(ActivityType::LeadWon, &id))
                .await
                .unwrap();
            let handled = tokio::time::timeout(Duration::from_secs(10), starts.recv())
                .await
                .unwrap_or_else(|_| panic!("{backend}: a store through {how} woke no worker"));
            assert_eq!(handled.as_deref(), Some(id.as_str()), "{backend}");
        }
        stop.send(()).unwrap();
        let report = tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.done, through.len(), "{backend}: {report:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_at_the_same_moment_are_each_answered_as_alone() {
    for (backend, url) in databases("together") {
        let inbox = Inbox::open(&url).await.unwrap();
        // 40 deliveries; 12 of them sent twice, 12 others with a second, different body
        // under the same id: 64 stores at once.
        let mut deliveries: Vec<Delivery> = (0..40)
            .map(|n| sample(ActivityType::NoteCreated, &format!("a-{n:02}")))
            .collect();
        deliveries.extend((0..12).map(|n| sample(ActivityType::NoteCreated, &format!("a-{n:02}"))));
        deliveries.extend((12..24).map(|n| sample(ActivityType::LeadWon, &format!("a-{n:02}"))));
        let barrier = Arc::new(tokio::sync::Barrier::new(deliveries.len()));
        let stores: Vec<_> = deliveries
            .into_iter()
            .map(|delivery| {
                let (inbox, barrier) = (inbox.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    inbox.store(&delivery).await.unwrap()
                })
            })
            .collect();
        let mut answers: HashMap<Stored, usize> = HashMap::new();
        for store in stores {
            *answers.entry(store.await.unwrap()).or_default() += 1;
        }
        let expected = HashMap::from([
            (Stored::New, 40),
            (Stored::Duplicate, 12),
            (Stored::Conflict, 12),
        ]);
        assert_eq!(answers, expected, "{backend}");
        let rows = inbox.list(None, 1000).await.unwrap();
        assert_eq!(rows.len(), 52, "{backend}: 40 deliveries and 12 conflicts");
        let conflicts = rows.iter().filter(|row| row.conflict_of.is_some()).count();
        assert_eq!(conflicts, 12, "{backend}");
    }
}
