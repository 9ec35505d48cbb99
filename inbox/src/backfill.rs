//! [`Inbox::backfill`]: what ClinchPad's webhook never delivered, recovered from its REST API.
//!
//! ClinchPad documents no retry: a delivery that failed while the receiver was down is gone
//! from the webhook. Its REST API still lists every activity, newest first. A backfill pages
//! through that list from the newest, stores each activity the inbox does not hold under the
//! key its webhook delivery would have had (so a later real delivery is a duplicate, and a
//! recovered one is never stored twice), and stops where the inbox's knowledge is whole: at
//! `since`, at the newest activity of the last finished backfill, or at a run of activities
//! the webhook delivered. Where it stands is kept in the database after every page, so a run
//! stopped by its budget of calls, an error or the process's end goes on where it stopped.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use clinchpad_webhook::Receiver;
use clinchpad_webhook_api::{
    webhook_body, ActivitiesQuery, ApiError, Client, RestActivity, RestLead, Unmappable,
};

use crate::db::backfills::RunRow;
use crate::db::deliveries::{Insert, NewRow};
use crate::delivery_key::{body_key, row_key};
use crate::error::InboxError;
use crate::inbox::Inbox;

/// How far back a backfill reaches past the newest activity of the last finished one: an
/// activity written just before that run may have been listed just after it.
const LAST_RUN_MARGIN_MS: i64 = 10 * 60 * 1000;

/// What a backfill recovers and where it stops: see [`Inbox::backfill`].
///
/// ```
/// use chrono::{Duration, Utc};
/// use clinchpad_webhook_inbox::Backfill;
///
/// // After an outage that began this morning: every activity of the last day, notes only.
/// let backfill = Backfill::new()
///     .since(Utc::now() - Duration::days(1))
///     .types(["note:created"]);
/// # let _ = backfill;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfill {
    since: Option<DateTime<Utc>>,
    types: Vec<String>,
    page_size: u32,
    held_run: u32,
}

impl Default for Backfill {
    fn default() -> Self {
        Backfill {
            since: None,
            types: Vec::new(),
            page_size: Backfill::DEFAULT_PAGE_SIZE,
            held_run: Backfill::DEFAULT_HELD_RUN,
        }
    }
}

impl Backfill {
    /// Activities asked for per call by default: 100, so that 1,000 activities take ten
    /// calls (ClinchPad's own default is 25).
    pub const DEFAULT_PAGE_SIZE: u32 = 100;

    /// How many activities the webhook delivered, one after another, end a backfill that has
    /// no other place to stop, by default.
    pub const DEFAULT_HELD_RUN: u32 = 100;

    /// Every activity type, back to the newest activity of the last finished backfill (less
    /// ten minutes), or for the first, back to a run of 100 activities the webhook delivered.
    pub fn new() -> Backfill {
        Backfill::default()
    }

    /// Goes back to `since`, whatever earlier backfills reached: after an outage, its start.
    pub fn since(mut self, since: DateTime<Utc>) -> Backfill {
        self.since = Some(since);
        self
    }

    /// Only these activity types (ClinchPad's `filter_type`), e.g. `note:created`. A set of
    /// types keeps its own place: a backfill of notes does not tell where one of all types
    /// stands.
    pub fn types<I, T>(mut self, types: I) -> Backfill
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let mut types: Vec<String> = types.into_iter().map(Into::into).collect();
        types.sort();
        types.dedup();
        self.types = types;
        self
    }

    /// Activities asked for per call (at least 1).
    pub fn page_size(mut self, size: u32) -> Backfill {
        self.page_size = size.max(1);
        self
    }

    /// How many activities the webhook delivered, one after another, end a backfill with
    /// nowhere else to stop (at least 1): they show the receiver was up before them.
    pub fn held_run(mut self, run: u32) -> Backfill {
        self.held_run = run.max(1);
        self
    }

    /// The name its place is kept under: its types, joined with `,` (empty for all).
    fn scope(&self) -> String {
        self.types.join(",")
    }
}

/// Where a backfill stopped, having recovered everything down to there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reached {
    /// An activity older than [`Backfill::since`].
    Since,
    /// An activity older than the newest of the last finished backfill (less its margin).
    LastRun,
    /// A run of activities the webhook delivered ([`Backfill::held_run`]).
    HeldRun,
    /// The end of the list: ClinchPad has no older activity.
    End,
}

impl fmt::Display for Reached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reached::Since => "reached --since",
            Reached::LastRun => "reached the last backfill",
            Reached::HeldRun => "reached a run of activities the webhook delivered",
            Reached::End => "reached the oldest activity",
        })
    }
}

/// What a backfill did: the activities it saw and what became of them, and the calls it made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillReport {
    /// Activities listed within its reach.
    pub seen: u64,
    /// Of those, the ones the inbox already held (delivered by the webhook, or recovered
    /// before).
    pub already_stored: u64,
    /// Of those, the ones it stored, marked recovered ([`Entry::recovered_at`](crate::Entry::recovered_at)).
    pub recovered: u64,
    /// Of the recovered, those stored as drift: the mapped body does not fit the
    /// documentation, or the activity could not be mapped (kept as it came, with why).
    pub drifted: u64,
    /// Pages of `GET /activities` read.
    pub pages: u64,
    /// Leads read with `GET /leads/:id`: one per distinct lead of the recovered activities.
    pub leads_read: u64,
    /// Calls made to ClinchPad's API, every attempt counted (a 429 or 5xx asked again is two).
    pub calls: u64,
    /// Whether it went on from where an earlier run stopped.
    pub resumed: bool,
    /// Where it stopped; `None` while it has not finished.
    pub reached: Option<Reached>,
}

impl fmt::Display for BackfillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} seen, {} already stored, {} recovered ({} drifted); {} calls ({} pages, {} leads)",
            self.seen,
            self.already_stored,
            self.recovered,
            self.drifted,
            self.calls,
            self.pages,
            self.leads_read
        )?;
        if self.resumed {
            f.write_str("; resumed")?;
        }
        match self.reached {
            Some(reached) => write!(f, "; {reached}"),
            None => f.write_str("; not finished"),
        }
    }
}

/// A backfill stopped before its end: what it did until then, and why. Its place is kept, so
/// the next backfill of the same types goes on from there. Its `Display` is one line that
/// holds no key.
#[derive(Debug, thiserror::Error)]
#[error("the backfill stopped ({report}): {cause}")]
#[non_exhaustive]
pub struct BackfillError {
    /// What it did before it stopped.
    pub report: BackfillReport,
    /// Why it stopped.
    pub cause: BackfillCause,
}

/// Why a backfill stopped before its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackfillCause {
    /// ClinchPad's API: its budget spent ([`ApiError::BudgetSpent`], go on later), a refused
    /// key, or an answer that is not the documented JSON.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The inbox's database.
    #[error(transparent)]
    Inbox(#[from] InboxError),
}

/// What one page held: its oldest activity time, and whether a run of delivered activities
/// ended the backfill within it.
#[derive(Default)]
struct PageRead {
    oldest: Option<i64>,
    held_run_ended: bool,
}

/// A run in progress: where it is and what it has met.
struct Run {
    row: RunRow,
    /// The ids of the first page, while how pages are numbered is unknown.
    first_ids: Vec<String>,
    /// Activities the webhook delivered, one after another.
    delivered: u32,
}

impl Inbox {
    /// Recovers from ClinchPad's REST API what the webhook never delivered: pages through
    /// `GET /activities` from the newest, and stores each activity this inbox does not hold,
    /// as the webhook would have sent it ([`webhook_body`]: the lead's stage and pipe read
    /// with `GET /leads/:id`, once per lead, as they are now), marked recovered
    /// ([`Entry::recovered_at`](crate::Entry::recovered_at), and `"recovered"` in its body;
    /// see `clinchpad_webhook_api::Recovered`). What cannot be mapped is stored as drift, as
    /// it came, with why: never dropped.
    ///
    /// It stops at the first page that reaches below [`Backfill::since`] when given, else
    /// below the newest activity of the last finished backfill of the same types (less ten
    /// minutes), else at a run of [`Backfill::held_run`] activities the webhook delivered, or
    /// at the end of the list. Each activity is stored under the key its webhook delivery
    /// would have had: the real delivery, should it come later, is a
    /// [`Duplicate`](crate::Stored::Duplicate) (and its body, which says how the lead stood
    /// then, takes the recovered one's place while no worker has taken it).
    ///
    /// Its place is kept after every page: a backfill that stops (the client's budget of
    /// calls spent, an error, the process killed) goes on from there when it is run again.
    /// Stored deliveries are processed by the workers as any other. Keys quoted in an
    /// activity's free text are masked as [`masking_keys_of`](Inbox::masking_keys_of) says:
    /// give it the receiver's keys (and the API key, as a key of its own) to keep them out of
    /// what is stored, as `clinchpad-webhook backfill` does.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use chrono::{Duration, Utc};
    /// use clinchpad_webhook_inbox::api::{ApiKey, Client};
    /// use clinchpad_webhook_inbox::{Backfill, Inbox};
    ///
    /// let inbox = Inbox::open("sqlite://inbox.db").await?;
    /// let client = Client::new(ApiKey::from_env("CLINCHPAD_API_KEY")?)?;
    /// let report = inbox
    ///     .backfill(&client, &Backfill::new().since(Utc::now() - Duration::hours(6)))
    ///     .await?;
    /// println!("{report}");
    /// # Ok(()) }
    /// ```
    pub async fn backfill(
        &self,
        client: &Client,
        backfill: &Backfill,
    ) -> Result<BackfillReport, BackfillError> {
        let calls_before = client.calls();
        let mut report = BackfillReport::default();
        let outcome = self.run_backfill(client, backfill, &mut report).await;
        report.calls = client.calls() - calls_before;
        match outcome {
            Ok(()) => Ok(report),
            Err(cause) => Err(BackfillError { report, cause }),
        }
    }

    async fn run_backfill(
        &self,
        client: &Client,
        backfill: &Backfill,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillCause> {
        let db = self.db();
        let scope = backfill.scope();
        let kept = db.backfill(&scope).await?.unwrap_or_default();
        let since = backfill.since.map(|since| since.timestamp_millis());
        let mut run = match kept.run {
            // An earlier run stopped: on from its page, or from the first while how pages
            // are numbered is unknown (its first page's ids were not kept).
            Some(stopped) => {
                report.resumed = true;
                let page = if stopped.first_page.is_some() {
                    stopped.page
                } else {
                    0
                };
                // A `since` deeper than where the run was going takes it further down.
                let floor = match (stopped.floor, since) {
                    (Some(floor), Some(since)) => Some(floor.min(since)),
                    (floor, since) => since.or(floor),
                };
                Run {
                    row: RunRow {
                        page,
                        floor,
                        ..stopped
                    },
                    first_ids: Vec::new(),
                    delivered: 0,
                }
            }
            None => Run {
                row: RunRow {
                    page: 0,
                    first_page: kept.first_page,
                    floor: since.or(kept
                        .complete_to
                        .map(|reach| reach.saturating_sub(LAST_RUN_MARGIN_MS))),
                    newest: None,
                },
                first_ids: Vec::new(),
                delivered: 0,
            },
        };
        let floor_reached = match backfill.since {
            Some(_) => Reached::Since,
            None => Reached::LastRun,
        };
        let mut leads: HashMap<String, Option<RestLead>> = HashMap::new();
        loop {
            let page = match (run.row.first_page, run.row.page) {
                (_, 0) => None,
                (Some(first), index) => Some(u32::try_from(first + index).unwrap_or(u32::MAX)),
                (None, _) => Some(1),
            };
            let query = ActivitiesQuery {
                page,
                size: Some(backfill.page_size),
                types: backfill.types.clone(),
            };
            let activities = client.activities(&query).await?;
            report.pages += 1;
            if run.row.first_page.is_none() {
                if run.row.page == 0 {
                    run.first_ids = ids(&activities);
                } else {
                    // Page 1 is the first page again when pages count from 1: then the
                    // second page is 2. Half the ids suffices, since activities written
                    // meanwhile push the list down.
                    let again: HashSet<String> = ids(&activities).into_iter().collect();
                    let shared = run
                        .first_ids
                        .iter()
                        .filter(|id| again.contains(*id))
                        .count();
                    let counts_from_one =
                        !run.first_ids.is_empty() && shared * 2 >= run.first_ids.len();
                    run.row.first_page = Some(i64::from(counts_from_one));
                    if counts_from_one {
                        // This was the first page again; the second is page 2.
                        self.save_place(&scope, &run.row).await?;
                        continue;
                    }
                }
            }
            if activities.is_empty() {
                return self.finish(&scope, &run.row, report, Reached::End).await;
            }
            let page = self
                .recover_page(client, &activities, &mut run, backfill, &mut leads, report)
                .await?;
            let below_floor = matches!(
                (page.oldest, run.row.floor),
                (Some(oldest), Some(floor)) if oldest < floor
            );
            let reached = match () {
                () if below_floor => Some(floor_reached),
                () if page.held_run_ended => Some(Reached::HeldRun),
                () => None,
            };
            if let Some(reached) = reached {
                return self.finish(&scope, &run.row, report, reached).await;
            }
            run.row.page += 1;
            self.save_place(&scope, &run.row).await?;
        }
    }

    /// Stores what the inbox does not hold of one page, each as soon as its lead is read:
    /// a run stopped midway (its budget spent) keeps what it stored, and the page read
    /// again finds those held.
    async fn recover_page(
        &self,
        client: &Client,
        activities: &[RestActivity],
        run: &mut Run,
        backfill: &Backfill,
        leads: &mut HashMap<String, Option<RestLead>>,
        report: &mut BackfillReport,
    ) -> Result<PageRead, BackfillCause> {
        let keys: Vec<String> = activities.iter().map(key_of).collect();
        let held = self.db().held(&keys).await?;
        let mut page = PageRead::default();
        for (activity, key) in activities.iter().zip(&keys) {
            let time = activity.created_at().map(|time| time.timestamp_millis());
            if let Some(time) = time {
                run.row.newest = run.row.newest.max(Some(time));
                page.oldest = Some(page.oldest.map_or(time, |oldest: i64| oldest.min(time)));
                if run.row.floor.is_some_and(|floor| time < floor) {
                    continue;
                }
            }
            report.seen += 1;
            if let Some(&recovered) = held.get(key) {
                report.already_stored += 1;
                // Only what the webhook delivered shows that the receiver was up: what an
                // earlier, stopped, backfill recovered does not.
                if !recovered && run.row.floor.is_none() {
                    run.delivered += 1;
                    page.held_run_ended |= run.delivered >= backfill.held_run;
                }
                continue;
            }
            run.delivered = 0;
            // One call per lead in a run, for all its activities.
            let lead = match activity.lead_id() {
                Some(lead_id) if !leads.contains_key(lead_id) => {
                    let lead = client.lead(lead_id).await?;
                    report.leads_read += 1;
                    leads.entry(lead_id.to_owned()).or_insert(lead).as_ref()
                }
                Some(lead_id) => leads.get(lead_id).and_then(Option::as_ref),
                None => None,
            };
            let now = self.now_ms();
            let at = Utc
                .timestamp_millis_opt(now)
                .single()
                .unwrap_or_else(Utc::now);
            let (stored, drifted) = self.store_recovered(activity, key, lead, at, now).await?;
            if stored {
                report.recovered += 1;
                report.drifted += u64::from(drifted);
            } else {
                // Delivered by the webhook (or recovered by another backfill) meanwhile.
                report.already_stored += 1;
            }
        }
        Ok(page)
    }

    /// Stores one recovered activity under `key`, unless a delivery holds it already:
    /// whether it was stored, and whether as drift.
    async fn store_recovered(
        &self,
        activity: &RestActivity,
        key: &str,
        lead: Option<&RestLead>,
        at: DateTime<Utc>,
        now: i64,
    ) -> Result<(bool, bool), InboxError> {
        let mapped = webhook_body(activity, lead, at)
            .and_then(|body| serde_json::to_vec(&body).map_err(|err| Unmappable(err.to_string())));
        let stored = match mapped {
            Ok(body) => {
                // Read as a receiver reads a delivery: typed when it fits, drift otherwise.
                match Receiver::unverified().accept(None, &body) {
                    Ok(delivery) => {
                        let payload = delivery.payload();
                        let row = NewRow {
                            activity_id: delivery.activity_id().map(str::to_owned),
                            activity_type: delivery.type_name().map(str::to_owned),
                            lead_id: payload.map(|payload| payload.lead.id.to_string()),
                            created_at: payload
                                .map(|payload| payload.activity.created_at.timestamp_millis()),
                            typed: delivery.is_typed(),
                            drift: delivery.error().map(|err| format!("recovered: {err}")),
                            // It came over HTTPS, asked for with the account's API key.
                            verified: true,
                            body: String::from_utf8_lossy(&body).into_owned(),
                            recovered_at: Some(now),
                        };
                        let drifted = row.drift.is_some();
                        (self.insert_recovered(row, key).await?, drifted)
                    }
                    Err(rejection) => {
                        let reason = Unmappable(rejection.to_string());
                        (
                            self.insert_unmapped(activity, key, reason, now).await?,
                            true,
                        )
                    }
                }
            }
            Err(reason) => (
                self.insert_unmapped(activity, key, reason, now).await?,
                true,
            ),
        };
        Ok(stored)
    }

    /// Stores an activity that could not be mapped as it came, as drift, with why.
    async fn insert_unmapped(
        &self,
        activity: &RestActivity,
        key: &str,
        reason: Unmappable,
        now: i64,
    ) -> Result<bool, InboxError> {
        let row = NewRow {
            activity_id: activity.id().map(str::to_owned),
            activity_type: activity.type_name().map(str::to_owned),
            lead_id: activity.lead_id().map(str::to_owned),
            created_at: activity.created_at().map(|time| time.timestamp_millis()),
            typed: false,
            drift: Some(format!("recovered: {reason}")),
            verified: true,
            body: activity.json().to_string(),
            recovered_at: Some(now),
        };
        self.insert_recovered(row, key).await
    }

    /// One statement: the row, unless its key is held.
    async fn insert_recovered(&self, mut row: NewRow, key: &str) -> Result<bool, InboxError> {
        row.body = self.masking().text(&row.body).into_owned();
        let insert = Insert {
            row,
            key: key.to_owned(),
            conflict_of: None,
        };
        let stored = self.db().insert(insert).await?;
        self.db().check_file()?;
        Ok(stored)
    }

    async fn save_place(&self, scope: &str, run: &RunRow) -> Result<(), InboxError> {
        self.db().save_run(scope, run, self.now_ms()).await
    }

    async fn finish(
        &self,
        scope: &str,
        run: &RunRow,
        report: &mut BackfillReport,
        reached: Reached,
    ) -> Result<(), BackfillCause> {
        self.db()
            .finish_run(scope, run.newest, run.first_page, self.now_ms())
            .await?;
        report.reached = Some(reached);
        Ok(())
    }

    fn now_ms(&self) -> i64 {
        self.db()
            .now_param()
            .unwrap_or_else(|| Utc::now().timestamp_millis())
    }
}

fn ids(activities: &[RestActivity]) -> Vec<String> {
    activities
        .iter()
        .filter_map(|activity| activity.id().map(str::to_owned))
        .collect()
}

/// The key the webhook's delivery of `activity` is stored under: its id; for one without an
/// id, the hash of what is stored.
fn key_of(activity: &RestActivity) -> String {
    match activity.id() {
        Some(id) => row_key(id),
        None => body_key(&activity.json().to_string()),
    }
}
