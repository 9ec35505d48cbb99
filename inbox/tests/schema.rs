//! The inbox's schema beside an application's: its migrations recorded in a table of its own,
//! so that an application running its own sqlx migrations on the same database, before or
//! after the inbox, and again at every start, never meets the inbox's; its tables under a
//! prefix of the application's choosing; and nothing created by what only looks. On SQLite
//! and on PostgreSQL.

mod common;

use std::borrow::Cow;

use clinchpad_webhook_inbox::{Inbox, InboxError, InboxOptions, Stored};
use common::{databases, delivery};
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// An application's own migrations, versioned as `sqlx migrate add` versions them (by date)
/// and one numbered from 1 as the inbox's first is.
fn app_migrator() -> Migrator {
    let migrations = [
        (
            1,
            "app users",
            "CREATE TABLE app_users (id BIGINT PRIMARY KEY)",
        ),
        (
            20_260_101_000_000,
            "app orders",
            "CREATE TABLE app_orders (id BIGINT PRIMARY KEY)",
        ),
    ]
    .into_iter()
    .map(|(version, description, sql)| {
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

async fn pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = match url.starts_with("sqlite") {
        true => format!("{url}?mode=rwc"),
        false => url.to_owned(),
    };
    sqlx::AnyPool::connect(&url).await.unwrap()
}

#[tokio::test]
async fn the_inbox_and_an_apps_own_sqlx_migrations_run_in_either_order_and_again() {
    for (backend, url) in databases("beside_app") {
        for app_first in [true, false] {
            let url = match app_first {
                true => url.clone(),
                // A database of its own for the other order.
                false => match backend {
                    "sqlite" => common::sqlite("beside_app_after"),
                    _ => common::postgres::shared().fresh_database("beside_app_after"),
                },
            };
            let pool = pool(&url).await;
            if app_first {
                app_migrator().run(&pool).await.unwrap();
            }
            let inbox = Inbox::open(&url).await.unwrap();
            let order = if app_first {
                "app first"
            } else {
                "inbox first"
            };
            app_migrator()
                .run(&pool)
                .await
                .unwrap_or_else(|err| panic!("{backend}, {order}: {err}"));
            // Both start again, as at every deploy.
            Inbox::open(&url)
                .await
                .unwrap_or_else(|err| panic!("{backend}, {order}: {err}"));
            app_migrator().run(&pool).await.unwrap();
            assert_eq!(
                inbox
                    .store(&delivery("lead_won.json", "a-beside"))
                    .await
                    .unwrap(),
                Stored::New
            );
            pool.close().await;
        }
    }
}

#[tokio::test]
async fn an_inbox_opened_before_it_kept_its_own_record_is_taken_over() {
    use sqlx::Executor;
    for (backend, url) in databases("adopted") {
        // As the first version of the inbox left a database: its table, and its migration
        // recorded in `_sqlx_migrations`.
        let pool = pool(&url).await;
        let first =
            include_str!("../migrations/0001_deliveries.sql").replace("{prefix}", "clinchpad_");
        let old = Migrator {
            migrations: Cow::Owned(vec![Migration::new(
                1,
                Cow::Borrowed("deliveries"),
                MigrationType::Simple,
                Cow::Owned(first),
                false,
            )]),
            ..Migrator::DEFAULT
        };
        old.run(&pool).await.unwrap();
        pool.execute(
            "INSERT INTO clinchpad_deliveries (delivery_key, received_at, typed, body, state, \
             attempts, next_attempt_at) VALUES ('a-old', 1, 1, '{}', 'done', 1, 1)",
        )
        .await
        .unwrap();
        let inbox = Inbox::open(&url).await.unwrap();
        let old_row = inbox.get("a-old").await.unwrap().unwrap();
        assert_eq!(old_row.verified, None, "{backend}");
        // The inbox's row in `_sqlx_migrations` is gone, so the app's own version 1 runs.
        app_migrator().run(&pool).await.unwrap();
        pool.close().await;
    }
}

#[tokio::test]
async fn tables_take_the_prefix_chosen() {
    for (backend, url) in databases("prefix") {
        let billing = InboxOptions::new()
            .table_prefix("billing_")
            .open(&url)
            .await
            .unwrap();
        let support = InboxOptions::new()
            .table_prefix("support_")
            .open(&url)
            .await
            .unwrap();
        billing
            .store(&delivery("lead_won.json", "a-billing"))
            .await
            .unwrap();
        assert!(
            support.get("a-billing").await.unwrap().is_none(),
            "{backend}"
        );
        assert!(
            billing.get("a-billing").await.unwrap().is_some(),
            "{backend}"
        );
        let pool = pool(&url).await;
        use sqlx::Row;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM billing_deliveries")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("n");
        assert_eq!(count, 1, "{backend}");
        for prefix in ["1x_", "a;drop", "a b", &"p".repeat(41)] {
            let err = InboxOptions::new()
                .table_prefix(prefix)
                .open(&url)
                .await
                .map(drop)
                .unwrap_err();
            assert!(matches!(err, InboxError::Prefix(_)), "{backend}: {err}");
        }
    }
}

#[tokio::test]
async fn connecting_to_look_creates_nothing() {
    // No file: none is made.
    let url = common::sqlite("look_missing");
    let path = url.strip_prefix("sqlite://").unwrap().to_owned();
    let err = Inbox::connect(&url).await.map(drop).unwrap_err();
    assert!(matches!(err, InboxError::NoInbox), "{err}");
    assert!(!std::path::Path::new(&path).exists());
    for (backend, url) in databases("look") {
        // A database without an inbox: no table is made.
        let err = Inbox::connect(&url).await.map(drop).unwrap_err();
        assert!(matches!(err, InboxError::NoInbox), "{backend}: {err}");
        let err = Inbox::connect(&url).await.map(drop).unwrap_err();
        assert!(
            matches!(err, InboxError::NoInbox),
            "{backend}: still none: {err}"
        );
        // Once there is one, it connects, and sees what is stored.
        Inbox::open(&url)
            .await
            .unwrap()
            .store(&delivery("lead_won.json", "a-look"))
            .await
            .unwrap();
        let inbox = Inbox::connect(&url).await.unwrap();
        assert!(inbox.get("a-look").await.unwrap().is_some(), "{backend}");
    }
}
