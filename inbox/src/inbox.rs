//! [`Inbox`]: the table of deliveries, on SQLite or PostgreSQL. Storing is one statement keyed
//! on the delivery's key; reading and retrying are for the operator and the command.

use std::sync::Arc;
use std::time::Duration;

use clinchpad_webhook::{Delivery, Payload, Receiver};

use crate::clock::Clock;
use crate::db::deliveries::{Insert, NewRow};
use crate::db::schema::{Tables, DEFAULT_PREFIX};
use crate::db::{Db, STORE_BOUND};
use crate::delivery_key::{body_key, canonical_hash, conflict_key, row_key};
use crate::entry::{Entry, State, Stored};
use crate::error::InboxError;
use crate::masking::Masking;
use crate::signal;
use crate::worker::{Handler, Worker};
use tracing::Instrument;

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
    db: Arc<Db>,
    /// Whose keys are masked in what is stored, beside those of the receiver that took each
    /// delivery.
    masking: Masking,
    /// How long done deliveries are kept; `None` for ever.
    keep_done: Option<Duration>,
}

/// How an inbox is opened: the names of its tables. [`Inbox::open`] and
/// [`Inbox::connect`] take the defaults.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use clinchpad_webhook_inbox::InboxOptions;
///
/// # let dir = std::env::temp_dir().join(format!("inbox-options-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let url = format!("sqlite://{}/app.db", dir.display());
/// // Tables `billing_deliveries` and `billing_inbox_migrations`, beside the app's own.
/// let inbox = InboxOptions::new().table_prefix("billing_").open(&url).await?;
/// # let _ = inbox;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct InboxOptions {
    prefix: String,
    keep_done: Option<Duration>,
}

/// How long done deliveries are kept by default: 30 days.
pub const KEEP_DONE: Duration = Duration::from_secs(30 * 86_400);

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            prefix: DEFAULT_PREFIX.to_owned(),
            keep_done: Some(KEEP_DONE),
        }
    }
}

impl InboxOptions {
    /// The defaults: tables `clinchpad_deliveries` and `clinchpad_inbox_migrations`.
    pub fn new() -> Self {
        InboxOptions::default()
    }

    /// Names the inbox's tables `{prefix}deliveries` and `{prefix}inbox_migrations`: for
    /// several inboxes in one database, or a naming scheme of the application's. Letters,
    /// digits and `_`, at most 40, not starting with a digit. (On PostgreSQL a schema of its
    /// own can be chosen in the URL instead: `?options=-csearch_path%3Dinbox`.)
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a done delivery is kept after it was processed (default [`KEEP_DONE`], 30
    /// days); `None` keeps them all. Workers remove older ones as they go, about once an hour
    /// in batches ([`Inbox::prune`] does it at once). Dead deliveries are kept until retried
    /// or purged ([`Inbox::purge`]), whatever this says.
    pub fn keep_done(mut self, keep: Option<Duration>) -> Self {
        self.keep_done = keep;
        self
    }

    /// [`Inbox::open`], with these options.
    pub async fn open(&self, url: &str) -> Result<Inbox, InboxError> {
        self.connect_to(url, true).await
    }

    /// [`Inbox::connect`], with these options.
    pub async fn connect(&self, url: &str) -> Result<Inbox, InboxError> {
        self.connect_to(url, false).await
    }

    async fn connect_to(&self, url: &str, create: bool) -> Result<Inbox, InboxError> {
        let tables = Tables::new(&self.prefix)?;
        let db = Db::connect(url, tables, create)
            .await
            .map_err(|err| match err {
                // A driver's message may quote what the URL held (a password taken for a
                // database's name, when the URL is malformed).
                InboxError::Database(err) => InboxError::Connect(crate::error::one_line(
                    &crate::url::scrub(&err.to_string(), &crate::url::secrets(url)),
                    300,
                )),
                other => other,
            })?;
        Ok(Inbox {
            inner: Arc::new(Inner {
                db: Arc::new(db),
                masking: Masking::default(),
                keep_done: self.keep_done,
            }),
        })
    }
}

impl Inbox {
    /// Connects to the database at `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://USER@HOST/DATABASE`) and creates or migrates the inbox's tables. SQLite is
    /// put in write-ahead-log mode, for a worker to read while a receiver writes. What has
    /// been migrated is recorded in a table of the inbox's own (`clinchpad_inbox_migrations`),
    /// so an application's own sqlx migrations in the same database are undisturbed.
    pub async fn open(url: &str) -> Result<Inbox, InboxError> {
        InboxOptions::new().open(url).await
    }

    /// Connects to the inbox at `url` without creating anything: no file, no table, no
    /// migration. [`InboxError::NoInbox`] when there is none there: for tools that only look
    /// (`clinchpad-webhook inbox list`), which must not leave an empty inbox behind a
    /// mistyped URL.
    pub async fn connect(url: &str) -> Result<Inbox, InboxError> {
        InboxOptions::new().connect(url).await
    }

    /// Reads the time from `clock` instead of the database: for tests of retries, where
    /// every handle and worker shares the one clock. (By default the inbox reads the
    /// database's clock, so that workers whose machines' clocks disagree still agree on when
    /// a claim expires.)
    pub fn with_clock(self, clock: impl Clock) -> Self {
        let mut db = (*self.inner.db).clone();
        db.clock = Some(Arc::new(clock));
        self.rebuild(|inner| inner.db = Arc::new(db))
    }

    /// Masks every key of `receiver` (`***`) wherever it is quoted in free text in what is
    /// stored (a delivery's body, a handler's error), beside those of the receiver that took
    /// each delivery, which are masked anyway: for a payload stored with
    /// [`store_payload`](Inbox::store_payload), for keys being retired, and for a worker's
    /// errors, which may quote a delivery.
    pub fn masking_keys_of(self, receiver: &Receiver) -> Self {
        let receiver = receiver.clone();
        self.rebuild(|inner| inner.masking = Masking::of(receiver))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            db: self.inner.db.clone(),
            masking: self.inner.masking.clone(),
            keep_done: self.inner.keep_done,
        };
        change(&mut inner);
        Inbox {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// How long done deliveries are kept; `None` for ever.
    pub(crate) fn keep_done_for(&self) -> Option<Duration> {
        self.inner.keep_done
    }

    /// Whose keys are masked in what is stored.
    #[cfg(feature = "backfill")]
    pub(crate) fn masking(&self) -> &Masking {
        &self.inner.masking
    }

    /// Keeps a delivery that a [`Receiver`] accepted, once: new; a duplicate of one stored
    /// under the same key (its activity `_id`, or for a body without a readable one the hash
    /// of the body without its key) with the same body; or, with another body, kept beside
    /// it as a conflict ([`Stored::Conflict`]). A new delivery is one statement, so that two
    /// copies arriving at once cannot both be new. What is kept is the body without its key,
    /// with every key of the receiver quoted in its free text masked
    /// ([`Delivery::body_to_store`]), and why it does not fit the documentation when it does
    /// not.
    ///
    /// Answered within 5 s whatever the database does ([`InboxError::Timeout`] past that).
    /// On SQLite, a file removed or replaced since it was opened is an error
    /// ([`InboxError::FileGone`]), not a delivery written where no one will find it.
    ///
    /// Store only what a receiver verified, unless no key is set in ClinchPad: an id taken
    /// from an unverified body lets a forger send it first (the real delivery is then kept
    /// as a conflict, not lost).
    pub async fn store(&self, delivery: &Delivery) -> Result<Stored, InboxError> {
        let body = delivery
            .body_to_store()
            .map(|body| String::from_utf8_lossy(&body).into_owned())
            .unwrap_or_default();
        let payload = delivery.payload();
        let row = NewRow {
            activity_id: delivery.activity_id().map(str::to_owned),
            activity_type: delivery.type_name().map(str::to_owned),
            lead_id: payload.map(|payload| payload.lead.id.to_string()),
            created_at: payload.map(|payload| payload.activity.created_at.timestamp_millis()),
            typed: delivery.is_typed(),
            drift: delivery.error().map(ToString::to_string),
            verified: delivery.is_verified(),
            body,
            recovered_at: None,
        };
        self.insert(row).await
    }

    /// Keeps a payload that `receiver` read strictly ([`Receiver::receive`]), as
    /// [`store`](Inbox::store) keeps a delivery: its body is the payload serialized without
    /// its key, with the receiver's keys masked in its free text.
    pub async fn store_payload(
        &self,
        payload: &Payload,
        receiver: &Receiver,
    ) -> Result<Stored, InboxError> {
        let body = serde_json::to_vec(&payload.clone().without_handshake_key())
            .map_err(|err| InboxError::Database(sqlx::Error::Encode(Box::new(err))))?;
        let body = String::from_utf8_lossy(&receiver.redact_body(&body)).into_owned();
        let row = NewRow {
            activity_id: Some(payload.activity.id.to_string()),
            activity_type: Some(payload.activity.kind.type_name().to_owned()),
            lead_id: Some(payload.lead.id.to_string()),
            created_at: Some(payload.activity.created_at.timestamp_millis()),
            typed: true,
            drift: None,
            verified: receiver.is_verified(),
            body,
            recovered_at: None,
        };
        self.insert(row).await
    }

    async fn insert(&self, row: NewRow) -> Result<Stored, InboxError> {
        let span = signal::store_span(
            row.activity_id.as_deref(),
            row.activity_type.as_deref(),
            row.lead_id.as_deref(),
        );
        let stored = self.insert_bounded(row).instrument(span.clone()).await;
        span.in_scope(|| signal::stored(&stored));
        stored
    }

    async fn insert_bounded(&self, mut row: NewRow) -> Result<Stored, InboxError> {
        row.body = self.inner.masking.text(&row.body).into_owned();
        let key = match &row.activity_id {
            Some(id) => row_key(id),
            None => body_key(&row.body),
        };
        let stored = tokio::time::timeout(STORE_BOUND, self.insert_row(row, key)).await;
        // Written, but where? A file removed under a running receiver takes writes that no
        // one will read (or, on a connection opened since, fails for want of a table): say
        // so rather than answer 2xx.
        self.db().check_file()?;
        stored.map_err(|_| InboxError::Timeout(STORE_BOUND.as_millis() as u64))?
    }

    /// The row, new (stored with the others arriving at the same moment); or when its key is
    /// taken by another body, a conflict row of its own.
    async fn insert_row(&self, row: NewRow, key: String) -> Result<Stored, InboxError> {
        let db = self.db();
        let insert = Insert {
            row,
            key: key.clone(),
            conflict_of: None,
        };
        let Some(Insert { row, .. }) = db.insert_grouped(insert).await? else {
            return Ok(Stored::New);
        };
        // Taken: by the same delivery (a duplicate), or by another body, kept beside it under
        // a key of its own, once per body. The same delivery is the same JSON once read: a
        // resend whose key sat elsewhere, or whose spacing differs, is no conflict.
        let canonical = canonical_hash(&row.body);
        match db.body(&key).await? {
            // Recovered from the API before the webhook's delivery came: the same activity.
            // What ClinchPad sent says how the lead stood then, which the recovered body
            // cannot: it takes the recovered one's place while no worker has taken that one,
            // if it was verified (an unverified body must not overwrite one from the API).
            Some((_, true)) => {
                if row.verified {
                    db.replace_recovered(&row, &key).await?;
                }
                return Ok(Stored::Duplicate);
            }
            Some((first, false)) if canonical_hash(&first) == canonical => {
                return Ok(Stored::Duplicate)
            }
            _ => {}
        }
        let conflict = Insert {
            row,
            key: conflict_key(&key, &canonical),
            conflict_of: Some(key),
        };
        Ok(match db.insert(conflict).await? {
            false => Stored::Duplicate,
            true => Stored::Conflict,
        })
    }

    /// The latest deliveries first, at most `limit`, only those in `state` when given.
    pub async fn list(&self, state: Option<State>, limit: u32) -> Result<Vec<Entry>, InboxError> {
        self.db().list(state, limit).await
    }

    /// The delivery stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, InboxError> {
        self.db().get(key).await
    }

    /// Makes the delivery stored under `key` due now, with its attempts counted afresh: a dead
    /// one to try again, or a done one to run again. One a worker has now is left to it.
    /// Whether it was changed.
    pub async fn retry(&self, key: &str) -> Result<bool, InboxError> {
        self.db().retry(key).await
    }

    /// [`retry`](Inbox::retry) for every dead delivery; how many there were.
    pub async fn retry_dead(&self) -> Result<u64, InboxError> {
        let dead = crate::filter::Filter::new().state(State::Dead);
        self.db().retry_matching(&dead, 0).await
    }

    /// A worker that runs `handler` on each stored delivery that fits, until it succeeds: see
    /// [`Worker`].
    pub fn worker(&self, handler: impl Handler<Payload>) -> Worker {
        Worker::new(
            self.inner.db.clone(),
            self.inner.masking.clone(),
            self.inner.keep_done,
            handler,
        )
    }
}
