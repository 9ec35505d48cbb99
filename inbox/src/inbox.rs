//! [`Inbox`]: the table of deliveries, on SQLite or PostgreSQL. Storing is one statement keyed
//! on the delivery's key; reading and retrying are for the operator and the command.

use std::borrow::Cow;
use std::sync::Arc;

use clinchpad_webhook::{Delivery, Payload, Receiver};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::clock::Clock;
use crate::db::{Db, STORE_BOUND};
use crate::entry::{Entry, State, Stored};
use crate::error::InboxError;
use crate::schema::{Tables, DEFAULT_PREFIX};
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
    db: Arc<Db>,
    /// Whose keys are masked in what is stored, beside those of the receiver that took each
    /// delivery.
    masking: Option<Receiver>,
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
}

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            prefix: DEFAULT_PREFIX.to_owned(),
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
                masking: None,
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
        self.rebuild(|inner| inner.masking = Some(receiver))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            db: self.inner.db.clone(),
            masking: self.inner.masking.clone(),
        };
        change(&mut inner);
        Inbox {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// `text` with the masked keys' text replaced, whole copies only: for what the inbox
    /// stores that is not a body (a handler's error).
    pub(crate) fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.inner.masking {
            Some(receiver) => {
                let masked = receiver.redact_body(text.as_bytes());
                match masked {
                    Cow::Borrowed(_) => Cow::Borrowed(text),
                    Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                }
            }
            None => Cow::Borrowed(text),
        }
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
            activity_id: delivery.activity_id(),
            activity_type: delivery.type_name(),
            lead_id: payload.map(|payload| payload.lead.id.as_str()),
            created_at: payload.map(|payload| payload.activity.created_at.timestamp_millis()),
            typed: delivery.is_typed(),
            drift: delivery.error().map(ToString::to_string),
            verified: delivery.is_verified(),
            body,
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
            activity_id: Some(payload.activity.id.as_str()),
            activity_type: Some(payload.activity.kind.type_name()),
            lead_id: Some(payload.lead.id.as_str()),
            created_at: Some(payload.activity.created_at.timestamp_millis()),
            typed: true,
            drift: None,
            verified: receiver.is_verified(),
            body,
        };
        self.insert(row).await
    }

    async fn insert(&self, row: NewRow<'_>) -> Result<Stored, InboxError> {
        let body = self.mask_text(&row.body).into_owned();
        let key = match row.activity_id {
            Some(id) => row_key(id),
            None => format!("sha256:{}", hex(&Sha256::digest(body.as_bytes()))),
        };
        let stored = tokio::time::timeout(STORE_BOUND, self.insert_row(&row, key, body)).await;
        let stored = stored.map_err(|_| InboxError::Timeout(STORE_BOUND.as_millis() as u64))??;
        // Written, but where? A file removed under a running receiver takes writes that no
        // one will read: say so rather than answer 2xx.
        self.db().check_file()?;
        Ok(stored)
    }

    /// The row, new; or when its key is taken by another body, a conflict row of its own.
    async fn insert_row(
        &self,
        row: &NewRow<'_>,
        key: String,
        body: String,
    ) -> Result<Stored, InboxError> {
        let db = self.db();
        let table = &db.tables.deliveries;
        let now = db.now(10);
        let values = format!("$1, $2, $3, $4, $5, {now}, $6, $7, $8, 'pending', 0, {now}, $9, $11");
        let statement = format!(
            "INSERT INTO {table} ({INSERTED}) VALUES ({values}) \
             ON CONFLICT (delivery_key) DO NOTHING"
        );
        let inserted = bind_row(
            sqlx::query(&statement),
            row,
            &key,
            &body,
            db.now_param(),
            None,
        )
        .execute(&db.pool)
        .await?;
        if inserted.rows_affected() > 0 {
            return Ok(Stored::New);
        }
        // Taken: by the same delivery (a duplicate), or by another body, kept beside it under
        // a key of its own, once per body. The same delivery is the same JSON once read: a
        // resend whose key sat elsewhere, or whose spacing differs, is no conflict.
        let canonical = canonical_hash(&body);
        let first: Option<String> =
            sqlx::query(&format!("SELECT body FROM {table} WHERE delivery_key = $1"))
                .bind(&key)
                .fetch_optional(&db.pool)
                .await?
                .map(|row| row.try_get("body"))
                .transpose()?;
        if first.is_some_and(|first| canonical_hash(&first) == canonical) {
            return Ok(Stored::Duplicate);
        }
        let conflict = format!("{key}~{}", &canonical[..16]);
        let query = sqlx::query(&statement);
        let inserted = bind_row(query, row, &conflict, &body, db.now_param(), Some(&key))
            .execute(&db.pool)
            .await?;
        Ok(match inserted.rows_affected() {
            0 => Stored::Duplicate,
            _ => Stored::Conflict,
        })
    }

    /// The latest deliveries first, at most `limit`, only those in `state` when given.
    pub async fn list(&self, state: Option<State>, limit: u32) -> Result<Vec<Entry>, InboxError> {
        let db = self.db();
        let table = &db.tables.deliveries;
        let rows = match state {
            Some(state) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM {table} WHERE state = $1 \
                     ORDER BY received_at DESC, delivery_key LIMIT $2"
                ))
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(&db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM {table} ORDER BY received_at DESC, delivery_key LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&db.pool)
                .await?
            }
        };
        rows.iter().map(entry).collect()
    }

    /// The delivery stored under `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, InboxError> {
        let db = self.db();
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {} WHERE delivery_key = $1",
            db.tables.deliveries
        ))
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Makes the delivery stored under `key` due now, with its attempts counted afresh: a dead
    /// one to try again, or a done one to run again. One a worker has now is left to it.
    /// Whether it was changed.
    pub async fn retry(&self, key: &str) -> Result<bool, InboxError> {
        let db = self.db();
        let changed = sqlx::query(&format!(
            "UPDATE {} SET state = 'pending', attempts = 0, next_attempt_at = {}, \
             claimed_by = NULL, finished_at = NULL WHERE delivery_key = $1 AND state <> 'running'",
            db.tables.deliveries,
            db.now(2)
        ))
        .bind(key)
        .bind(db.now_param())
        .execute(&db.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// [`retry`](Inbox::retry) for every dead delivery; how many there were.
    pub async fn retry_dead(&self) -> Result<u64, InboxError> {
        let db = self.db();
        let changed = sqlx::query(&format!(
            "UPDATE {} SET state = 'pending', attempts = 0, next_attempt_at = {}, \
             claimed_by = NULL, finished_at = NULL WHERE state = 'dead'",
            db.tables.deliveries,
            db.now(1)
        ))
        .bind(db.now_param())
        .execute(&db.pool)
        .await?;
        Ok(changed.rows_affected())
    }

    /// A worker that runs `handler` on each stored delivery that fits, until it succeeds: see
    /// [`Worker`].
    pub fn worker(&self, handler: impl crate::worker::Handler<Payload>) -> Worker {
        Worker::new(self.clone(), handler)
    }
}

/// The columns of an [`Entry`], in its order.
pub(crate) const COLUMNS: &str = "delivery_key, activity_id, activity_type, lead_id, created_at, \
    received_at, typed, drift, body, state, attempts, next_attempt_at, last_error, finished_at, \
    conflict_of, verified";

/// The columns a store writes, in the order of its parameters.
const INSERTED: &str = "delivery_key, activity_id, activity_type, lead_id, created_at, \
    received_at, typed, drift, body, state, attempts, next_attempt_at, verified, conflict_of";

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a row's values as the store's statements take them: `$1` the key, `$2`...`$9` the
/// row, `$10` the time (when not the database's), `$11` the key it conflicts with.
fn bind_row<'q>(
    query: Query<'q>,
    row: &NewRow<'_>,
    key: &str,
    body: &str,
    now: Option<i64>,
    conflict_of: Option<&str>,
) -> Query<'q> {
    query
        .bind(key.to_owned())
        .bind(row.activity_id.map(column_text))
        .bind(row.activity_type.map(column_text))
        .bind(row.lead_id.map(column_text))
        .bind(row.created_at)
        .bind(i64::from(row.typed))
        .bind(row.drift.clone())
        .bind(body.to_owned())
        .bind(i64::from(row.verified))
        .bind(now)
        .bind(conflict_of.map(str::to_owned))
}

/// A delivery about to be stored.
struct NewRow<'a> {
    activity_id: Option<&'a str>,
    activity_type: Option<&'a str>,
    lead_id: Option<&'a str>,
    created_at: Option<i64>,
    typed: bool,
    drift: Option<String>,
    verified: bool,
    body: String,
}

/// The longest id kept as the row's key: well within what a database index holds (PostgreSQL
/// refuses an index entry over about 2,700 bytes).
const LONGEST_KEY: usize = 200;

/// The key a delivery with activity id `id` is stored under: the id itself, or for an id an
/// index cannot hold or a text column cannot (too long, a control character such as NUL,
/// which PostgreSQL refuses in text), `id-sha256:` and the hash of the id, which is as unique.
fn row_key(id: &str) -> String {
    if id.len() <= LONGEST_KEY && !id.chars().any(char::is_control) {
        return id.to_owned();
    }
    format!("id-sha256:{}", hex(&Sha256::digest(id.as_bytes())))
}

/// Text for a column that PostgreSQL must hold: a NUL written `\u{0}` (its body keeps it as
/// it came, escaped as JSON writes it).
fn column_text(text: &str) -> String {
    text.replace('\0', "\\u{0}")
}

/// The hash of a body as JSON reads it (members in order of name, no spacing), so that two
/// bodies are the same delivery when they say the same; of its bytes when it is not JSON.
fn canonical_hash(body: &str) -> String {
    let canonical = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) => {
            let mut text = String::with_capacity(body.len());
            write_canonical(&value, &mut text);
            text
        }
        Err(_) => body.to_owned(),
    };
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// `value` as JSON with every object's members in order of name, whatever order the map
/// keeps them in.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut members: Vec<_> = members.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
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
    })
}
