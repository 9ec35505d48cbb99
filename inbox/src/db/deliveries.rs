//! Every statement on the deliveries table, each one change of state: a row stored, read,
//! made due again, claimed, given back, or released with what came of its attempt. The rules
//! around them (what is a duplicate, when to try again, how long a claim lasts) are the
//! inbox's and the worker's; the times are the database's clock unless a test sets one.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Backend, Db};
use crate::entry::{Entry, State};
use crate::error::InboxError;

/// The columns of an [`Entry`], in its order.
pub(crate) const COLUMNS: &str = "delivery_key, activity_id, activity_type, lead_id, created_at, \
    received_at, typed, drift, body, state, attempts, next_attempt_at, last_error, finished_at, \
    conflict_of, verified, recovered_at";

/// The columns a store writes, in the order of its parameters.
const INSERTED: &str = "delivery_key, activity_id, activity_type, lead_id, created_at, \
    received_at, typed, drift, body, state, attempts, next_attempt_at, verified, conflict_of, \
    recovered_at";

/// The parameters of one row of a store: its key, what was read of it, its body, and the key
/// it conflicts with.
const PER_ROW: usize = 11;

/// A delivery about to be stored.
pub(crate) struct NewRow {
    pub activity_id: Option<String>,
    pub activity_type: Option<String>,
    pub lead_id: Option<String>,
    pub created_at: Option<i64>,
    pub typed: bool,
    pub drift: Option<String>,
    pub verified: bool,
    /// The body as it is kept: without its key, the keys quoted in it masked.
    pub body: String,
    /// When it was recovered from ClinchPad's API; `None` for what the webhook sent.
    pub recovered_at: Option<i64>,
}

/// A row to store under `key` (beside the row of `conflict_of`, for a conflict).
pub(crate) struct Insert {
    pub row: NewRow,
    pub key: String,
    pub conflict_of: Option<String>,
}

impl Db {
    /// Stores `row` under `key`, pending and due now (beside the row of `conflict_of`, for a
    /// conflict), unless a row has that key already: whether it was stored.
    pub async fn insert(&self, insert: Insert) -> Result<bool, InboxError> {
        let key = insert.key.clone();
        Ok(self.insert_rows(&[insert]).await?.contains(&key))
    }

    /// Stores each row in one statement, but those whose key a row has already (or another
    /// of `rows`, the first of which is stored): the keys stored. Wakes the workers waiting
    /// for deliveries, in this process and, on PostgreSQL, in any (see
    /// [`wake_workers`](Db::wake_workers)).
    pub async fn insert_rows(&self, rows: &[Insert]) -> Result<HashSet<String>, InboxError> {
        if rows.is_empty() {
            return Ok(HashSet::new());
        }
        let table = &self.tables.deliveries;
        let now = self.now(1);
        let values: Vec<String> = (0..rows.len())
            .map(|n| {
                let p = |k: usize| format!("${}", 2 + n * PER_ROW + k);
                format!(
                    "({}, {}, {}, {}, {}, {now}, {}, {}, {}, 'pending', 0, {now}, {}, {}, {})",
                    p(0),
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5),
                    p(6),
                    p(7),
                    p(8),
                    p(9),
                    p(10)
                )
            })
            .collect();
        let insert = format!(
            "INSERT INTO {table} ({INSERTED}) VALUES {} \
             ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key",
            values.join(", ")
        );
        let statement = match self.backend {
            // The workers of every process woken in the same statement, when any row was
            // stored: the notification goes out with the commit, no round trip of its own.
            Backend::Postgres => format!(
                "WITH stored AS ({insert}) SELECT delivery_key FROM stored UNION ALL \
                 SELECT NULL FROM (SELECT pg_notify('{table}', '')) AS woken \
                 WHERE EXISTS (SELECT 1 FROM stored)"
            ),
            Backend::Sqlite => insert,
        };
        let mut query = sqlx::query(&statement).bind(self.now_param());
        for insert in rows {
            let row = &insert.row;
            let keyed = query
                .bind(insert.key.clone())
                .bind(row.activity_id.as_deref().map(column_text));
            query = bind_read(keyed, row)
                .bind(insert.conflict_of.clone())
                .bind(row.recovered_at);
        }
        let stored = {
            let _turn = self.write_turn().await;
            // Read to its end, as a claim is (see `claim`).
            query.fetch_all(&self.pool).await?
        };
        let stored = stored
            .iter()
            .filter_map(|row| row.try_get::<Option<String>, _>("delivery_key").transpose())
            .collect::<Result<HashSet<_>, _>>()?;
        if !stored.is_empty() {
            self.wake.notify_waiters();
        }
        Ok(stored)
    }

    /// The body stored under `key`, and whether it was recovered from ClinchPad's API.
    pub async fn body(&self, key: &str) -> Result<Option<(String, bool)>, InboxError> {
        let table = &self.tables.deliveries;
        let row = sqlx::query(&format!(
            "SELECT body, recovered_at FROM {table} WHERE delivery_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let recovered = row.try_get::<Option<i64>, _>("recovered_at")?.is_some();
        Ok(Some((row.try_get("body")?, recovered)))
    }

    /// Puts what the webhook sent in place of a delivery recovered under `key`, while no
    /// worker has taken it: its body and what was read of it, no longer marked recovered.
    /// Whether it was replaced.
    pub async fn replace_recovered(&self, row: &NewRow, key: &str) -> Result<bool, InboxError> {
        let _turn = self.write_turn().await;
        let statement = format!(
            "UPDATE {} SET activity_type = $2, lead_id = $3, created_at = $4, typed = $5, \
             drift = $6, body = $7, verified = $8, recovered_at = NULL \
             WHERE delivery_key = $1 AND recovered_at IS NOT NULL AND state = 'pending' \
             AND attempts = 0",
            self.tables.deliveries
        );
        let replaced = bind_read(sqlx::query(&statement).bind(key.to_owned()), row)
            .execute(&self.pool)
            .await?;
        Ok(replaced.rows_affected() > 0)
    }

    /// Of `keys`, those stored, each with whether it was recovered from ClinchPad's API
    /// rather than delivered by the webhook.
    #[cfg(feature = "backfill")]
    pub async fn held(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, bool>, InboxError> {
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let places: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
        let statement = format!(
            "SELECT delivery_key, recovered_at FROM {} WHERE delivery_key IN ({})",
            self.tables.deliveries,
            places.join(", ")
        );
        let mut query = sqlx::query(&statement);
        for key in keys {
            query = query.bind(key.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let recovered = row.try_get::<Option<i64>, _>("recovered_at")?.is_some();
                Ok((row.try_get::<String, _>("delivery_key")?, recovered))
            })
            .collect()
    }

    /// The latest deliveries first, at most `limit`, only those in `state` when given.
    pub async fn list(&self, state: Option<State>, limit: u32) -> Result<Vec<Entry>, InboxError> {
        let table = &self.tables.deliveries;
        let rows = match state {
            Some(state) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM {table} WHERE state = $1 \
                     ORDER BY received_at DESC, delivery_key LIMIT $2"
                ))
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM {table} ORDER BY received_at DESC, delivery_key LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(entry).collect()
    }

    /// The delivery stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, InboxError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {} WHERE delivery_key = $1",
            self.tables.deliveries
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Makes the delivery under `key` pending and due now, its attempts counted afresh,
    /// unless a worker has it: whether it was changed.
    pub async fn retry(&self, key: &str) -> Result<bool, InboxError> {
        let turn = self.write_turn().await;
        let changed = sqlx::query(&format!(
            "UPDATE {} SET state = 'pending', attempts = 0, next_attempt_at = {}, \
             claimed_by = NULL, finished_at = NULL WHERE delivery_key = $1 AND state <> 'running'",
            self.tables.deliveries,
            self.now(2)
        ))
        .bind(key)
        .bind(self.now_param())
        .execute(&self.pool)
        .await?;
        drop(turn);
        if changed.rows_affected() > 0 {
            self.wake_workers().await;
        }
        Ok(changed.rows_affected() > 0)
    }

    /// Claims the oldest due deliveries for `worker`, at most `most`, for `lease_ms`: pending
    /// ones whose time has come, or running ones whose worker's claim has expired, by the
    /// database's clock; none of a `paused` type. In `lead_order`, only the first of its lead
    /// still to be done: none while an earlier one of the same lead (by the activity's time,
    /// then key) is pending or running, whether due or not.
    pub async fn claim(
        &self,
        worker: &str,
        lease_ms: i64,
        paused: &[String],
        most: usize,
        lead_order: bool,
    ) -> Result<Vec<Entry>, InboxError> {
        // The due ones read from the index of those still to be done, in the order they are
        // due, up to the most taken: never the whole backlog. On PostgreSQL the keys chosen
        // as an array, so that the update finds each by its key rather than joining the
        // table with them; on SQLite the index named, which its planner, without the
        // table's statistics, would pass over for the older one by state.
        let claimable = format!("{}_claimable", self.tables.deliveries);
        let (chosen, index, lock, end) = match self.backend {
            Backend::Postgres => (
                "= ANY(ARRAY(",
                String::new(),
                " FOR UPDATE SKIP LOCKED",
                "))",
            ),
            // One statement under the database's write lock.
            Backend::Sqlite => ("IN (", format!(" INDEXED BY {claimable}"), "", ")"),
        };
        let table = &self.tables.deliveries;
        let now = self.now(3);
        // A paused type's deliveries are left where they are, due or not.
        let paused_types = match paused.is_empty() {
            true => String::new(),
            false => {
                let places: Vec<String> = (5..5 + paused.len()).map(|n| format!("${n}")).collect();
                format!(
                    " AND (due.activity_type IS NULL OR due.activity_type NOT IN ({}))",
                    places.join(", ")
                )
            }
        };
        let held = match lead_order {
            false => "",
            true => {
                " AND (due.lead_id IS NULL OR due.created_at IS NULL OR NOT EXISTS (\
                 SELECT 1 FROM {table} earlier WHERE earlier.lead_id = due.lead_id \
                 AND earlier.state IN ('pending', 'running') \
                 AND (earlier.created_at, earlier.delivery_key) < (due.created_at, due.delivery_key)))"
            }
        };
        let held = held.replace("{table}", table);
        let statement = format!(
            "UPDATE {table} SET state = 'running', attempts = attempts + 1, \
             claimed_by = $1, next_attempt_at = {now} + $2 \
             WHERE delivery_key {chosen}SELECT due.delivery_key FROM {table} due{index} \
               WHERE due.state IN ('pending', 'running') AND due.next_attempt_at <= {now}\
               {paused_types}{held} \
               ORDER BY due.next_attempt_at, due.delivery_key LIMIT $4{lock}{end} \
             RETURNING {COLUMNS}"
        );
        let mut query = sqlx::query(&statement)
            .bind(worker)
            .bind(lease_ms)
            .bind(self.now_param())
            .bind(i64::try_from(most.max(1)).unwrap_or(i64::MAX));
        for kind in paused {
            query = query.bind(kind.clone());
        }
        let _turn = self.write_turn().await;
        // Read to its end: on SQLite a statement with RETURNING commits only once it is done,
        // and one left half read would hold the write lock while the next statement, on
        // another of the pool's connections, waits for it.
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(entry).collect()
    }

    /// Records `keys` done, those still `worker`'s, in one statement: the keys recorded
    /// (another worker took the rest when this one's claim expired).
    pub async fn finish_done(
        &self,
        keys: &[String],
        worker: &str,
    ) -> Result<HashSet<String>, InboxError> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let places: Vec<String> = (3..3 + keys.len()).map(|n| format!("${n}")).collect();
        let statement = format!(
            // A worker's name is on a delivery exactly while it runs: no need to ask for the
            // state, whose index would tempt SQLite to read every running one.
            "UPDATE {} SET state = 'done', finished_at = {}, claimed_by = NULL, last_error = NULL \
             WHERE claimed_by = $2 AND delivery_key IN ({}) RETURNING delivery_key",
            self.tables.deliveries,
            self.now(1),
            places.join(", ")
        );
        let mut query = sqlx::query(&statement).bind(self.now_param()).bind(worker);
        for key in keys {
            query = query.bind(key.clone());
        }
        let _turn = self.write_turn().await;
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>("delivery_key"))
            .collect::<Result<HashSet<_>, _>>()
            .map_err(InboxError::from)
    }

    /// How many deliveries of the lead of the one under `key` wait behind it, in lead order.
    pub async fn held_behind(&self, key: &str) -> Result<i64, InboxError> {
        let table = &self.tables.deliveries;
        let row = sqlx::query(&format!(
            "SELECT COUNT(*) AS held FROM {table} later, {table} first \
             WHERE first.delivery_key = $1 AND later.lead_id = first.lead_id \
             AND later.delivery_key <> first.delivery_key \
             AND later.state IN ('pending', 'running')"
        ))
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("held")?)
    }

    /// Gives the delivery under `key` back from `worker`: pending, due now, its attempt not
    /// counted. Whether it was still that worker's.
    pub async fn give_back(&self, key: &str, worker: &str) -> Result<bool, InboxError> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query(&format!(
            "UPDATE {} SET state = 'pending', attempts = attempts - 1, next_attempt_at = {}, \
             claimed_by = NULL WHERE delivery_key = $1 AND claimed_by = $2 AND state = 'running'",
            self.tables.deliveries,
            self.now(3)
        ))
        .bind(key)
        .bind(worker)
        .bind(self.now_param())
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// Moves the delivery under `key` from `running` to `state` (due again `wait` ms from now
    /// when that is `pending`, finished now otherwise), with `error` as its last, if it is
    /// still `worker`'s: when it is due next (another worker took it when this one's claim
    /// expired otherwise).
    pub async fn release(
        &self,
        key: &str,
        worker: &str,
        state: &str,
        wait: Option<i64>,
        error: Option<&str>,
    ) -> Result<Option<i64>, InboxError> {
        let now = self.now(6);
        let finished = match wait {
            Some(_) => "NULL".to_owned(),
            None => now.clone(),
        };
        let _turn = self.write_turn().await;
        let row = sqlx::query(&format!(
            "UPDATE {} SET state = $3, next_attempt_at = {now} + $4, finished_at = {finished}, \
             claimed_by = NULL, last_error = $5 \
             WHERE delivery_key = $1 AND claimed_by = $2 AND state = 'running' \
             RETURNING next_attempt_at",
            self.tables.deliveries
        ))
        .bind(key)
        .bind(worker)
        .bind(state)
        .bind(wait.unwrap_or(0))
        .bind(error)
        .bind(self.now_param())
        // Read to its end, as a claim is (see `claim`).
        .fetch_all(&self.pool)
        .await?;
        row.first()
            .map(|row| row.try_get::<i64, _>("next_attempt_at"))
            .transpose()
            .map_err(InboxError::from)
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds what was read of a row, and its body, in the order both a store and the
/// replacement of a recovered row take them: its type, lead, time, whether it fits, why not,
/// its body, and whether it was verified.
fn bind_read<'q>(query: Query<'q>, row: &NewRow) -> Query<'q> {
    query
        .bind(row.activity_type.as_deref().map(column_text))
        .bind(row.lead_id.as_deref().map(column_text))
        .bind(row.created_at)
        .bind(i64::from(row.typed))
        .bind(row.drift.clone())
        .bind(row.body.clone())
        .bind(i64::from(row.verified))
}

/// Text for a column that PostgreSQL must hold: a NUL written `\u{0}` (its body keeps it as
/// it came, escaped as JSON writes it).
fn column_text(text: &str) -> String {
    text.replace('\0', "\\u{0}")
}

/// An [`Entry`] from a row of [`COLUMNS`].
pub(crate) fn entry(row: &AnyRow) -> Result<Entry, InboxError> {
    let state: String = row.try_get("state")?;
    Ok(Entry {
        key: row.try_get("delivery_key")?,
        activity_id: row.try_get("activity_id")?,
        activity_type: row.try_get("activity_type")?,
        lead_id: row.try_get("lead_id")?,
        created_at: row.try_get("created_at")?,
        received_at: row.try_get("received_at")?,
        typed: row.try_get::<i64, _>("typed")? != 0,
        drift: row.try_get("drift")?,
        body: row.try_get("body")?,
        state: State::from_db(&state).ok_or_else(|| {
            InboxError::Database(sqlx::Error::Decode(
                format!("unknown state {state:?}").into(),
            ))
        })?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        finished_at: row.try_get("finished_at")?,
        conflict_of: row.try_get("conflict_of")?,
        verified: row
            .try_get::<Option<i64>, _>("verified")?
            .map(|verified| verified != 0),
        recovered_at: row.try_get("recovered_at")?,
    })
}
