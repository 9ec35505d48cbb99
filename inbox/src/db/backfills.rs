//! Where each backfill stands, one row per scope (the set of activity types it recovers):
//! each statement here is one, so that a run stopped at any point leaves a row that says
//! where to go on from.

use sqlx::Row;

use super::Db;
use crate::error::InboxError;

/// A backfill's row: how far the last finished run reached, and where an unfinished run
/// stopped. Times in milliseconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BackfillRow {
    /// The newest activity time a finished run met.
    pub complete_to: Option<i64>,
    /// How ClinchPad numbers pages (0 or 1), once a run has seen it.
    pub first_page: Option<i64>,
    /// An unfinished run, when there is one.
    pub run: Option<RunRow>,
}

/// Where an unfinished run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunRow {
    /// The index of the page it goes on from (0 for the newest).
    pub page: i64,
    /// How ClinchPad numbers pages: 0 or 1; `None` while unknown.
    pub first_page: Option<i64>,
    /// The time it goes down to; `None`: until a run of deliveries already held.
    pub floor: Option<i64>,
    /// The newest activity time it met.
    pub newest: Option<i64>,
}

impl Db {
    /// The row of `scope`, when a backfill of it has run.
    pub async fn backfill(&self, scope: &str) -> Result<Option<BackfillRow>, InboxError> {
        let row = sqlx::query(&format!(
            "SELECT complete_to, first_page, run_page, run_floor, run_newest FROM {} WHERE scope = $1",
            self.tables.backfills
        ))
        .bind(scope.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let page: Option<i64> = row.try_get("run_page")?;
        let first_page = row.try_get("first_page")?;
        Ok(Some(BackfillRow {
            complete_to: row.try_get("complete_to")?,
            first_page,
            run: match page {
                None => None,
                Some(page) => Some(RunRow {
                    page,
                    first_page,
                    floor: row.try_get("run_floor")?,
                    newest: row.try_get("run_newest")?,
                }),
            },
        }))
    }

    /// Records where the run of `scope` stands, its last finished run's reach kept.
    pub async fn save_run(&self, scope: &str, run: &RunRow, now: i64) -> Result<(), InboxError> {
        let _turn = self.write_turn().await;
        sqlx::query(&format!(
            "INSERT INTO {} (scope, run_page, first_page, run_floor, run_newest, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (scope) DO UPDATE SET run_page = excluded.run_page, \
             first_page = excluded.first_page, run_floor = excluded.run_floor, \
             run_newest = excluded.run_newest, updated_at = excluded.updated_at",
            self.tables.backfills
        ))
        .bind(scope.to_owned())
        .bind(run.page)
        .bind(run.first_page)
        .bind(run.floor)
        .bind(run.newest)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a finished run of `scope`: it reached back to the last run (or further), so
    /// the next goes down to `complete_to`; no run is left unfinished; how pages are
    /// numbered is kept for the next.
    pub async fn finish_run(
        &self,
        scope: &str,
        complete_to: Option<i64>,
        first_page: Option<i64>,
        now: i64,
    ) -> Result<(), InboxError> {
        // A run that met no activity keeps the reach of the one before.
        let _turn = self.write_turn().await;
        sqlx::query(&format!(
            "INSERT INTO {table} (scope, complete_to, first_page, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope) DO UPDATE SET \
             complete_to = COALESCE(excluded.complete_to, {table}.complete_to), \
             first_page = COALESCE(excluded.first_page, {table}.first_page), \
             run_page = NULL, run_floor = NULL, run_newest = NULL, \
             updated_at = excluded.updated_at",
            table = self.tables.backfills
        ))
        .bind(scope.to_owned())
        .bind(complete_to)
        .bind(first_page)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
