//! The inbox's schema, created and migrated by the inbox itself: versioned migrations, one set
//! for SQLite and PostgreSQL (they agree on every statement), embedded in the crate so that
//! no file has to be shipped beside the program. sqlx keeps what has run in
//! `_sqlx_migrations`.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// Each migration: its version, its description, and its SQL.
const MIGRATIONS: [(i64, &str, &str); 1] = [(
    1,
    "deliveries",
    include_str!("../migrations/0001_deliveries.sql"),
)];

/// The migrator of the inbox's schema.
pub(crate) fn migrator() -> Migrator {
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}
