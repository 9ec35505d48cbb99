//! [`Worker`]: takes stored deliveries one at a time, runs the handler, and records what
//! came of it: done, due again later (exponential backoff with jitter), or dead.
//!
//! At least once: a worker claims a delivery for a while (its lease); if the worker stops
//! (killed, crashed, hung) before it records the outcome, the claim expires and another worker
//! takes the delivery. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so workers in any
//! number of processes never take the same delivery at once; on SQLite, one statement under
//! the database's write lock, for the workers of one process.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clinchpad_webhook::Payload;

use crate::entry::Entry;
use crate::error::{one_line, InboxError};
use crate::inbox::{entry, Backend, Inbox, COLUMNS};

/// A future a handler returns, boxed.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What processes a stored delivery: any `Fn(T) -> impl Future<Output = Result<(), E>>`
/// with `E: Display`. `Err` (or a panic) means "not processed": it is tried again later.
///
/// A worker's handler takes the [`Payload`] of a delivery that fits (without its handshake
/// key); its drift handler ([`Worker::on_drift`]) takes the stored [`Entry`] of one that does
/// not (the body without its key, and the error that says where it does not fit).
pub trait Handler<T>: Send + Sync + 'static {
    /// Processes one delivery.
    fn handle(&self, input: T) -> HandlerFuture;
}

impl<T, F, Fut, E> Handler<T> for F
where
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display,
{
    fn handle(&self, input: T) -> HandlerFuture {
        let future = self(input);
        Box::pin(async move { future.await.map_err(|err| err.to_string()) })
    }
}

/// What came of one delivery a worker took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Its handler succeeded.
    Done {
        /// The delivery's key.
        key: String,
    },
    /// Its handler failed; it is due again at `at` (milliseconds since the epoch).
    Retry {
        /// The delivery's key.
        key: String,
        /// Why it failed.
        error: String,
        /// When it is due again.
        at: i64,
    },
    /// Given up: it failed its last attempt, or it does not fit and no drift handler is set.
    Dead {
        /// The delivery's key.
        key: String,
        /// Why.
        error: String,
    },
    /// The handler finished, but the worker's claim had expired and another worker had
    /// taken the delivery meanwhile: that worker records the outcome.
    ClaimLost {
        /// The delivery's key.
        key: String,
    },
}

/// What a worker did until it was stopped: see [`Worker::run`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Deliveries done.
    pub done: usize,
    /// Deliveries that failed and are due again.
    pub retried: usize,
    /// Deliveries given up.
    pub dead: usize,
    /// Times the database failed (the worker waited, then went on).
    pub errors: usize,
    /// The last of those failures.
    pub last_error: Option<InboxError>,
}

/// Names of workers: the process and a count, unique among the processes of one machine.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Takes the stored deliveries that are due, one at a time, and runs the handler on each:
/// [`run_once`](Worker::run_once) for one, [`run`](Worker::run) until told to stop. Made by
/// [`Inbox::worker`]; the settings below have defaults that suit a handler that takes
/// seconds.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use clinchpad_webhook::{HandshakeKey, Payload, Receiver};
/// use clinchpad_webhook_inbox::{Inbox, Outcome};
///
/// # let dir = std::env::temp_dir().join(format!("inbox-worker-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let url = format!("sqlite://{}/inbox.db", dir.display());
/// let inbox = Inbox::open(&url).await?;
/// let receiver = Receiver::new(HandshakeKey::new("gfhkd1asfsa")?);
/// inbox.store(&receiver.accept(None, &std::fs::read("../fixtures/lead_won.json")?)?).await?;
///
/// let worker = inbox.worker(|payload: Payload| async move {
///     println!("{} on {}", payload.activity.kind.type_name(), payload.lead.name);
///     Ok::<(), std::io::Error>(())
/// });
/// assert!(matches!(worker.run_once().await?, Some(Outcome::Done { .. })));
/// assert_eq!(worker.run_once().await?, None); // nothing more is due
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Worker {
    inbox: Inbox,
    handler: Arc<dyn Handler<Payload>>,
    drift: Option<Arc<dyn Handler<Entry>>>,
    max_attempts: i64,
    first_backoff: Duration,
    max_backoff: Duration,
    lease: Duration,
    poll: Duration,
    name: String,
    /// The state of the jitter's random numbers.
    random: AtomicU64,
}

impl Worker {
    pub(crate) fn new(inbox: Inbox, handler: impl Handler<Payload>) -> Self {
        Worker::named(
            inbox,
            Arc::new(handler),
            None,
            Settings {
                max_attempts: 8,
                first_backoff: Duration::from_secs(10),
                max_backoff: Duration::from_secs(3600),
                lease: Duration::from_secs(300),
                poll: Duration::from_secs(1),
            },
        )
    }

    fn named(
        inbox: Inbox,
        handler: Arc<dyn Handler<Payload>>,
        drift: Option<Arc<dyn Handler<Entry>>>,
        settings: Settings,
    ) -> Self {
        let number = WORKERS.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{number}", std::process::id());
        let seed = inbox.now() as u64 ^ (u64::from(std::process::id()) << 32) ^ number as u64;
        Worker {
            inbox,
            handler,
            drift,
            max_attempts: settings.max_attempts,
            first_backoff: settings.first_backoff,
            max_backoff: settings.max_backoff,
            lease: settings.lease,
            poll: settings.poll,
            name,
            random: AtomicU64::new(seed | 1),
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            max_attempts: self.max_attempts,
            first_backoff: self.first_backoff,
            max_backoff: self.max_backoff,
            lease: self.lease,
            poll: self.poll,
        }
    }

    /// Another worker like this one (the same handlers and settings), with a name of its own:
    /// to run several at once.
    pub fn another(&self) -> Worker {
        Worker::named(
            self.inbox.clone(),
            self.handler.clone(),
            self.drift.clone(),
            self.settings(),
        )
    }

    /// Runs `handler` on the deliveries that do not fit the documentation. Without one, such
    /// a delivery is dead at once, kept for inspection.
    pub fn on_drift(mut self, handler: impl Handler<Entry>) -> Self {
        self.drift = Some(Arc::new(handler));
        self
    }

    /// How many times a delivery is tried before it is dead (default 8; at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = i64::from(attempts.max(1));
        self
    }

    /// The wait after the first failure (default 10 s), doubled after each further one up to
    /// `max` (default 1 h); each wait is then drawn between its half and its whole, so that
    /// deliveries that failed together do not come back together.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.first_backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// How long a worker may keep a delivery before another may take it (default 5 min):
    /// longer than the slowest handler, or a slow handler's delivery is run twice.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long [`run`](Worker::run) waits when nothing is due (default 1 s).
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// The worker's name, as the database records who has a delivery.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes one due delivery, processes it, and records what came of it; `None` when nothing
    /// is due.
    pub async fn run_once(&self) -> Result<Option<Outcome>, InboxError> {
        let Some(entry) = self.claim().await? else {
            return Ok(None);
        };
        let key = entry.key.clone();
        if entry.attempts > self.max_attempts {
            // Claims that never came back: the workers that had it stopped, or took longer
            // than their lease.
            let error = format!(
                "gave up after {} attempts, the last of which never finished (the worker \
                 stopped, or took longer than its lease)",
                self.max_attempts
            );
            return self
                .finish(&key, Err(error), entry.attempts)
                .await
                .map(Some);
        }
        let result = if entry.typed {
            match clinchpad_webhook::parse(entry.body.as_bytes()) {
                Ok(payload) => guarded(self.handler.handle(payload)).await,
                Err(err) => Err(format!(
                    "the stored body no longer reads as a payload: {err}"
                )),
            }
        } else {
            match &self.drift {
                Some(drift) => guarded(drift.handle(entry.clone())).await,
                None => {
                    let error = format!(
                        "does not fit the documentation, and no drift handler is set: {}",
                        entry.drift.as_deref().unwrap_or_default()
                    );
                    return self.bury(&key, &error).await.map(Some);
                }
            }
        };
        self.finish(&key, result, entry.attempts).await.map(Some)
    }

    /// Processes deliveries until `stop` completes, waiting the poll interval whenever
    /// nothing is due or the database fails (it goes on after a failure: nothing is lost, the
    /// deliveries stay stored). A delivery being processed when `stop` completes is finished
    /// first.
    pub async fn run(self, stop: impl Future<Output = ()>) -> Report {
        let mut stop = std::pin::pin!(stop);
        let mut report = Report::default();
        loop {
            let wait = match self.run_once().await {
                Ok(Some(outcome)) => {
                    match outcome {
                        Outcome::Done { .. } => report.done += 1,
                        Outcome::Retry { .. } => report.retried += 1,
                        Outcome::Dead { .. } => report.dead += 1,
                        Outcome::ClaimLost { .. } => {}
                    }
                    Duration::ZERO
                }
                Ok(None) => self.poll,
                Err(err) => {
                    report.errors += 1;
                    report.last_error = Some(err);
                    self.poll
                }
            };
            tokio::select! {
                biased;
                () = &mut stop => return report,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Takes the oldest due delivery: a pending one whose time has come, or a running one
    /// whose worker's claim has expired.
    async fn claim(&self) -> Result<Option<Entry>, InboxError> {
        let now = self.inbox.now();
        let until = now.saturating_add(millis(self.lease));
        let lock = match self.inbox.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // One statement under the database's write lock.
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "UPDATE clinchpad_deliveries SET state = 'running', attempts = attempts + 1, \
             claimed_by = $1, next_attempt_at = $2 \
             WHERE delivery_key = (SELECT delivery_key FROM clinchpad_deliveries \
               WHERE state IN ('pending', 'running') AND next_attempt_at <= $3 \
               ORDER BY next_attempt_at, delivery_key LIMIT 1{lock}) \
             RETURNING {COLUMNS}"
        ))
        .bind(&self.name)
        .bind(until)
        .bind(now)
        .fetch_optional(self.inbox.pool())
        .await?;
        row.as_ref().map(entry).transpose()
    }

    /// Records the outcome of an attempt, if the delivery is still this worker's.
    async fn finish(
        &self,
        key: &str,
        result: Result<(), String>,
        attempts: i64,
    ) -> Result<Outcome, InboxError> {
        let error = match result {
            Ok(()) => {
                return Ok(match self.release(key, "done", None, None).await? {
                    true => Outcome::Done { key: key.into() },
                    false => Outcome::ClaimLost { key: key.into() },
                })
            }
            Err(error) => one_line(&error, 500),
        };
        if attempts >= self.max_attempts {
            return self.bury(key, &error).await;
        }
        let at = self
            .inbox
            .now()
            .saturating_add(millis(self.wait_after(attempts)));
        Ok(
            match self.release(key, "pending", Some(at), Some(&error)).await? {
                true => Outcome::Retry {
                    key: key.into(),
                    error,
                    at,
                },
                false => Outcome::ClaimLost { key: key.into() },
            },
        )
    }

    /// Gives the delivery up, keeping it for inspection with why.
    async fn bury(&self, key: &str, error: &str) -> Result<Outcome, InboxError> {
        let error = one_line(error, 500);
        Ok(match self.release(key, "dead", None, Some(&error)).await? {
            true => Outcome::Dead {
                key: key.into(),
                error,
            },
            false => Outcome::ClaimLost { key: key.into() },
        })
    }

    /// Moves the delivery from `running` to `state` (due again at `due` when that is
    /// `pending`, finished now otherwise), with `error` as its last, if it is still this
    /// worker's: whether it was (another worker took it when this one's claim expired).
    async fn release(
        &self,
        key: &str,
        state: &str,
        due: Option<i64>,
        error: Option<&str>,
    ) -> Result<bool, InboxError> {
        let now = self.inbox.now();
        let finished = due.is_none().then_some(now);
        let changed = sqlx::query(
            "UPDATE clinchpad_deliveries SET state = $3, next_attempt_at = $4, \
             finished_at = $5, claimed_by = NULL, last_error = $6 \
             WHERE delivery_key = $1 AND claimed_by = $2 AND state = 'running'",
        )
        .bind(key)
        .bind(&self.name)
        .bind(state)
        .bind(due.unwrap_or(now))
        .bind(finished)
        .bind(error)
        .execute(self.inbox.pool())
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// The wait after the `attempts`-th failure: the first backoff doubled `attempts - 1`
    /// times, at most the maximum, then drawn between its half and its whole.
    fn wait_after(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
        let wait = self
            .first_backoff
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_backoff);
        let half = wait / 2;
        let spread = millis(wait - half).max(1) as u64;
        half + Duration::from_millis(self.random() % (spread + 1))
    }

    /// The next of a xorshift sequence: jitter needs spread, not secrecy.
    fn random(&self) -> u64 {
        let mut x = self.random.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random.store(x, Ordering::Relaxed);
        x
    }
}

/// The settings a worker passes on to [`Worker::another`].
#[derive(Clone, Copy)]
struct Settings {
    max_attempts: i64,
    first_backoff: Duration,
    max_backoff: Duration,
    lease: Duration,
    poll: Duration,
}

/// Runs a handler's future on a task of its own, so that a panic in it is a failed attempt,
/// not a dead worker.
async fn guarded(future: HandlerFuture) -> Result<(), String> {
    match tokio::spawn(future).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => Err("the handler panicked".to_owned()),
        Err(_) => Err("the handler was cancelled".to_owned()),
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
