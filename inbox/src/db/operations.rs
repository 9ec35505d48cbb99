//! The operator's statements: deliveries chosen by a [`Filter`] counted, listed, made due
//! again (spread over a window) or removed (in batches, so that stores go on between them);
//! and the pauses workers honour when they claim.

use sqlx::Row;

use super::deliveries::{entry, COLUMNS};
use super::{Backend, Db};
use crate::clock::millis;
use crate::entry::{Entry, State};
use crate::error::InboxError;
use crate::filter::{Counts, Filter, Pause, Paused};

/// How many rows one statement of a purge removes: each batch its own short transaction (a few
/// milliseconds on SQLite), so that a store waits at most one batch for its turn to write.
const PURGE_BATCH: i64 = 250;

/// A value a filter's clause binds.
enum Value {
    Text(String),
    Int(i64),
    Now(Option<i64>),
}

/// A filter as SQL: a condition on the deliveries table, and its parameters from `$first`.
struct Clause {
    sql: String,
    values: Vec<Value>,
}

impl Db {
    fn clause(&self, filter: &Filter, first: usize) -> Clause {
        let mut conditions: Vec<String> = vec!["1 = 1".into()];
        let mut values = Vec::new();
        let place = |value: Value, values: &mut Vec<Value>| {
            values.push(value);
            format!("${}", first + values.len() - 1)
        };
        if !filter.states.is_empty() {
            let places: Vec<String> = filter
                .states
                .iter()
                .map(|state| place(Value::Text(state.as_str().into()), &mut values))
                .collect();
            conditions.push(format!("state IN ({})", places.join(", ")));
        }
        if !filter.types.is_empty() {
            let places: Vec<String> = filter
                .types
                .iter()
                .map(|kind| place(Value::Text(kind.clone()), &mut values))
                .collect();
            conditions.push(format!("activity_type IN ({})", places.join(", ")));
        }
        if let Some(lead) = &filter.lead {
            conditions.push(format!(
                "lead_id = {}",
                place(Value::Text(lead.clone()), &mut values)
            ));
        }
        if let Some(text) = &filter.error_contains {
            let find = match self.backend {
                Backend::Sqlite => "instr",
                Backend::Postgres => "strpos",
            };
            let text = place(Value::Text(text.clone()), &mut values);
            conditions.push(format!(
                "last_error IS NOT NULL AND {find}(lower(last_error), lower(CAST({text} AS TEXT))) > 0"
            ));
        }
        if let Some(from) = filter.received_from {
            conditions.push(format!(
                "received_at >= {}",
                place(Value::Int(from), &mut values)
            ));
        }
        if let Some(to) = filter.received_before {
            conditions.push(format!(
                "received_at < {}",
                place(Value::Int(to), &mut values)
            ));
        }
        if let Some(age) = filter.finished_longer_ago {
            let age = place(Value::Int(millis(age)), &mut values);
            values.push(Value::Now(self.now_param()));
            let now = self.now(first + values.len() - 1);
            conditions.push(format!(
                "finished_at IS NOT NULL AND finished_at < {now} - {age}"
            ));
        }
        Clause {
            sql: conditions.join(" AND "),
            values,
        }
    }

    /// How many deliveries `filter` takes.
    pub async fn count(&self, filter: &Filter) -> Result<u64, InboxError> {
        let clause = self.clause(filter, 1);
        let statement = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE {}",
            self.tables.deliveries, clause.sql
        );
        let row = bind(sqlx::query(&statement), clause.values)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
    }

    /// The latest of the deliveries `filter` takes first, at most `limit`.
    pub async fn list_matching(
        &self,
        filter: &Filter,
        limit: u32,
    ) -> Result<Vec<Entry>, InboxError> {
        let clause = self.clause(filter, 2);
        let statement = format!(
            "SELECT {COLUMNS} FROM {} WHERE {} ORDER BY received_at DESC, delivery_key LIMIT $1",
            self.tables.deliveries, clause.sql
        );
        let rows = bind(
            sqlx::query(&statement).bind(i64::from(limit)),
            clause.values,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry).collect()
    }

    /// How many deliveries are in each state, and the oldest pending one's time.
    pub async fn counts(&self) -> Result<Counts, InboxError> {
        let table = &self.tables.deliveries;
        // Counted from the index on (state, next_attempt_at), without reading a row.
        let rows = sqlx::query(&format!(
            "SELECT state, COUNT(*) AS n FROM {table} GROUP BY state"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Counts::default();
        for row in &rows {
            let n = row.try_get::<i64, _>("n")?.max(0) as u64;
            match State::from_db(&row.try_get::<String, _>("state")?) {
                Some(State::Pending) => counts.pending = n,
                Some(State::Running) => counts.running = n,
                Some(State::Done) => counts.done = n,
                Some(State::Dead) => counts.dead = n,
                None => {}
            }
        }
        if counts.pending > 0 {
            counts.oldest_pending_received_at = sqlx::query(&format!(
                "SELECT MIN(received_at) AS oldest FROM {table} WHERE state = 'pending'"
            ))
            .fetch_one(&self.pool)
            .await?
            .try_get("oldest")?;
        }
        Ok(counts)
    }

    /// Makes the deliveries `filter` takes pending, their attempts counted afresh, each due at
    /// a time drawn between now and `spread_ms` from now; those a worker has are left to it.
    /// How many were changed.
    pub async fn retry_matching(&self, filter: &Filter, spread_ms: i64) -> Result<u64, InboxError> {
        let clause = self.clause(filter, 3);
        let draw = match self.backend {
            Backend::Sqlite => "(abs(random()) % ($2 + 1))",
            Backend::Postgres => "CAST(floor(random() * ($2 + 1)) AS BIGINT)",
        };
        let statement = format!(
            "UPDATE {} SET state = 'pending', attempts = 0, next_attempt_at = {} + {draw}, \
             claimed_by = NULL, finished_at = NULL WHERE state <> 'running' AND {}",
            self.tables.deliveries,
            self.now(1),
            clause.sql
        );
        let query = sqlx::query(&statement)
            .bind(self.now_param())
            .bind(spread_ms.max(0));
        let changed = {
            let _turn = self.write_turn().await;
            bind(query, clause.values).execute(&self.pool).await?
        };
        if changed.rows_affected() > 0 {
            self.wake_workers().await;
        }
        Ok(changed.rows_affected())
    }

    /// Removes the done and dead deliveries `filter` takes (never a pending or running one),
    /// in batches. How many were removed.
    pub async fn purge(&self, filter: &Filter) -> Result<u64, InboxError> {
        let table = &self.tables.deliveries;
        let clause = self.clause(filter, 1);
        // SQLite's rows by their rowid: no lookup in the key's index to find each.
        let row = match self.backend {
            Backend::Sqlite => "rowid",
            Backend::Postgres => "delivery_key",
        };
        let statement = format!(
            "DELETE FROM {table} WHERE {row} IN (SELECT {row} FROM {table} \
             WHERE state IN ('done', 'dead') AND {} LIMIT {PURGE_BATCH})",
            clause.sql
        );
        let mut removed = 0;
        loop {
            let values = self.clause(filter, 1).values;
            let _turn = self.write_turn().await;
            let batch = bind(sqlx::query(&statement), values)
                .execute(&self.pool)
                .await?
                .rows_affected();
            removed += batch;
            if batch < PURGE_BATCH as u64 {
                return Ok(removed);
            }
        }
    }

    /// Pauses `pause`: whether it was not paused already.
    pub async fn pause(&self, pause: &Pause) -> Result<bool, InboxError> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query(&format!(
            "INSERT INTO {} (activity_type, paused_at) VALUES ($1, {}) \
             ON CONFLICT (activity_type) DO NOTHING",
            self.tables.pauses,
            self.now(2)
        ))
        .bind(pause.as_db().to_owned())
        .bind(self.now_param())
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// Lifts `pause`: whether it was in force.
    pub async fn resume(&self, pause: &Pause) -> Result<bool, InboxError> {
        let _turn = self.write_turn().await;
        let changed = sqlx::query(&format!(
            "DELETE FROM {} WHERE activity_type = $1",
            self.tables.pauses
        ))
        .bind(pause.as_db().to_owned())
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// The pauses in force, oldest first.
    pub async fn paused(&self) -> Result<Vec<Paused>, InboxError> {
        let rows = sqlx::query(&format!(
            "SELECT activity_type, paused_at FROM {} ORDER BY paused_at, activity_type",
            self.tables.pauses
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Paused {
                    pause: Pause::from_db(row.try_get("activity_type")?),
                    since: row.try_get("paused_at")?,
                })
            })
            .collect()
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind(mut query: Query<'_>, values: Vec<Value>) -> Query<'_> {
    for value in values {
        query = match value {
            Value::Text(text) => query.bind(text),
            Value::Int(n) => query.bind(n),
            Value::Now(now) => query.bind(now),
        };
    }
    query
}
