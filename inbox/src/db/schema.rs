//! The inbox's schema: its tables' names, and the migrations that create and change them,
//! recorded in a table of the inbox's own (`clinchpad_inbox_migrations`), never in the
//! application's `_sqlx_migrations`, so that the application's own sqlx migrations and the
//! inbox's never see each other's. The same statements on SQLite and PostgreSQL; each
//! migration runs in one transaction, under a lock, so that processes starting together apply
//! it once.

use sha2::{Digest, Sha384};
use sqlx::{AnyConnection, AnyPool, Executor, Row};

use super::Backend;
use crate::error::InboxError;

/// The table prefix when none is chosen.
pub(crate) const DEFAULT_PREFIX: &str = "clinchpad_";

/// Each migration: its version, what it does, and its SQL, where `{prefix}` stands for the
/// tables' prefix.
const MIGRATIONS: [(i64, &str, &str); 5] = [
    (
        1,
        "deliveries",
        include_str!("../../migrations/0001_deliveries.sql"),
    ),
    (
        2,
        "conflicts and verification",
        include_str!("../../migrations/0002_conflicts.sql"),
    ),
    (
        3,
        "recovered deliveries and backfills",
        include_str!("../../migrations/0003_backfill.sql"),
    ),
    (
        4,
        "retention and filter indexes, pauses",
        include_str!("../../migrations/0004_operations.sql"),
    ),
    (
        5,
        "claim and lead order indexes",
        include_str!("../../migrations/0005_claims.sql"),
    ),
];

/// The names of the inbox's tables, from their prefix.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    pub prefix: String,
    /// The deliveries.
    pub deliveries: String,
    /// The migrations applied.
    pub migrations: String,
    /// Where each backfill stands.
    #[cfg_attr(not(feature = "backfill"), allow(dead_code))]
    pub backfills: String,
    /// The activity types whose processing is paused.
    pub pauses: String,
}

impl Tables {
    /// The tables under `prefix`: letters, digits and `_`, starting with a letter or `_`, at
    /// most 40 characters, so that it can stand in a statement as it is.
    pub fn new(prefix: &str) -> Result<Tables, InboxError> {
        let fine = prefix.len() <= 40
            && prefix
                .chars()
                .next()
                .map_or(true, |c| c.is_ascii_alphabetic() || c == '_')
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !fine {
            return Err(InboxError::Prefix(crate::error::one_line(prefix, 60)));
        }
        Ok(Tables {
            prefix: prefix.to_owned(),
            deliveries: format!("{prefix}deliveries"),
            migrations: format!("{prefix}inbox_migrations"),
            backfills: format!("{prefix}backfills"),
            pauses: format!("{prefix}pauses"),
        })
    }

    fn sql(&self, template: &str) -> String {
        template.replace("{prefix}", &self.prefix)
    }
}

/// The latest version of the schema.
pub(crate) fn latest() -> i64 {
    MIGRATIONS[MIGRATIONS.len() - 1].0
}

/// Brings the schema up to date: creates the migrations table when it is missing, then
/// applies each migration not applied yet, in order, each in a transaction of its own under
/// a lock (PostgreSQL: an advisory lock; SQLite: the database's write lock, taken at once).
pub(crate) async fn migrate(
    pool: &AnyPool,
    backend: Backend,
    tables: &Tables,
) -> Result<(), InboxError> {
    let mut connection = pool.acquire().await?;
    for &(version, description, template) in &MIGRATIONS {
        // A transaction that holds the write lock from its start: on SQLite `BEGIN
        // IMMEDIATE`, so that two processes migrating at once take turns instead of failing.
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        connection.execute(begin).await?;
        let applied = apply(
            &mut connection,
            backend,
            tables,
            version,
            description,
            template,
        )
        .await;
        match applied {
            Ok(()) => {
                connection.execute("COMMIT").await?;
            }
            Err(err) => {
                if connection.execute("ROLLBACK").await.is_err() {
                    // A connection in a transaction of unknown state goes, not back to the pool.
                    connection.detach();
                }
                return Err(err);
            }
        }
    }
    Ok(())
}

/// Applies one migration, in the transaction begun on `connection`, unless it was applied.
async fn apply(
    connection: &mut AnyConnection,
    backend: Backend,
    tables: &Tables,
    version: i64,
    description: &str,
    template: &str,
) -> Result<(), InboxError> {
    if backend == Backend::Postgres {
        // Processes migrating one schema take turns: a lock named after the tables, held
        // until the transaction ends.
        let name = Sha384::digest(tables.migrations.as_bytes());
        let id = i64::from_be_bytes(name[..8].try_into().unwrap_or_default());
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS lock")
            .bind(id)
            .execute(&mut *connection)
            .await?;
    }
    connection
        .execute(
            format!(
                "CREATE TABLE IF NOT EXISTS {} (version BIGINT PRIMARY KEY, \
                 description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                tables.migrations
            )
            .as_str(),
        )
        .await?;
    let applied = sqlx::query(&format!(
        "SELECT version FROM {} WHERE version = $1",
        tables.migrations
    ))
    .bind(version)
    .fetch_optional(&mut *connection)
    .await?;
    if applied.is_some() {
        return Ok(());
    }
    // Created before the inbox kept its own record: its table is there already.
    let adopted = version == 1 && adopt_first(connection, backend, tables).await?;
    if !adopted {
        connection.execute(tables.sql(template).as_str()).await?;
    }
    sqlx::query(&format!(
        "INSERT INTO {} (version, description, applied_at) VALUES ($1, $2, $3)",
        tables.migrations
    ))
    .bind(version)
    .bind(description)
    .bind(crate::clock::system_now_ms())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Whether an inbox is there, with its schema up to date: for the commands that only look,
/// which must not create one.
pub(crate) async fn check(
    pool: &AnyPool,
    backend: Backend,
    tables: &Tables,
) -> Result<(), InboxError> {
    if !table_exists(pool, backend, &tables.migrations).await? {
        return Err(InboxError::NoInbox);
    }
    let newest: Option<i64> = sqlx::query(&format!(
        "SELECT MAX(version) AS newest FROM {}",
        tables.migrations
    ))
    .fetch_one(pool)
    .await?
    .try_get("newest")?;
    match newest {
        None => Err(InboxError::NoInbox),
        Some(newest) if newest < latest() => Err(InboxError::Outdated),
        Some(_) => Ok(()),
    }
}

/// The first migration, when its table is there from before the inbox kept its own record
/// (it was kept in `_sqlx_migrations`): taken as applied, and its row in `_sqlx_migrations`
/// removed when it is the inbox's own (same version, same checksum), since the
/// application's migrator would refuse a migration it does not have.
async fn adopt_first(
    connection: &mut AnyConnection,
    backend: Backend,
    tables: &Tables,
) -> Result<bool, InboxError> {
    if !table_exists(&mut *connection, backend, &tables.deliveries).await? {
        return Ok(false);
    }
    if table_exists(&mut *connection, backend, "_sqlx_migrations").await? {
        let checksum = Sha384::digest(MIGRATIONS[0].2.replace("{prefix}", DEFAULT_PREFIX));
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 1 AND checksum = $1")
            .bind(checksum.to_vec())
            .execute(&mut *connection)
            .await?;
    }
    Ok(true)
}

/// Whether the table `name` exists (on PostgreSQL, on the search path).
async fn table_exists<'c, E>(executor: E, backend: Backend, name: &str) -> Result<bool, InboxError>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    let query = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => "SELECT CAST(to_regclass($1) AS TEXT) AS name",
    };
    let row = sqlx::query(query)
        .bind(name)
        .fetch_optional(executor)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<String>, _>(0)?.is_some(),
        None => false,
    })
}
