//! [`Inbox`]: the table of deliveries, on SQLite or PostgreSQL. Storing is one statement keyed
//! on the delivery's key; reading and retrying are for the operator and the command.

use std::sync::Arc;

use clinchpad_webhook::{Delivery, Payload, Receiver};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::clock::{Clock, SystemClock};
use crate::entry::{Entry, State, Stored};
use crate::error::InboxError;
use crate::schema;
use crate::worker::Worker;

/// Every delivery stored once, then processed until it succeeds: a table of deliveries on
/// SQLite (one process) or PostgreSQL (several receivers and workers sharing one database).
///
/// [`open`](Inbox::open) connects and brings the schema up to date;
/// [`store`](Inbox::store) keeps a delivery, once, in one statement, before the receiver
/// answers 2xx; [`worker`](Inbox::worker) processes what is stored. Cheap to clone: the clones
/// share one pool of connections.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use clinchpad_webhook::{HandshakeKey, Receiver};
/// use clinchpad_webhook_inbox::{Inbox, Stored};
///
/// # let dir = std::env::temp_dir().join(format!("inbox-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let url = format!("sqlite://{}/inbox.db", dir.display());
/// let inbox = Inbox::open(&url).await?;
/// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
/// let delivery = receiver.accept(None, &std::fs::read("../fixtures/lead_won.json")?)?;
/// assert_eq!(inbox.store(&delivery).await?, Stored::New);
/// assert_eq!(inbox.store(&delivery).await?, Stored::Duplicate); // the same delivery again
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Inbox {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    /// Whose keys are masked in a stored body, beside its `handshake_key`, which always goes.
    masking: Option<Receiver>,
}

/// Which database the inbox is on: the statements are the same but for how a worker claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The columns of an [`Entry`], in its order.
pub(crate) const COLUMNS: &str = "delivery_key, activity_id, activity_type, lead_id, created_at, \
    received_at, typed, drift, body, state, attempts, next_attempt_at, last_error, finished_at";

impl Inbox {
    /// Connects to the database at `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://USER@HOST/DATABASE`) and creates or migrates the inbox's table. SQLite is
    /// put in write-ahead-log mode, for a worker to read while a receiver writes.
    pub async fn open(url: &str) -> Result<Inbox, InboxError> {
        let scheme = url.split(':').next().unwrap_or_default();
        let (backend, url) = match scheme {
            "sqlite" if url.contains('?') || url.contains(":memory:") => {
                (Backend::Sqlite, url.to_owned())
            }
            // Created when missing.
            "sqlite" => (Backend::Sqlite, format!("{url}?mode=rwc")),
            "postgres" | "postgresql" => (Backend::Postgres, url.to_owned()),
            _ => {
                return Err(InboxError::Url(
                    clinchpad_webhook::escape_text(scheme).into_owned(),
                ))
            }
        };
        sqlx::any::install_default_drivers();
        // A database that does not answer makes a request fail in seconds (503), not hang.
        let mut options = AnyPoolOptions::new().acquire_timeout(std::time::Duration::from_secs(5));
        if backend == Backend::Sqlite {
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    // A reader never waits for the writer; a writer waits its turn, not fails.
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    connection.execute("PRAGMA busy_timeout = 10000").await?;
                    Ok(())
                })
            });
            if url.contains(":memory:") {
                // Each connection would have a database of its own.
                options = options.max_connections(1);
            }
        }
        let pool = options.connect(&url).await?;
        schema::migrator().run(&pool).await?;
        Ok(Inbox {
            inner: Arc::new(Inner {
                pool,
                backend,
                clock: Arc::new(SystemClock),
                masking: None,
            }),
        })
    }

    /// Reads the time from `clock` instead of the system's: for tests of retries.
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.rebuild(|inner| inner.clock = Arc::new(clock))
    }

    /// Masks every key of `receiver` (`***`) wherever it is in a stored body, beside removing
    /// its `handshake_key`: a note that quotes the key is stored without it.
    pub fn masking_keys_of(self, receiver: &Receiver) -> Self {
        let receiver = receiver.clone();
        self.rebuild(|inner| inner.masking = Some(receiver))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            pool: self.inner.pool.clone(),
            backend: self.inner.backend,
            clock: self.inner.clock.clone(),
            masking: self.inner.masking.clone(),
        };
        change(&mut inner);
        Inbox {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    pub(crate) fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Keeps a delivery that a [`Receiver`] accepted, once: new, or a duplicate of one stored
    /// under the same key (its activity `_id`, or for a body without a readable one the hash of
    /// the body without its key). One statement, so that two copies arriving at once cannot
    /// both be new. Only the body without its key is kept, with why it does not fit the
    /// documentation when it does not.
    ///
    /// Store only what a receiver verified: an id taken from an unverified body would let a
    /// forger block a real delivery by sending its id first.
    pub async fn store(&self, delivery: &Delivery) -> Result<Stored, InboxError> {
        let body = delivery
            .body_without_key()
            .map(|body| String::from_utf8_lossy(&body).into_owned())
            .unwrap_or_default();
        let payload = delivery.payload();
        let row = NewRow {
            key: delivery.activity_id().map(str::to_owned),
            activity_id: delivery.activity_id(),
            activity_type: delivery.type_name(),
            lead_id: payload.map(|payload| payload.lead.id.as_str()),
            created_at: payload.map(|payload| payload.activity.created_at.timestamp_millis()),
            typed: delivery.is_typed(),
            drift: delivery.error().map(ToString::to_string),
            body,
        };
        self.insert(row).await
    }

    /// Keeps a payload, as [`store`](Inbox::store) keeps a delivery: for a receiver that reads
    /// payloads strictly (`Receiver::receive`). Its body is the payload serialized without
    /// its key.
    pub async fn store_payload(&self, payload: &Payload) -> Result<Stored, InboxError> {
        let body = serde_json::to_string(&payload.clone().without_handshake_key())
            .map_err(|err| InboxError::Database(sqlx::Error::Encode(Box::new(err))))?;
        let row = NewRow {
            key: Some(payload.activity.id.as_str().to_owned()),
            activity_id: Some(payload.activity.id.as_str()),
            activity_type: Some(payload.activity.kind.type_name()),
            lead_id: Some(payload.lead.id.as_str()),
            created_at: Some(payload.activity.created_at.timestamp_millis()),
            typed: true,
            drift: None,
            body,
        };
        self.insert(row).await
    }

    async fn insert(&self, row: NewRow<'_>) -> Result<Stored, InboxError> {
        let body = match &self.inner.masking {
            Some(receiver) => receiver.redact(&row.body).into_owned(),
            None => row.body,
        };
        let key = row.key.unwrap_or_else(|| {
            let hash = Sha256::digest(body.as_bytes());
            let hex: String = hash.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("sha256:{hex}")
        });
        let now = self.now();
        let inserted = sqlx::query(
            "INSERT INTO clinchpad_deliveries (delivery_key, activity_id, activity_type, lead_id, \
             created_at, received_at, typed, drift, body, state, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $6) \
             ON CONFLICT (delivery_key) DO NOTHING",
        )
        .bind(key)
        .bind(row.activity_id)
        .bind(row.activity_type)
        .bind(row.lead_id)
        .bind(row.created_at)
        .bind(now)
        .bind(i64::from(row.typed))
        .bind(row.drift)
        .bind(body)
        .execute(self.pool())
        .await?;
        Ok(match inserted.rows_affected() {
            0 => Stored::Duplicate,
            _ => Stored::New,
        })
    }

    /// The latest deliveries first, at most `limit`, only those in `state` when given.
    pub async fn list(&self, state: Option<State>, limit: u32) -> Result<Vec<Entry>, InboxError> {
        let rows = match state {
            Some(state) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM clinchpad_deliveries WHERE state = $1 \
                     ORDER BY received_at DESC, delivery_key LIMIT $2"
                ))
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM clinchpad_deliveries \
                     ORDER BY received_at DESC, delivery_key LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(entry).collect()
    }

    /// The delivery stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, InboxError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM clinchpad_deliveries WHERE delivery_key = $1"
        ))
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Makes the delivery stored under `key` due now, with its attempts counted afresh: a dead
    /// one to try again, or a done one to run again. One a worker has now is left to it.
    /// Whether it was changed.
    pub async fn retry(&self, key: &str) -> Result<bool, InboxError> {
        let changed = sqlx::query(
            "UPDATE clinchpad_deliveries SET state = 'pending', attempts = 0, \
             next_attempt_at = $2, claimed_by = NULL, finished_at = NULL \
             WHERE delivery_key = $1 AND state <> 'running'",
        )
        .bind(key)
        .bind(self.now())
        .execute(self.pool())
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// [`retry`](Inbox::retry) for every dead delivery; how many there were.
    pub async fn retry_dead(&self) -> Result<u64, InboxError> {
        let changed = sqlx::query(
            "UPDATE clinchpad_deliveries SET state = 'pending', attempts = 0, \
             next_attempt_at = $1, claimed_by = NULL, finished_at = NULL WHERE state = 'dead'",
        )
        .bind(self.now())
        .execute(self.pool())
        .await?;
        Ok(changed.rows_affected())
    }

    /// A worker that runs `handler` on each stored delivery that fits, until it succeeds: see
    /// [`Worker`].
    pub fn worker(&self, handler: impl crate::worker::Handler<Payload>) -> Worker {
        Worker::new(self.clone(), handler)
    }
}

/// A delivery about to be stored.
struct NewRow<'a> {
    /// Its activity id, when it has one: the key it is stored under.
    key: Option<String>,
    activity_id: Option<&'a str>,
    activity_type: Option<&'a str>,
    lead_id: Option<&'a str>,
    created_at: Option<i64>,
    typed: bool,
    drift: Option<String>,
    body: String,
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
    })
}
