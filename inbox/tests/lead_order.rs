//! Lead order (`Worker::ordered_by_lead`): the deliveries of one lead are handled one at a time
//! in their activity's order, whatever order they were stored in, across workers on pools of
//! their own (as in several processes); a delivery that fails holds the later ones of its
//! lead, and only those, until it is dead, and then says how many it held. Every test runs on
//! SQLite and on PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use clinchpad_webhook::{ActivityType, Delivery, Payload};
use clinchpad_webhook_inbox::{Inbox, Outcome, State};
use common::{databases, receiver, run_until, KEY};

/// The `n`th activity of `lead`, under `id`: its time `n` seconds after the first.
fn activity(lead: &str, n: i64, id: &str) -> Delivery {
    let mut payload = Payload::sample(ActivityType::LeadMoved)
        .with_activity_id(id)
        .with_created_at(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(n),
        )
        .with_handshake_key(KEY);
    payload.lead.id = lead.to_owned().into();
    receiver().accept(None, &payload.to_wire_bytes()).unwrap()
}

/// What the handlers saw: per lead, the times of the activities handled, in the order they
/// began; and how often two of one lead were in hand at once.
#[derive(Default)]
struct Seen {
    order: HashMap<String, Vec<i64>>,
    in_hand: HashMap<String, usize>,
    overlaps: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leads_deliveries_run_one_at_a_time_in_their_activitys_order() {
    for (backend, url) in databases("lead_order") {
        let inbox = Inbox::open(&url).await.unwrap();
        // Three leads, 15 activities each, stored in a scrambled order (the ids sort in
        // neither the order of storing nor of the activities).
        let mut all = Vec::new();
        for lead in ["lead-a", "lead-b", "lead-c"] {
            for n in 0..15 {
                all.push((lead, n));
            }
        }
        all.sort_by_key(|(lead, n)| (n * 7 + lead.len() as i64 * 3) % 11);
        for (place, (lead, n)) in all.iter().enumerate() {
            let id = format!("{:02}-{lead}-{n:02}", (place * 17) % 45);
            inbox.store(&activity(lead, *n, &id)).await.unwrap();
        }
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let handler = {
            let seen = seen.clone();
            move |payload: Payload| {
                let seen = seen.clone();
                async move {
                    let lead = payload.lead.id.to_string();
                    {
                        let mut seen = seen.lock().unwrap();
                        let at = payload.activity.created_at.timestamp();
                        seen.order.entry(lead.clone()).or_default().push(at);
                        let in_hand = seen.in_hand.entry(lead.clone()).or_default();
                        *in_hand += 1;
                        if *in_hand > 1 {
                            seen.overlaps += 1;
                        }
                    }
                    // Long enough for another worker to take a later one, were it allowed.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    *seen.lock().unwrap().in_hand.get_mut(&lead).unwrap() -= 1;
                    Ok::<(), String>(())
                }
            }
        };
        // Two workers on pools of their own, as in two processes, with room for many at once.
        let other = Inbox::open(&url).await.unwrap();
        let workers = vec![
            inbox
                .worker(handler.clone())
                .ordered_by_lead()
                .concurrency(8),
            other.worker(handler).ordered_by_lead().concurrency(8),
        ];
        run_until(workers, || {
            seen.lock()
                .unwrap()
                .order
                .values()
                .map(Vec::len)
                .sum::<usize>()
                == 45
        })
        .await;
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.overlaps, 0,
            "{backend}: two of one lead in hand at once"
        );
        for (lead, order) in &seen.order {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(order, &sorted, "{backend}: {lead} out of order");
            assert_eq!(order.len(), 15, "{backend}: {lead}");
        }
    }
}

#[tokio::test]
async fn a_failing_delivery_holds_the_later_ones_of_its_lead_until_it_is_dead() {
    for (backend, url) in databases("held") {
        let inbox = Inbox::open(&url).await.unwrap();
        inbox.store(&activity("lead-a", 1, "a-1")).await.unwrap();
        inbox.store(&activity("lead-a", 2, "a-2")).await.unwrap();
        inbox.store(&activity("lead-a", 3, "a-3")).await.unwrap();
        inbox.store(&activity("lead-b", 2, "b-2")).await.unwrap();
        let worker = inbox
            .worker(|payload: Payload| async move {
                match payload.activity.id.as_str() {
                    "a-1" => Err("the CRM refused it".to_owned()),
                    _ => Ok(()),
                }
            })
            .ordered_by_lead()
            .max_attempts(3)
            .backoff(Duration::from_millis(20), Duration::from_millis(20));
        // Each outcome in the order it came.
        let mut outcomes = Vec::new();
        let started = Instant::now();
        while outcomes.len() < 6 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{backend}: {outcomes:?}"
            );
            match worker.run_once().await.unwrap() {
                Some(outcome) => outcomes.push(outcome),
                None => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        let place = |wanted: &dyn Fn(&Outcome) -> bool| {
            outcomes
                .iter()
                .position(wanted)
                .unwrap_or_else(|| panic!("{backend}: {outcomes:?}"))
        };
        let dead = place(&|o| matches!(o, Outcome::Dead { key, .. } if key == "a-1"));
        let second = place(&|o| matches!(o, Outcome::Done { key } if key == "a-2"));
        let third = place(&|o| matches!(o, Outcome::Done { key } if key == "a-3"));
        let other_lead = place(&|o| matches!(o, Outcome::Done { key } if key == "b-2"));
        assert!(dead < second && second < third, "{backend}: {outcomes:?}");
        assert!(
            other_lead < dead,
            "{backend}: another lead is not held: {outcomes:?}"
        );
        let dead = inbox.get("a-1").await.unwrap().unwrap();
        assert_eq!(dead.state, State::Dead);
        let error = dead.last_error.unwrap();
        assert!(
            error.starts_with("the CRM refused it") && error.contains("it held 2 later deliveries"),
            "{backend}: {error}"
        );
    }
}
