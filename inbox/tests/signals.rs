//! Signals with no code from the application: a store, a conflict, a store that fails, a
//! refusal, a drifted delivery, an attempt that fails, one given up and one done are each a
//! `tracing` event at their level, inside a span that carries the activity's id, type and lead
//! (the handler's own events too), and each is counted through the `metrics` facade; no key is
//! in any of them. One test, since a recorder is global to the process.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use clinchpad_webhook::{ActivityType, Payload};
use clinchpad_webhook_inbox::{Inbox, Stored};
use common::{fixture, receiver, KEY};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One event as the test saw it: its level and target, its fields, and those of the spans it
/// is in (innermost last, so that an inner span's field wins).
#[derive(Debug, Clone)]
struct Seen {
    level: Level,
    target: String,
    fields: HashMap<String, String>,
}

impl Seen {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Seen>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        fields
            .0
            .insert("span".into(), attrs.metadata().name().to_owned());
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<Fields>() {
                    fields.extend(span_fields.0.clone());
                }
            }
        }
        let mut own = Fields::default();
        event.record(&mut own);
        fields.extend(own.0);
        self.0.lock().unwrap().push(Seen {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
}

/// A metric as the recorder holds it: its name, its labels, its value.
type Metric = (String, Vec<(String, String)>, DebugValue);

fn counter(snapshot: &[Metric], name: &str, label: Option<(&str, &str)>) -> u64 {
    snapshot
        .iter()
        .filter(|(key, labels, _)| {
            key == name
                && label.map_or(true, |(k, v)| {
                    labels.iter().any(|(lk, lv)| lk == k && lv == v)
                })
        })
        .map(|(_, _, value)| match value {
            DebugValue::Counter(n) => *n,
            DebugValue::Histogram(values) => values.len() as u64,
            DebugValue::Gauge(value) => value.into_inner() as u64,
        })
        .sum()
}

#[test]
fn stores_refusals_and_attempts_are_logged_traced_and_counted_without_a_key() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    // One thread: the handler's tasks run where the subscriber is set.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = common::sqlite("signals");
        let inbox = Inbox::open(&url).await.unwrap();
        let receiver = receiver();

        // Stored, then the same again, then another body under the same id.
        let won = fixture("lead_won.json");
        let delivery = receiver.accept(None, &won).unwrap();
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New);
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::Duplicate);
        let other = String::from_utf8(won.clone())
            .unwrap()
            .replacen("Negotiation", "Proposal", 1);
        let other = receiver.accept(None, other.as_bytes()).unwrap();
        assert_eq!(inbox.store(&other).await.unwrap(), Stored::Conflict);

        // Refused (a forged key), and drifted.
        let forged = String::from_utf8(won.clone())
            .unwrap()
            .replace(KEY, "guess-key-9");
        assert!(receiver.accept(None, forged.as_bytes()).is_err());
        let drifted =
            std::fs::read(common::root().join("fixtures/drift/subject_list.json")).unwrap();
        assert!(!receiver.accept(None, &drifted).unwrap().is_typed());

        // A failed attempt, then one given up; and a delivery done, whose handler logs.
        let moved = Payload::sample(ActivityType::LeadMoved).with_activity_id("moved-1");
        inbox.store_payload(&moved, &receiver).await.unwrap();
        let failing = inbox
            .worker(|payload: Payload| async move {
                match payload.activity.id.as_str() {
                    "moved-1" => Err("upstream timeout"),
                    _ => {
                        tracing::info!("the handler's own event");
                        Ok(())
                    }
                }
            })
            .max_attempts(2)
            .backoff(std::time::Duration::ZERO, std::time::Duration::ZERO);
        // Due again within a millisecond (the backoff's jitter), then given up.
        for _ in 0..200 {
            if failing.run_once().await.unwrap().is_none() {
                if inbox.counts().await.unwrap().dead == 1 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        let counts = inbox.sample_gauges().await.unwrap();
        assert_eq!(counts.dead, 1);

        // A store that fails: the file removed under the inbox.
        std::fs::remove_file(url.trim_start_matches("sqlite://")).unwrap();
        let late = Payload::sample(ActivityType::NoteCreated).with_activity_id("late");
        assert!(inbox.store_payload(&late, &receiver).await.is_err());
    });

    let seen = capture.0.lock().unwrap().clone();
    let find = |message: &str| -> Vec<Seen> {
        seen.iter()
            .filter(|event| {
                event
                    .get("message")
                    .is_some_and(|text| text.starts_with(message))
            })
            .cloned()
            .collect()
    };
    let stored: Vec<Seen> = find("delivery stored")
        .into_iter()
        .filter(|event| event.get("message") == Some("delivery stored"))
        .collect();
    assert_eq!(stored.len(), 3, "new, duplicate and the sample: {seen:#?}");
    let first = &stored[0];
    assert_eq!(
        (first.level, first.target.as_str()),
        (Level::INFO, "clinchpad_webhook_inbox")
    );
    assert_eq!(first.get("span"), Some("clinchpad.store"));
    assert_eq!(first.get("activity_type"), Some("lead:won"));
    assert!(first.get("activity_id").is_some() && first.get("lead_id").is_some());
    assert_eq!(first.get("outcome"), Some("new"));
    assert_eq!(find("delivery stored as a conflict")[0].level, Level::WARN);

    let refused = &find("delivery refused")[0];
    assert_eq!(
        (refused.level, refused.target.as_str()),
        (Level::WARN, "clinchpad_webhook")
    );
    assert_eq!(refused.get("status"), Some("401"));
    assert!(find("delivery drifted")[0].get("path").is_some());

    let retried = &find("attempt failed")[0];
    assert_eq!(retried.level, Level::WARN);
    assert_eq!(retried.get("span"), Some("clinchpad.attempt"));
    assert_eq!(retried.get("activity_id"), Some("moved-1"));
    assert_eq!(retried.get("attempt"), Some("1"));
    assert_eq!(retried.get("error"), Some("upstream timeout"));
    let dead = &find("delivery dead")[0];
    assert_eq!((dead.level, dead.get("attempt")), (Level::ERROR, Some("2")));
    let own = &find("the handler's own event")[0];
    assert_eq!(own.get("span"), Some("clinchpad.attempt"), "{own:?}");
    assert!(own.get("activity_id").is_some(), "{own:?}");
    assert!(!find("delivery done").is_empty());
    let unstored = &find("delivery not stored")[0];
    assert_eq!(
        (unstored.level, unstored.get("outcome")),
        (Level::WARN, Some("unavailable"))
    );

    // No key anywhere: neither the receiver's nor the forger's.
    for event in &seen {
        let text = format!("{event:?}");
        assert!(
            !text.contains(KEY) && !text.contains("guess-key-9"),
            "{text}"
        );
    }

    let snapshot: Vec<Metric> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = key
                .key()
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            (key.key().name().to_owned(), labels, value)
        })
        .collect();
    let count = |name: &str, label: Option<(&str, &str)>| counter(&snapshot, name, label);
    assert_eq!(
        count("clinchpad.inbox.stores", Some(("outcome", "new"))),
        2,
        "{snapshot:?}"
    );
    assert_eq!(
        count("clinchpad.inbox.stores", Some(("outcome", "duplicate"))),
        1
    );
    assert_eq!(
        count("clinchpad.inbox.stores", Some(("outcome", "conflict"))),
        1
    );
    assert_eq!(
        count("clinchpad.inbox.stores", Some(("outcome", "unavailable"))),
        1
    );
    assert_eq!(
        count(
            "clinchpad.webhook.refused",
            Some(("http.response.status_code", "401"))
        ),
        1
    );
    assert_eq!(count("clinchpad.webhook.drifted", None), 1);
    assert_eq!(count("clinchpad.inbox.retries", None), 1);
    assert_eq!(count("clinchpad.inbox.dead", None), 1);
    assert_eq!(count("messaging.client.consumed.messages", None), 4);
    assert_eq!(
        count("messaging.process.duration", Some(("outcome", "done"))),
        2
    );
    assert_eq!(
        count("clinchpad.inbox.deliveries", Some(("state", "dead"))),
        1
    );
    assert_eq!(
        count("clinchpad.inbox.deliveries", Some(("state", "done"))),
        2
    );
}

/// Records the names (and units) the metrics are described with.
#[derive(Default)]
struct Described(Mutex<Vec<(String, Option<metrics::Unit>)>>);

impl metrics::Recorder for Described {
    fn describe_counter(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
        self.0.lock().unwrap().push((key.as_str().to_owned(), unit));
    }
    fn describe_gauge(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
        self.0.lock().unwrap().push((key.as_str().to_owned(), unit));
    }
    fn describe_histogram(
        &self,
        key: metrics::KeyName,
        unit: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
        self.0.lock().unwrap().push((key.as_str().to_owned(), unit));
    }
    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::noop()
    }
    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(
        &self,
        _: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::noop()
    }
}

#[test]
fn the_dashboard_and_the_alert_rules_name_only_metrics_that_are_recorded() {
    let described = Described::default();
    metrics::with_local_recorder(
        &described,
        clinchpad_webhook_inbox::signal::describe_metrics,
    );
    // As Prometheus shows them: `_` for `.`, and `_seconds` for a time.
    let known: Vec<String> = described
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(name, unit)| {
            let name = name.replace('.', "_");
            match unit {
                Some(metrics::Unit::Seconds) => format!("{name}_seconds"),
                _ => name,
            }
        })
        .collect();
    assert_eq!(known.len(), 11, "{known:?}");
    for file in [
        "docs/operating/alerts.yml",
        "docs/operating/grafana-dashboard.json",
    ] {
        let text = std::fs::read_to_string(common::root().join(file)).unwrap();
        let names: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| {
                ["clinchpad_", "http_server_", "messaging_"]
                    .iter()
                    .any(|prefix| word.starts_with(prefix))
            })
            .collect();
        assert!(names.len() >= 4, "{file}: {names:?}");
        for name in names {
            let base = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            assert!(
                known.iter().any(|known| known == base),
                "{file} names {name}, which nothing records"
            );
        }
    }
}
