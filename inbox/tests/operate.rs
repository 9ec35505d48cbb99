//! Operating the inbox: deliveries chosen by filter (state, type, lead, error text, received
//! between) counted, listed, retried in bulk spread over a window, and purged in batches
//! (never one not yet processed); done deliveries kept only so long; processing paused and
//! resumed per type while deliveries are still stored; readiness. Every test runs on SQLite
//! and on PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use clinchpad_webhook::{ActivityType, LeadId, Payload};
use clinchpad_webhook_inbox::{Filter, Inbox, InboxError, InboxOptions, ManualClock, Pause, State};
use common::{databases, receiver};

/// The start of every test's clock: 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const DAY: Duration = Duration::from_secs(86_400);

/// Stores a sample of `kind` under `id`, of lead `lead`.
async fn store(inbox: &Inbox, kind: ActivityType, id: &str, lead: &str) {
    let mut payload = Payload::sample(kind).with_activity_id(id);
    payload.lead.id = LeadId::from(lead);
    inbox.store_payload(&payload, &receiver()).await.unwrap();
}

/// Runs a worker over every due delivery: `fail` decides, by activity id, which fail.
async fn process(inbox: &Inbox, fail: fn(&str) -> bool) {
    let worker = inbox
        .worker(move |payload: Payload| async move {
            match fail(payload.activity.id.as_str()) {
                true => Err(format!("upstream Timeout for {}", payload.activity.id)),
                false => Ok(()),
            }
        })
        .max_attempts(1);
    for _ in 0..10_000 {
        if worker.run_once().await.unwrap().is_none() {
            return;
        }
    }
    panic!("more than 10,000 deliveries due");
}

fn keys(entries: &[clinchpad_webhook_inbox::Entry]) -> BTreeSet<String> {
    entries.iter().map(|entry| entry.key.clone()).collect()
}

/// Ten deliveries: `moved-0..5` of lead-a (the even ones fail), `note-0..5` of lead-b.
async fn ten(url: &str) -> (Inbox, ManualClock) {
    let clock = ManualClock::at(T0);
    let inbox = Inbox::open(url).await.unwrap().with_clock(clock.clone());
    for n in 0..5 {
        store(
            &inbox,
            ActivityType::LeadMoved,
            &format!("moved-{n}"),
            "lead-a",
        )
        .await;
        clock.advance(Duration::from_secs(60));
        store(
            &inbox,
            ActivityType::NoteCreated,
            &format!("note-{n}"),
            "lead-b",
        )
        .await;
        clock.advance(Duration::from_secs(60));
    }
    process(&inbox, |id| {
        id.starts_with("moved-") && id.ends_with(['0', '2', '4'])
    })
    .await;
    (inbox, clock)
}

#[tokio::test]
async fn filters_narrow_by_state_type_lead_error_text_and_time() {
    for (db, url) in databases("filters") {
        let (inbox, _clock) = ten(&url).await;
        let count = |filter: Filter| {
            let inbox = inbox.clone();
            async move { inbox.count(&filter).await.unwrap() }
        };
        assert_eq!(count(Filter::new()).await, 10, "{db}");
        assert_eq!(count(Filter::new().state(State::Dead)).await, 3, "{db}");
        assert_eq!(
            count(Filter::new().state(State::Dead).state(State::Done)).await,
            10,
            "{db}"
        );
        assert_eq!(count(Filter::new().activity_type("note:created")).await, 5);
        assert_eq!(
            count(
                Filter::new()
                    .activity_type("note:created")
                    .activity_type("lead:moved")
            )
            .await,
            10
        );
        assert_eq!(count(Filter::new().lead("lead-a")).await, 5, "{db}");
        assert_eq!(count(Filter::new().lead("lead-c")).await, 0, "{db}");
        // Either case, and characters that mean something to LIKE mean nothing here.
        assert_eq!(
            count(Filter::new().error_contains("TIMEOUT")).await,
            3,
            "{db}"
        );
        assert_eq!(
            count(Filter::new().error_contains("moved-2")).await,
            1,
            "{db}"
        );
        assert_eq!(count(Filter::new().error_contains("%")).await, 0, "{db}");
        assert_eq!(count(Filter::new().error_contains("_")).await, 0, "{db}");
        // The 2nd to the 4th delivery stored (one a minute), the end excluded.
        let from = T0 + 60_000;
        let to = T0 + 4 * 60_000;
        let between = Filter::new().received_between(Some(from), Some(to));
        let listed = inbox.list_matching(&between, 100).await.unwrap();
        assert_eq!(
            keys(&listed),
            BTreeSet::from(["moved-1".into(), "note-0".into(), "note-1".into()]),
            "{db}"
        );
        // The latest first, at most the limit.
        let latest = inbox.list_matching(&Filter::new(), 2).await.unwrap();
        assert_eq!(latest[0].key, "note-4", "{db}");
        assert_eq!(latest.len(), 2, "{db}");

        let counts = inbox.counts().await.unwrap();
        assert_eq!(
            (counts.done, counts.dead, counts.pending),
            (7, 3, 0),
            "{db}"
        );
        assert_eq!(counts.oldest_pending_received_at, None, "{db}");
    }
}

#[tokio::test]
async fn a_bulk_retry_makes_the_chosen_dead_due_spread_over_its_window() {
    for (db, url) in databases("bulk-retry") {
        let clock = ManualClock::at(T0);
        let inbox = Inbox::open(&url).await.unwrap().with_clock(clock.clone());
        for n in 0..300 {
            store(
                &inbox,
                ActivityType::LeadMoved,
                &format!("m-{n:03}"),
                "lead-a",
            )
            .await;
        }
        store(&inbox, ActivityType::NoteCreated, "n-1", "lead-b").await;
        process(&inbox, |id| id.starts_with("m-") || id == "n-1").await;
        assert_eq!(
            inbox
                .count(&Filter::new().state(State::Dead))
                .await
                .unwrap(),
            301
        );

        let chosen = Filter::new().state(State::Dead).activity_type("lead:moved");
        let spread = Duration::from_secs(60);
        assert_eq!(
            inbox.retry_matching(&chosen, spread).await.unwrap(),
            300,
            "{db}"
        );
        let pending = inbox
            .list_matching(&Filter::new().state(State::Pending), 1_000)
            .await
            .unwrap();
        assert_eq!(pending.len(), 300, "{db}");
        let due: BTreeSet<i64> = pending.iter().map(|entry| entry.next_attempt_at).collect();
        assert!(
            due.iter().all(|&at| (T0..=T0 + 60_000).contains(&at)),
            "{db}: due within the window"
        );
        // Spread, not all at once: 300 draws over 60,000 ms.
        assert!(due.len() > 200, "{db}: {} distinct times", due.len());
        assert!(pending.iter().all(|entry| entry.attempts == 0), "{db}");
        // The note was not chosen; still dead.
        let note = inbox.get("n-1").await.unwrap().unwrap();
        assert_eq!(note.state, State::Dead, "{db}");

        // Nothing is due until its time comes; by the end of the window all are.
        let worker = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
        clock.advance(Duration::from_secs(61));
        let mut done = 0;
        while worker.run_once().await.unwrap().is_some() {
            done += 1;
            assert!(done <= 300);
        }
        assert_eq!(done, 300, "{db}");
    }
}

#[tokio::test]
async fn a_retry_leaves_a_delivery_a_worker_has() {
    for (db, url) in databases("bulk-retry-running") {
        let inbox = Inbox::open(&url).await.unwrap();
        store(&inbox, ActivityType::LeadMoved, "held", "lead-a").await;
        let (held, release) = {
            let release = std::sync::Arc::new(tokio::sync::Notify::new());
            let wait = release.clone();
            let worker = inbox.worker(move |_: Payload| {
                let wait = wait.clone();
                async move {
                    wait.notified().await;
                    Ok::<(), String>(())
                }
            });
            (
                tokio::spawn(async move { worker.run_once().await }),
                release,
            )
        };
        let started = Instant::now();
        while inbox.get("held").await.unwrap().unwrap().state != State::Running {
            assert!(started.elapsed() < Duration::from_secs(10), "{db}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            inbox
                .retry_matching(&Filter::new(), Duration::ZERO)
                .await
                .unwrap(),
            0,
            "{db}"
        );
        assert_eq!(inbox.purge(&Filter::new()).await.unwrap(), 0, "{db}");
        release.notify_one();
        held.await.unwrap().unwrap();
        assert_eq!(inbox.get("held").await.unwrap().unwrap().state, State::Done);
    }
}

#[tokio::test]
async fn a_purge_removes_done_and_dead_in_batches_and_never_what_is_unprocessed() {
    for (db, url) in databases("purge") {
        let inbox = Inbox::open(&url).await.unwrap();
        // More than one batch of done deliveries: stored, then made done by the test at once.
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        for n in 0..2_600 {
            store(
                &inbox,
                ActivityType::NoteCreated,
                &format!("d-{n:04}"),
                "lead-a",
            )
            .await;
        }
        sqlx::query("UPDATE clinchpad_deliveries SET state = 'done', finished_at = received_at")
            .execute(&pool)
            .await
            .unwrap();
        store(&inbox, ActivityType::LeadMoved, "pending-1", "lead-b").await;

        // A filter naming pending or running still removes none of those.
        let everything = Filter::new()
            .state(State::Pending)
            .state(State::Running)
            .state(State::Done)
            .state(State::Dead);
        assert_eq!(inbox.count(&everything).await.unwrap(), 2_601, "{db}");
        assert_eq!(inbox.purge(&everything).await.unwrap(), 2_600, "{db}");
        assert_eq!(inbox.count(&Filter::new()).await.unwrap(), 1, "{db}");
        assert!(inbox.get("pending-1").await.unwrap().is_some(), "{db}");
        assert_eq!(inbox.purge(&Filter::new()).await.unwrap(), 0, "{db}");
    }
}

#[tokio::test]
async fn done_deliveries_are_kept_as_long_as_the_inbox_says_and_dead_ones_until_removed() {
    for (db, url) in databases("retention") {
        let clock = ManualClock::at(T0);
        let inbox = InboxOptions::new()
            .keep_done(Some(7 * DAY))
            .open(&url)
            .await
            .unwrap()
            .with_clock(clock.clone());
        for n in 0..4 {
            store(&inbox, ActivityType::LeadWon, &format!("won-{n}"), "lead-a").await;
        }
        process(&inbox, |id| id == "won-3").await;
        clock.advance(6 * DAY);
        assert_eq!(inbox.prune().await.unwrap(), 0, "{db}: not old enough yet");
        clock.advance(2 * DAY);
        store(&inbox, ActivityType::LeadWon, "won-new", "lead-a").await;
        process(&inbox, |_| false).await;
        assert_eq!(inbox.prune().await.unwrap(), 3, "{db}");
        let left = keys(&inbox.list_matching(&Filter::new(), 10).await.unwrap());
        assert_eq!(
            left,
            BTreeSet::from(["won-3".into(), "won-new".into()]),
            "{db}: the dead one and the recent one are kept"
        );

        // A worker prunes as it starts, without being asked.
        clock.advance(8 * DAY);
        let worker = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
        let report = worker
            .run(tokio::time::sleep(Duration::from_millis(300)))
            .await;
        assert_eq!(report.pruned, 1, "{db}");
        assert_eq!(inbox.count(&Filter::new()).await.unwrap(), 1, "{db}");

        // Kept for ever when asked.
        let forever = InboxOptions::new()
            .keep_done(None)
            .open(&url)
            .await
            .unwrap()
            .with_clock(clock.clone());
        store(&forever, ActivityType::LeadWon, "kept", "lead-a").await;
        process(&forever, |_| false).await;
        clock.advance(365 * DAY);
        assert_eq!(forever.prune().await.unwrap(), 0, "{db}");
    }
}

#[tokio::test]
async fn a_paused_type_is_stored_but_left_until_resumed_and_other_types_go_on() {
    for (db, url) in databases("pause") {
        let inbox = Inbox::open(&url).await.unwrap();
        assert!(inbox.pause(Pause::Type("lead:moved".into())).await.unwrap());
        assert!(!inbox.pause(Pause::Type("lead:moved".into())).await.unwrap());
        store(&inbox, ActivityType::LeadMoved, "moved-1", "lead-a").await;
        store(&inbox, ActivityType::NoteCreated, "note-1", "lead-a").await;
        process(&inbox, |_| false).await;
        assert_eq!(
            inbox.get("note-1").await.unwrap().unwrap().state,
            State::Done
        );
        assert_eq!(
            inbox.get("moved-1").await.unwrap().unwrap().state,
            State::Pending,
            "{db}"
        );

        // Everything paused: nothing is taken, whatever its type.
        assert!(inbox.pause(Pause::All).await.unwrap());
        store(&inbox, ActivityType::NoteCreated, "note-2", "lead-a").await;
        process(&inbox, |_| false).await;
        assert_eq!(
            inbox.get("note-2").await.unwrap().unwrap().state,
            State::Pending
        );
        let paused: Vec<Pause> = inbox
            .paused()
            .await
            .unwrap()
            .into_iter()
            .map(|paused| paused.pause)
            .collect();
        assert_eq!(paused.len(), 2, "{db}");
        assert!(paused.contains(&Pause::All), "{db}");

        // A running worker sees a resume within its poll interval.
        let worker = inbox
            .worker(|_: Payload| async { Ok::<(), String>(()) })
            .poll_interval(Duration::from_millis(100));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            inbox.counts().await.unwrap().pending,
            2,
            "{db}: still paused"
        );
        assert!(inbox.resume(Pause::All).await.unwrap());
        assert!(inbox
            .resume(Pause::Type("lead:moved".into()))
            .await
            .unwrap());
        assert!(!inbox.resume(Pause::All).await.unwrap());
        // Taken up again without a restart: within half a second and a poll by design; the
        // bound here is only that it happens, on a loaded machine too.
        let resumed = Instant::now();
        while inbox.counts().await.unwrap().pending > 0 {
            assert!(resumed.elapsed() < Duration::from_secs(10), "{db}: resumed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        assert_eq!(running.await.unwrap().done, 2, "{db}");
    }
}

#[tokio::test]
async fn ready_says_whether_the_inbox_can_take_deliveries() {
    for (db, url) in databases("ready") {
        let inbox = Inbox::open(&url).await.unwrap();
        inbox.ready().await.unwrap();
        // The inbox's tables gone from under it (dropped by hand): not ready, and why.
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE clinchpad_inbox_migrations")
            .execute(&pool)
            .await
            .unwrap();
        assert!(
            matches!(inbox.ready().await, Err(InboxError::NoInbox)),
            "{db}"
        );
    }
    // SQLite's file removed under it.
    let url = common::sqlite("ready-file");
    let inbox = Inbox::open(&url).await.unwrap();
    std::fs::remove_file(url.trim_start_matches("sqlite://")).unwrap();
    assert!(matches!(inbox.ready().await, Err(InboxError::FileGone(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_s_rate_and_concurrency_hold_across_a_worker_family_while_others_go_on() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    for (db, url) in databases("limits") {
        let inbox = Inbox::open(&url).await.unwrap();
        for n in 0..30 {
            store(
                &inbox,
                ActivityType::LeadMoved,
                &format!("moved-{n}"),
                "lead-a",
            )
            .await;
            store(
                &inbox,
                ActivityType::NoteCreated,
                &format!("note-{n}"),
                "lead-b",
            )
            .await;
        }
        let starts: Arc<Mutex<Vec<(bool, Instant)>>> = Arc::default();
        let (in_hand, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (seen, holding, highest) = (starts.clone(), in_hand.clone(), most.clone());
        let first = inbox
            .worker(move |payload: Payload| {
                let moved = payload.activity.kind.type_name() == "lead:moved";
                seen.lock().unwrap().push((moved, Instant::now()));
                let (holding, highest) = (holding.clone(), highest.clone());
                async move {
                    if moved {
                        let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        highest.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        holding.fetch_sub(1, Ordering::SeqCst);
                    }
                    Ok::<(), String>(())
                }
            })
            .poll_interval(Duration::from_millis(50))
            .limit(
                "lead:moved",
                clinchpad_webhook_inbox::Limit::rate(20, Duration::from_secs(1)).at_once(2),
            );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running: Vec<_> = (0..4)
            .map(|_| {
                let worker = first.another();
                let mut stopped = stopped.clone();
                tokio::spawn(worker.run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                }))
            })
            .collect();
        let began = Instant::now();
        while inbox.counts().await.unwrap().done < 60 {
            assert!(
                began.elapsed() < Duration::from_secs(20),
                "{db}: all done in time"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stop.send(true);
        for worker in running {
            worker.await.unwrap();
        }
        let starts = starts.lock().unwrap().clone();
        let moved: Vec<Instant> = starts
            .iter()
            .filter(|(m, _)| *m)
            .map(|(_, at)| *at)
            .collect();
        let notes: Vec<Instant> = starts
            .iter()
            .filter(|(m, _)| !*m)
            .map(|(_, at)| *at)
            .collect();
        assert_eq!((moved.len(), notes.len()), (30, 30), "{db}");
        // One turn every 50 ms, never a burst: in any second at most 21 begin (a little more
        // for the time from a turn to its handler).
        for (i, start) in moved.iter().enumerate() {
            let within = moved[i..]
                .iter()
                .take_while(|at| at.duration_since(*start) < Duration::from_secs(1))
                .count();
            assert!(within <= 24, "{db}: {within} began within a second");
        }
        let span = moved.last().unwrap().duration_since(moved[0]);
        assert!(
            span >= Duration::from_millis(1_400),
            "{db}: 30 at 20/s took {span:?}"
        );
        assert!(most.load(Ordering::SeqCst) <= 2, "{db}: at most 2 at once");
        // The notes were not held behind them.
        assert!(notes.last().unwrap() < moved.last().unwrap(), "{db}");
    }
}
