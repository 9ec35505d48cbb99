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
                Ok(other) => panic!("{backend}: {other:?}"),
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
        assert_eq!(
            inbox.store_payload(&strict, &receiver()).await.unwrap(),
            Stored::New
        );
        assert_eq!(
            inbox.store_payload(&strict, &receiver()).await.unwrap(),
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
    for query in [
        "SELECT * FROM clinchpad_deliveries",
        "SELECT * FROM clinchpad_inbox_migrations",
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

/// The body a worker reads back, for the stored delivery `key`.
async fn stored_payload(inbox: &Inbox, key: &str) -> clinchpad_webhook::Payload {
    let entry = inbox.get(key).await.unwrap().unwrap();
    clinchpad_webhook::parse(entry.body.as_bytes())
        .unwrap_or_else(|err| panic!("the stored body of {key} no longer reads: {err}"))
}

#[tokio::test]
async fn masking_touches_only_the_key_never_text_that_resembles_it_nor_a_time() {
    for (backend, url) in databases("masking") {
        // Text with pieces of the key, and a `…`, as a note might hold.
        let receiver = receiver();
        let inbox = Inbox::open(&url).await.unwrap().masking_keys_of(&receiver);
        let note = "salad for the gf… team; sfsa and gfhkd1 are not the key";
        let body = String::from_utf8(fixture("note_created.json"))
            .unwrap()
            .replace("Spoke with the buyer.", note);
        let delivery = receiver.accept(None, body.as_bytes()).unwrap();
        inbox.store(&delivery).await.unwrap();
        let stored = stored_payload(&inbox, delivery.activity_id().unwrap()).await;
        assert_eq!(
            stored,
            delivery.payload().unwrap().clone().without_handshake_key(),
            "{backend}"
        );

        // A key that collides with a time and a number: they are kept, and the body reads
        // as the delivery that came; the key in the note is masked.
        let weak = Receiver::new(clinchpad_webhook::HandshakeKey::new("2014").unwrap());
        let inbox = inbox.masking_keys_of(&weak);
        let body = String::from_utf8(fixture("note_created.json"))
            .unwrap()
            .replace("gfhkd1asfsa", "2014")
            .replace("52cfbf76cce8b40f0f0000", "52cfbf76cce8b40f0f2014")
            .replace("Spoke with the buyer.", "PIN 2014, ok");
        let delivery = weak.accept(None, body.as_bytes()).unwrap();
        assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::New);
        let stored = stored_payload(&inbox, delivery.activity_id().unwrap()).await;
        let mut expected = delivery.payload().unwrap().clone().without_handshake_key();
        let note = expected
            .activity
            .kind
            .get_mut::<clinchpad_webhook::activity::NoteCreated>()
            .unwrap();
        note.note_content = note.note_content.replace("PIN 2014, ok", "PIN ***, ok");
        assert!(stored.activity.id.as_str().contains("2014"));
        assert_eq!(stored, expected, "{backend}");
        assert!(weak.key_warnings().len() == 1);
    }
}

#[tokio::test]
async fn a_key_spelled_with_json_escapes_is_not_stored() {
    for (backend, url) in databases("escaped_key") {
        // The receiver's keys are masked whether or not the inbox was told of them.
        let inbox = Inbox::open(&url).await.unwrap();
        let body = String::from_utf8(fixture("note_created.json"))
            .unwrap()
            .replace("Spoke with the buyer.", r"the key: g\u0066hkd1asfsa");
        let delivery = receiver().accept(None, body.as_bytes()).unwrap();
        inbox.store(&delivery).await.unwrap();
        let dump = dump(&url).await;
        assert!(!dump.contains("hkd1asfsa"), "{backend}: {dump}");
        let stored = stored_payload(&inbox, delivery.activity_id().unwrap()).await;
        let note = stored
            .activity
            .kind
            .get::<clinchpad_webhook::activity::NoteCreated>();
        let note = &note.unwrap().note_content;
        assert!(note.starts_with("the key: ***\n"), "{backend}: {note}");
    }
}

#[tokio::test]
async fn a_second_body_under_a_stored_id_is_kept_as_a_conflict_not_dropped() {
    for (backend, url) in databases("conflict") {
        let inbox = Inbox::open(&url).await.unwrap();
        // With no key checked, a forger sends the real delivery's id first.
        let open = Receiver::unverified();
        let real = String::from_utf8(fixture("lead_won.json")).unwrap();
        let forged = real.replace("Acme Corp", "Forged Inc");
        let first = open.accept(None, forged.as_bytes()).unwrap();
        let id = first.activity_id().unwrap().to_owned();
        assert_eq!(inbox.store(&first).await.unwrap(), Stored::New);
        let second = open.accept(None, real.as_bytes()).unwrap();
        assert_eq!(
            inbox.store(&second).await.unwrap(),
            Stored::Conflict,
            "{backend}"
        );
        // Each body once: the same again is a duplicate, of the first or of the conflict.
        assert_eq!(inbox.store(&second).await.unwrap(), Stored::Duplicate);
        assert_eq!(inbox.store(&first).await.unwrap(), Stored::Duplicate);
        // The same body with its key in another place (or none) is the same delivery.
        let keyless = clinchpad_webhook::strip_handshake_key(real.as_bytes()).unwrap();
        let resent = open.accept(None, &keyless).unwrap();
        assert_eq!(inbox.store(&resent).await.unwrap(), Stored::Duplicate);
        // So is the same JSON spaced otherwise, its key put at its end.
        let mut value: serde_json::Value = serde_json::from_str(&real).unwrap();
        let key = value
            .as_object_mut()
            .unwrap()
            .remove("handshake_key")
            .unwrap();
        value["handshake_key"] = key;
        let compact = serde_json::to_vec(&value).unwrap();
        let respaced = open.accept(None, &compact).unwrap();
        assert_eq!(
            inbox.store(&respaced).await.unwrap(),
            Stored::Duplicate,
            "{backend}"
        );
        let all = inbox.list(None, 10).await.unwrap();
        assert_eq!(all.len(), 2, "{backend}");
        let conflict = all.iter().find(|e| e.conflict_of.is_some()).unwrap();
        assert_eq!(conflict.conflict_of.as_deref(), Some(id.as_str()));
        assert!(
            conflict.key.starts_with(&format!("{id}~")),
            "{}",
            conflict.key
        );
        assert_eq!(conflict.verified, Some(false));
        assert!(conflict.body.contains("Acme Corp") && conflict.state == State::Pending);
        // Both are processed.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let worker = inbox.worker(move |payload: clinchpad_webhook::Payload| {
            record.lock().unwrap().push(payload.lead.name.clone());
            async { Ok::<(), String>(()) }
        });
        while worker.run_once().await.unwrap().is_some() {}
        let mut seen = seen.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen.len(), 2, "{backend}: {seen:?}");
        assert!(seen[0].starts_with("Acme Corp") && seen[1].starts_with("Forged Inc"));
    }
}

#[tokio::test]
async fn ids_and_text_a_database_cannot_hold_as_they_are_are_stored_still() {
    for (backend, url) in databases("unusual_ids") {
        let inbox = Inbox::open(&url).await.unwrap();
        let receiver = receiver();
        let base: serde_json::Value = serde_json::from_slice(&fixture("lead_won.json")).unwrap();
        let long_id = "x".repeat(3_000);
        let mut bodies = Vec::new();
        for (id, lead, kind) in [
            ("nul\0id", "l1", "lead:won"),
            ("a-nul-lead", "lead\0id", "lead:won"),
            ("a-nul-type", "l1", "lead:w\0n"),
            (long_id.as_str(), "l1", "lead:won"),
        ] {
            let mut body = base.clone();
            body["activity"]["_id"] = serde_json::json!(id);
            body["lead"]["_id"] = serde_json::json!(lead);
            body["activity"]["type"] = serde_json::json!(kind);
            let body = serde_json::to_vec(&body).unwrap();
            let delivery = receiver.accept(None, &body).unwrap();
            assert_eq!(
                inbox.store(&delivery).await.unwrap(),
                Stored::New,
                "{backend}: {id:.20}"
            );
            assert_eq!(inbox.store(&delivery).await.unwrap(), Stored::Duplicate);
            bodies.push((id.to_owned(), body));
        }
        let all = inbox.list(None, 10).await.unwrap();
        assert_eq!(all.len(), 4, "{backend}");
        for (id, _) in &bodies {
            // The body is kept exactly: its id reads back whole, NUL and all.
            let entry = all
                .iter()
                .find(|e| {
                    clinchpad_webhook::parse(e.body.as_bytes())
                        .unwrap()
                        .activity
                        .id
                        .as_str()
                        == id
                })
                .unwrap_or_else(|| panic!("{backend}: {id:.20} is not kept whole"));
            assert!(entry.key.len() <= 200, "{backend}: {}", entry.key.len());
        }
    }
}

#[tokio::test]
async fn a_sqlite_file_removed_under_a_running_receiver_is_not_answered_stored() {
    let url = common::sqlite("removed");
    let path = url.strip_prefix("sqlite://").unwrap().to_owned();
    let inbox = Inbox::open(&url).await.unwrap();
    assert_eq!(
        inbox
            .store(&delivery("lead_won.json", "a-before"))
            .await
            .unwrap(),
        Stored::New
    );
    std::fs::remove_file(&path).unwrap();
    let err = inbox
        .store(&delivery("lead_won.json", "a-after"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, clinchpad_webhook_inbox::InboxError::FileGone(_)),
        "{err}"
    );
    assert!(err.to_string().contains("removed or replaced"), "{err}");
}

#[tokio::test]
async fn a_store_waiting_on_a_lock_fails_within_five_seconds() {
    use sqlx::{Connection, Executor};
    let url = common::postgres::shared().fresh_database("locked");
    let inbox = Inbox::open(&url).await.unwrap();
    // Another session holds the table for as long as the test wants.
    let mut holder = sqlx::AnyConnection::connect(&url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE clinchpad_deliveries IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let locked = delivery("lead_won.json", "a-locked");
    let store = inbox.store(&locked);
    let stored = tokio::time::timeout(std::time::Duration::from_secs(15), store).await;
    let took = started.elapsed();
    let stored = stored.expect("the store was never answered");
    holder.execute("ROLLBACK").await.unwrap();
    assert!(stored.is_err(), "{stored:?}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "answered after {took:?}"
    );
    // Once the lock is gone, the store succeeds.
    assert_eq!(
        inbox
            .store(&delivery("lead_won.json", "a-locked"))
            .await
            .unwrap(),
        Stored::New
    );
}
