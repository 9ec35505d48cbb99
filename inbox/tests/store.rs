//! Storing: once, whatever comes twice or at once; a drifted delivery kept with its error; no
//! key in any table. On SQLite and on PostgreSQL.

mod common;

use clinchpad_webhook::Receiver;
use clinchpad_webhook_inbox::{Inbox, State, Stored};
use common::{databases, delivery, fixture, receiver, KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_stored_64_times_at_once_is_stored_once() {
    for (backend, url) in databases("once") {
        let inbox = Inbox::open(&url).await.unwrap();
        let delivery = delivery("lead_moved.json", "a-once");
        let stores: Vec<_> = (0..64)
            .map(|_| {
                let (inbox, delivery) = (inbox.clone(), delivery.clone());
                tokio::spawn(async move { inbox.store(&delivery).await })
            })
            .collect();
        let mut new = 0;
        for store in stores {
            match store.await.unwrap() {
                Ok(Stored::New) => new += 1,
                Ok(Stored::Duplicate) => {}
                Err(err) => panic!("{backend}: {err}"),
            }
        }
        assert_eq!(new, 1, "{backend}");
        let all = inbox.list(None, 100).await.unwrap();
        assert_eq!(all.len(), 1, "{backend}");
        let entry = &all[0];
        assert_eq!(entry.key, "a-once");
        assert_eq!(entry.activity_type.as_deref(), Some("lead:moved"));
        assert_eq!(entry.state, State::Pending);
        assert!(entry.typed && entry.drift.is_none());
    }
}

#[tokio::test]
async fn what_is_stored_is_the_body_without_its_key_and_what_could_be_read() {
    for (backend, url) in databases("fields") {
        let inbox = Inbox::open(&url).await.unwrap();
        let body = fixture("doc_example.json");
        let delivery = receiver().accept(None, &body).unwrap();
        inbox.store(&delivery).await.unwrap();
        let entry = inbox
            .get("52cfbf76cce8b40f0f000005")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            entry.activity_id.as_deref(),
            Some("52cfbf76cce8b40f0f000005")
        );
        assert_eq!(entry.lead_id.as_deref(), Some("52cfa124cce8b4d113000056"));
        assert_eq!(entry.created_at, Some(1_389_346_678_000), "{backend}");
        let payload = clinchpad_webhook::parse(entry.body.as_bytes()).unwrap();
        assert_eq!(
            payload,
            delivery.payload().unwrap().clone().without_handshake_key()
        );
        assert!(!entry.body.contains("handshake_key"), "{backend}");
        // A payload read strictly is stored the same way.
        let strict = clinchpad_webhook::parse(&fixture("lead_won.json")).unwrap();
        assert_eq!(inbox.store_payload(&strict).await.unwrap(), Stored::New);
        assert_eq!(
            inbox.store_payload(&strict).await.unwrap(),
            Stored::Duplicate
        );
    }
}

#[tokio::test]
async fn a_drifted_delivery_is_stored_with_its_error_under_its_id_or_its_hash() {
    for (backend, url) in databases("drifted") {
        let inbox = Inbox::open(&url).await.unwrap();
        let receiver = receiver();
        let typed_drift =
            std::fs::read(common::root().join("fixtures/drift/product_price_empty_string.json"))
                .unwrap();
        let delivery = receiver.accept(None, &typed_drift).unwrap();
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New);
        let entry = inbox
            .get(delivery.activity_id().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(!entry.typed, "{backend}");
        assert!(entry
            .drift
            .as_deref()
            .unwrap()
            .contains("activity.product_price"));
        assert_eq!(entry.activity_type.as_deref(), Some("product:added"));
        // No readable id: stored under the hash of its body, once.
        let no_id =
            std::fs::read(common::root().join("fixtures/drift/activity_id_number.json")).unwrap();
        let no_id = String::from_utf8(no_id)
            .unwrap()
            .replace("\"_id\": 12345,", "\"_id\": [1],");
        let delivery = receiver.accept(None, no_id.as_bytes()).unwrap();
        assert_eq!(delivery.activity_id(), None);
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New);
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::Duplicate);
        let hashed = inbox.list(None, 10).await.unwrap();
        let hashed = hashed.iter().find(|e| e.activity_id.is_none()).unwrap();
        assert!(
            hashed.key.starts_with("sha256:") && hashed.key.len() == 7 + 64,
            "{}",
            hashed.key
        );
        // A numeric id is an id.
        let numeric =
            std::fs::read(common::root().join("fixtures/drift/activity_id_number.json")).unwrap();
        let delivery = receiver.accept(None, &numeric).unwrap();
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New);
        assert!(inbox.get("12345").await.unwrap().is_some(), "{backend}");
    }
}

#[tokio::test]
async fn no_key_reaches_any_table() {
    for (backend, url) in databases("no_key") {
        let receiver = Receiver::new(clinchpad_webhook::HandshakeKey::new(KEY).unwrap());
        let inbox = Inbox::open(&url).await.unwrap().masking_keys_of(&receiver);
        let quoting = String::from_utf8(fixture("note_created.json"))
            .unwrap()
            .replace("Spoke with the buyer.", "the key is gfhkd1asfsa");
        let drifted = String::from_utf8(fixture("lead_won.json"))
            .unwrap()
            .replacen("\"stage\": {", "\"stage\": \"gfhkd1asfsa\", \"was\": {", 1);
        for body in [
            fixture("doc_example.json"),
            quoting.into_bytes(),
            drifted.into_bytes(),
        ] {
            let delivery = receiver.accept(None, &body).unwrap();
            inbox.store(&delivery).await.unwrap();
        }
        // Every text of every row of every table.
        let dump = dump(&url).await;
        assert!(dump.contains("the key is ***"), "{backend}: {dump}");
        assert!(
            !dump.contains(KEY) && !dump.contains("gfhkd1"),
            "{backend}: {dump}"
        );
    }
}

/// Every table's rows, as text.
async fn dump(url: &str) -> String {
    use sqlx::{Column, Connection, Row};
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("sqlite") {
        format!("{url}?mode=rw")
    } else {
        url.to_owned()
    };
    let mut connection = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mut dump = String::new();
    // sqlx's own table holds only the migrations' descriptions as text.
    for query in [
        "SELECT * FROM clinchpad_deliveries",
        "SELECT description FROM _sqlx_migrations",
    ] {
        let rows = sqlx::query(query).fetch_all(&mut connection).await.unwrap();
        for row in rows {
            for column in row.columns() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(column.ordinal()) {
                    dump.push_str(&text);
                    dump.push('\n');
                }
            }
        }
    }
    dump
}
