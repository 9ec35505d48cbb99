//! The backfill against a local double of ClinchPad's REST API: what the webhook never
//! delivered is recovered once, within the budget of calls, whatever the API does mid-run.
#![cfg(feature = "backfill")]

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use clinchpad_webhook::{ActivityType, Lead, Payload, Pipe, Stage};
use clinchpad_webhook_inbox::api::testing::ApiDouble;
use clinchpad_webhook_inbox::api::{ApiError, ApiKey, Client, Recovered};
use clinchpad_webhook_inbox::{Backfill, BackfillCause, Inbox, Outcome, Reached, State, Stored};
use serde_json::json;

const API_KEY: &str = "double-api-key-5a1e";

/// When the newest activity of every test happened.
fn newest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// An ObjectId of `at`: its first four bytes the time, then `n`.
fn object_id(at: DateTime<Utc>, n: u64) -> String {
    format!("{:08x}{:016x}", at.timestamp() as u32, n)
}

/// The `n`th activity back from the newest, a minute apart, on one of `leads` leads, its type
/// going round the documented ones.
fn activity(n: u64, leads: u64) -> Payload {
    let at = newest() - chrono::Duration::minutes(n as i64);
    let kind = ActivityType::ALL[(n % ActivityType::ALL.len() as u64) as usize];
    Payload::sample(kind)
        .with_activity_id(object_id(at, n))
        .with_created_at(at)
        .with_lead(lead(n % leads))
}

fn lead(n: u64) -> Lead {
    let mut lead = Lead::new(object_id(newest(), 1_000_000 + n), format!("Lead {n}"));
    lead.stage = Some(Stage::new(object_id(newest(), 1), "Negotiation"));
    lead.pipe = Some(Pipe::new(object_id(newest(), 2), "Default"));
    lead
}

/// The time of the `n`th activity back.
fn at(n: u64) -> DateTime<Utc> {
    newest() - chrono::Duration::minutes(n as i64)
}

fn client(double: &ApiDouble, budget: u32) -> Client {
    Client::builder()
        .base_url(double.url())
        .budget_per_hour(budget)
        .pauses(Duration::from_millis(5), Duration::from_millis(20))
        .build(ApiKey::new(API_KEY).unwrap())
        .unwrap()
}

async fn double_with(count: u64, leads: u64, first_page: u32) -> ApiDouble {
    let double = ApiDouble::start(API_KEY).await;
    double.first_page(first_page);
    for n in 0..count {
        double.add(&activity(n, leads));
    }
    double
}

async fn stored(inbox: &Inbox) -> Vec<clinchpad_webhook_inbox::Entry> {
    inbox.list(None, 100_000).await.unwrap()
}

#[tokio::test]
async fn a_thousand_missed_activities_across_200_leads_take_at_most_40_pages_and_a_call_per_lead() {
    // Pages counted from 0 and from 1 (the documentation does not say which), on both
    // databases.
    let runs = [
        ("sqlite, pages from 0", common::sqlite("backfill-1000-0"), 0),
        ("sqlite, pages from 1", common::sqlite("backfill-1000-1"), 1),
        (
            "postgres, pages from 1",
            common::postgres::shared().fresh_database("backfill_1000"),
            1,
        ),
    ];
    for (name, url, first_page) in runs {
        let double = double_with(1_000, 200, first_page).await;
        let inbox = Inbox::open(&url).await.unwrap();
        let budget = 300;
        let client = client(&double, budget);
        let report = inbox
            .backfill(&client, &Backfill::new().since(at(999)))
            .await
            .unwrap();
        eprintln!("{name}: {report}");
        assert_eq!(report.recovered, 1_000, "{name}: {report}");
        assert_eq!(
            (report.seen, report.already_stored, report.drifted),
            (1_000, 0, 0),
            "{name}"
        );
        assert!(
            double.activity_list_calls() <= 40,
            "{name}: {}",
            double.activity_list_calls()
        );
        assert_eq!(double.lead_calls(), 200, "{name}");
        assert_eq!(report.leads_read, 200, "{name}");
        assert_eq!(report.calls, double.calls(), "{name}");
        assert!(double.calls() <= u64::from(budget), "{name}");
        assert_eq!(report.reached, Some(Reached::End), "{name}");

        let entries = stored(&inbox).await;
        assert_eq!(entries.len(), 1_000, "{name}");
        for entry in &entries {
            assert!(entry.typed, "{name}: {:?}", entry.drift);
            assert!(entry.recovered_at.is_some(), "{name}");
            assert_eq!(entry.verified, Some(true), "{name}");
            assert_eq!(entry.state, State::Pending, "{name}");
        }
        // A worker gets each as the webhook would have sent it, marked recovered.
        let worker = inbox.worker(|payload: Payload| async move {
            let mark = Recovered::of(&payload).ok_or("not marked recovered")?;
            if mark.lead_as_of.is_none() || payload.lead.stage.is_none() {
                return Err("no stage");
            }
            if payload.lead.pipe.as_ref().map(|pipe| pipe.name.as_str()) != Some("Default") {
                return Err("no pipe");
            }
            Ok(())
        });
        for _ in 0..3 {
            let outcome = worker.run_once().await.unwrap();
            assert!(
                matches!(outcome, Some(Outcome::Done { .. })),
                "{name}: {outcome:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_spent_budget_stops_the_backfill_and_the_next_run_goes_on_with_nothing_stored_twice() {
    for (db, url) in common::databases("backfill-budget") {
        let double = double_with(1_000, 200, 1).await;
        let inbox = Inbox::open(&url).await.unwrap();
        let backfill = Backfill::new().since(at(999));
        let mut recovered = 0;
        let mut runs = 0;
        let report = loop {
            runs += 1;
            assert!(runs <= 20, "{db}: no end after {runs} runs");
            // A fresh client each time, as a process run again an hour later.
            match inbox.backfill(&client(&double, 150), &backfill).await {
                Ok(report) => break report,
                Err(err) => {
                    assert!(
                        matches!(err.cause, BackfillCause::Api(ApiError::BudgetSpent { .. })),
                        "{db}: {err}"
                    );
                    assert!(err.report.calls <= 150, "{db}: {err}");
                    assert!(err.to_string().contains("budget"), "{db}: {err}");
                    recovered += err.report.recovered;
                }
            }
        };
        recovered += report.recovered;
        eprintln!("{db}: {runs} runs, the last: {report}");
        assert!(runs >= 4, "{db}: {runs}");
        assert!(report.resumed, "{db}: {report}");
        assert_eq!(recovered, 1_000, "{db}");
        assert_eq!(stored(&inbox).await.len(), 1_000, "{db}");
        // Each run lost at most the page it stopped in: its leads are read again.
        assert!(
            double.activity_list_calls() <= 40 + runs,
            "{db}: {}",
            double.activity_list_calls()
        );
    }
}

#[tokio::test]
async fn a_429_and_5xx_mid_run_are_asked_again_with_backoff() {
    for (db, url) in common::databases("backfill-failures") {
        let double = double_with(250, 50, 0).await;
        let inbox = Inbox::open(&url).await.unwrap();
        let client = client(&double, 960);
        let mut held = double.hold_next("/api/v1/leads/");
        let run = {
            let inbox = inbox.clone();
            tokio::spawn(async move {
                inbox
                    .backfill(&client, &Backfill::new().since(at(249)))
                    .await
            })
        };
        tokio::time::timeout(Duration::from_secs(10), held.reached())
            .await
            .unwrap();
        double.fail_next(503, 2);
        double.fail_next(429, 1);
        double.fail_next(500, 1);
        held.release();
        let report = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(report.recovered, 250, "{db}: {report}");
        assert_eq!(
            report.calls,
            report.pages + report.leads_read + 4,
            "{db}: {report}"
        );
        assert_eq!(stored(&inbox).await.len(), 250, "{db}");
    }
}

#[tokio::test]
async fn server_errors_on_every_attempt_stop_the_run_where_it_can_go_on() {
    let url = common::sqlite("backfill-down");
    let double = double_with(250, 50, 0).await;
    let inbox = Inbox::open(&url).await.unwrap();
    double.fail_next(502, 5);
    let err = inbox
        .backfill(&client(&double, 960), &Backfill::new().since(at(249)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.cause,
            BackfillCause::Api(ApiError::Server {
                status: 502,
                attempts: 5,
                ..
            })
        ),
        "{err}"
    );
    let report = inbox
        .backfill(&client(&double, 960), &Backfill::new().since(at(249)))
        .await
        .unwrap();
    assert_eq!(report.recovered, 250, "{report}");
}

#[tokio::test]
async fn a_webhook_delivery_arriving_during_a_backfill_is_stored_once_as_sent() {
    for (db, url) in common::databases("backfill-race") {
        let double = double_with(40, 10, 0).await;
        let inbox = Inbox::open(&url).await.unwrap();
        // The backfill has seen that the newest activity is missing and reads its lead;
        // meanwhile, ClinchPad's own delivery of it arrives.
        let mut held = double.hold_next("/api/v1/leads/");
        let run = {
            let (inbox, client) = (inbox.clone(), client(&double, 960));
            tokio::spawn(async move {
                inbox
                    .backfill(&client, &Backfill::new().since(at(39)))
                    .await
            })
        };
        tokio::time::timeout(Duration::from_secs(10), held.reached())
            .await
            .unwrap();
        let sent = activity(0, 10).with_handshake_key(common::KEY);
        let delivery = common::receiver()
            .accept(None, &sent.to_wire_bytes())
            .unwrap();
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New, "{db}");
        held.release();
        let report = run.await.unwrap().unwrap();
        assert_eq!(
            (report.recovered, report.already_stored),
            (39, 1),
            "{db}: {report}"
        );
        let entries = stored(&inbox).await;
        assert_eq!(entries.len(), 40, "{db}");
        let first = inbox.get(sent.activity.id.as_str()).await.unwrap().unwrap();
        assert_eq!(
            first.recovered_at, None,
            "{db}: the webhook's delivery stands"
        );
    }
}

#[tokio::test]
async fn a_real_delivery_after_recovery_is_a_duplicate_and_its_body_takes_the_place() {
    for (db, url) in common::databases("backfill-later") {
        let double = double_with(10, 5, 0).await;
        let inbox = Inbox::open(&url).await.unwrap();
        inbox
            .backfill(&client(&double, 960), &Backfill::new().since(at(9)))
            .await
            .unwrap();
        let sent = activity(3, 5).with_handshake_key(common::KEY);
        let id = sent.activity.id.as_str().to_owned();
        assert!(inbox
            .get(&id)
            .await
            .unwrap()
            .unwrap()
            .recovered_at
            .is_some());
        let delivery = common::receiver()
            .accept(None, &sent.to_wire_bytes())
            .unwrap();
        assert_eq!(
            inbox.store(&delivery).await.unwrap(),
            Stored::Duplicate,
            "{db}"
        );
        let entry = inbox.get(&id).await.unwrap().unwrap();
        assert_eq!(entry.recovered_at, None, "{db}");
        assert!(
            !entry.body.contains("\"recovered\""),
            "{db}: {}",
            entry.body
        );
        assert!(!entry.body.contains(common::KEY), "{db}");
        assert_eq!(stored(&inbox).await.len(), 10, "{db}");

        // Once a worker has taken a recovered one, a later delivery changes nothing.
        let worker = inbox.worker(|_: Payload| async { Ok::<(), String>(()) });
        while worker.run_once().await.unwrap().is_some() {}
        let late = activity(4, 5).with_handshake_key(common::KEY);
        let delivery = common::receiver()
            .accept(None, &late.to_wire_bytes())
            .unwrap();
        assert_eq!(
            inbox.store(&delivery).await.unwrap(),
            Stored::Duplicate,
            "{db}"
        );
        let entry = inbox.get(late.activity.id.as_str()).await.unwrap().unwrap();
        assert!(entry.recovered_at.is_some(), "{db}");
        assert_eq!(entry.state, State::Done, "{db}");
    }
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_with_a_clear_error_that_never_quotes_it() {
    let url = common::sqlite("backfill-wrong-key");
    let double = double_with(10, 5, 0).await;
    let inbox = Inbox::open(&url).await.unwrap();
    let wrong = "wrong-key-9f8e7d6c5b4a";
    let client = Client::builder()
        .base_url(double.url())
        .build(ApiKey::new(wrong).unwrap())
        .unwrap();
    let err = inbox.backfill(&client, &Backfill::new()).await.unwrap_err();
    assert!(
        matches!(err.cause, BackfillCause::Api(ApiError::Unauthorized)),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("401") && message.contains("API key"),
        "{message}"
    );
    assert!(
        !message.contains(wrong) && !format!("{err:?}").contains(wrong),
        "{message}"
    );
    assert_eq!(double.refused(), 1, "a refused key is not asked again");
    assert!(stored(&inbox).await.is_empty());
}

#[tokio::test]
async fn bodies_that_drift_are_kept_with_their_reason_never_dropped() {
    for (db, url) in common::databases("backfill-drift") {
        let double = double_with(5, 5, 0).await;
        // A user given by its id, an activity with no lead, and one that is not an object.
        let mut user_as_id = clinchpad_webhook_api::testing::rest_activity(&activity(5, 5));
        user_as_id["user"] = json!("521f26ebcce8b4310e000064");
        double.add_raw(user_as_id);
        let mut no_lead = clinchpad_webhook_api::testing::rest_activity(&activity(6, 5));
        no_lead.as_object_mut().unwrap().remove("lead");
        double.add_raw(no_lead);
        double.add_raw(json!("an activity as a string"));
        // And a lead deleted since: its activity is kept, with the lead it named.
        double.remove_lead(lead(0).id.as_str());
        let inbox = Inbox::open(&url).await.unwrap();
        let report = inbox
            .backfill(&client(&double, 960), &Backfill::new().since(at(10)))
            .await
            .unwrap();
        assert_eq!((report.recovered, report.drifted), (8, 3), "{db}: {report}");
        let entries = stored(&inbox).await;
        assert_eq!(entries.len(), 8, "{db}");
        let drift: Vec<String> = entries
            .iter()
            .filter_map(|entry| entry.drift.clone())
            .collect();
        assert_eq!(drift.len(), 3, "{db}");
        assert!(
            drift.iter().any(|why| why.contains("activity.user")),
            "{db}: {drift:?}"
        );
        assert!(
            drift.iter().any(|why| why.contains("lead._id")),
            "{db}: {drift:?}"
        );
        assert!(
            drift.iter().any(|why| why.contains("not a JSON object")),
            "{db}: {drift:?}"
        );
        assert!(
            drift.iter().all(|why| why.starts_with("recovered: ")),
            "{db}: {drift:?}"
        );

        let gone = entries
            .iter()
            .find(|entry| entry.lead_id.as_deref() == Some(lead(0).id.as_str()) && entry.typed)
            .expect("the gone lead's activity");
        let payload = clinchpad_webhook::parse(gone.body.as_bytes()).unwrap();
        assert_eq!(payload.lead.stage, None, "{db}");
        assert_eq!(payload.lead.name, "Lead 0", "{db}");
        assert_eq!(Recovered::of(&payload).unwrap().lead_as_of, None, "{db}");
    }
}

#[tokio::test]
async fn the_next_backfill_goes_down_to_the_last_one_and_no_further() {
    let url = common::sqlite("backfill-next");
    let double = ApiDouble::start(API_KEY).await;
    for n in 100..400 {
        double.add(&activity(n, 20));
    }
    let inbox = Inbox::open(&url).await.unwrap();
    let first = inbox
        .backfill(&client(&double, 960), &Backfill::new().since(at(399)))
        .await
        .unwrap();
    assert_eq!(first.recovered, 300, "{first}");
    // Later: 100 newer activities, missed while the receiver was down.
    for n in 0..100 {
        double.add(&activity(n, 20));
    }
    let lists_before = double.activity_list_calls();
    let next = inbox
        .backfill(&client(&double, 960), &Backfill::new())
        .await
        .unwrap();
    assert_eq!(next.reached, Some(Reached::LastRun), "{next}");
    assert_eq!(next.recovered, 100, "{next}");
    // Down to ten minutes before the last run's newest, and the page that holds it.
    assert_eq!(next.already_stored, 11, "{next}");
    assert_eq!(double.activity_list_calls() - lists_before, 2, "{next}");
}

#[tokio::test]
async fn the_first_backfill_with_no_since_stops_at_a_run_of_activities_already_held() {
    let url = common::sqlite("backfill-held");
    let double = double_with(400, 40, 0).await;
    let inbox = Inbox::open(&url).await.unwrap();
    // The webhook delivered all but the 30 newest.
    for n in 30..400 {
        let sent = activity(n, 40).with_handshake_key(common::KEY);
        let delivery = common::receiver()
            .accept(None, &sent.to_wire_bytes())
            .unwrap();
        inbox.store(&delivery).await.unwrap();
    }
    let report = inbox
        .backfill(&client(&double, 960), &Backfill::new().held_run(50))
        .await
        .unwrap();
    assert_eq!(report.reached, Some(Reached::HeldRun), "{report}");
    assert_eq!(
        (report.recovered, report.already_stored),
        (30, 70),
        "{report}"
    );
    assert_eq!(report.pages, 1, "{report}");
}

#[tokio::test]
async fn a_backfill_of_some_types_asks_for_those_only_and_keeps_its_own_place() {
    let url = common::sqlite("backfill-types");
    let double = double_with(330, 30, 0).await;
    let inbox = Inbox::open(&url).await.unwrap();
    let notes = Backfill::new()
        .since(at(329))
        .types(["note:created", "lead:moved"]);
    let report = inbox.backfill(&client(&double, 960), &notes).await.unwrap();
    assert_eq!(report.recovered, 20, "{report}");
    let entries = stored(&inbox).await;
    assert!(entries.iter().all(|entry| matches!(
        entry.activity_type.as_deref(),
        Some("note:created" | "lead:moved")
    )));
    // A backfill of every type is not told it is done by the one of notes.
    let all = inbox
        .backfill(&client(&double, 960), &Backfill::new().since(at(329)))
        .await
        .unwrap();
    assert_eq!((all.recovered, all.already_stored), (310, 20), "{all}");
}
