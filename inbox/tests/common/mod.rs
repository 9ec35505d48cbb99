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
