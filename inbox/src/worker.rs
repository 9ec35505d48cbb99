//! [`Worker`]: takes the stored deliveries that are due, many in one statement, runs the
//! handler on each (several at once, up to its concurrency), and records what came of them:
//! done (those finished together in one statement), due again later (exponential backoff with
//! jitter), or dead.
//!
//! At least once: a worker claims deliveries for a while (their lease); if the worker stops
//! (killed, crashed, hung) before it records an outcome, the claim expires and another worker
//! takes the delivery. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so workers in any
//! number of processes never take the same delivery at once; on SQLite, one statement under
//! the database's write lock, for the workers of one process. Claims and their expiry are
//! timed by the database's clock, so a worker whose machine's clock runs ahead does not take a
//! delivery another still holds.
//!
//! An idle worker is woken by a store: at once by one in its own process, and on PostgreSQL by
//! one in any process (`LISTEN`/`NOTIFY`); the poll interval is the fallback (another process's
//! stores on SQLite, a lost connection).
//!
//! A handler is never trusted to return: each attempt runs on a task of its own, bounded by
//! the attempt timeout (below the lease), and a panic anywhere in the handler, even before its
//! `async` part, is a failed attempt. A stop waits for the attempts in hand at most the drain
//! bound, then gives back the deliveries of those still running, for another worker to take
//! at once.

use std::collections::HashSet;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use clinchpad_webhook::Payload;

use crate::clock::millis;
use crate::db::Db;
use crate::entry::{Entry, State};
use crate::error::{one_line, InboxError};
use crate::filter::Filter;
use crate::gate::{Gate, Limit, Permit};
use crate::masking::Masking;
use crate::outcome::{Outcome, Report};
use crate::signal;

mod attempt;

use attempt::{AbortOnDrop, Attempted, Ran};

/// A future a handler returns, boxed.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What processes a stored delivery: any `Fn(T) -> impl Future<Output = Result<(), E>>`
/// with `E: Display`. `Err`, a panic, or taking longer than the attempt timeout means "not
/// processed": it is tried again later.
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

/// How often the workers of one process remove done deliveries older than the inbox keeps them
/// (one worker at a time; the first time when the first worker starts).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often the workers of one process set the gauges of the deliveries by state.
const SAMPLE_EVERY: Duration = Duration::from_secs(15);

/// How many deliveries a worker has in hand at once by default: enough that claims and
/// outcomes go in batches that pay for their statements' commits.
const CONCURRENCY: usize = 32;

/// Names of workers: the process and a count, unique among the processes of one machine.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Takes the stored deliveries that are due and runs the handler on each, up to
/// [`concurrency`](Worker::concurrency) at once: [`run_once`](Worker::run_once) for one,
/// [`run`](Worker::run) until told to stop. Made by [`Inbox::worker`](crate::Inbox::worker);
/// the settings below have defaults that suit a handler that takes seconds.
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
///     println!("{}", clinchpad_webhook::escape_text(&payload.lead.name)); // escaped
///     Ok::<(), std::io::Error>(())
/// });
/// assert!(matches!(worker.run_once().await?, Some(Outcome::Done { .. })));
/// assert_eq!(worker.run_once().await?, None); // nothing more is due
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Worker {
    db: Arc<Db>,
    /// Whose keys are masked in the errors it records.
    masking: Masking,
    handler: Arc<dyn Handler<Payload>>,
    drift: Option<Arc<dyn Handler<Entry>>>,
    settings: Settings,
    name: String,
    /// The state of the jitter's random numbers.
    random: AtomicU64,
    /// What it may not take now: pauses, and the limits its family shares.
    gate: Gate,
}

impl Worker {
    pub(crate) fn new(
        db: Arc<Db>,
        masking: Masking,
        keep_done: Option<Duration>,
        handler: impl Handler<Payload>,
    ) -> Self {
        Worker::named(
            db,
            masking,
            Arc::new(handler),
            None,
            Settings {
                max_attempts: 8,
                first_backoff: Duration::from_secs(10),
                max_backoff: Duration::from_secs(3600),
                lease: Duration::from_secs(300),
                attempt_timeout: None,
                drain: Duration::from_secs(10),
                poll: Duration::from_secs(1),
                keep_done,
                concurrency: CONCURRENCY,
                lead_order: false,
            },
        )
    }

    fn named(
        db: Arc<Db>,
        masking: Masking,
        handler: Arc<dyn Handler<Payload>>,
        drift: Option<Arc<dyn Handler<Entry>>>,
        settings: Settings,
    ) -> Self {
        let number = WORKERS.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{number}", std::process::id());
        let seed = crate::clock::system_now_ms() as u64
            ^ (u64::from(std::process::id()) << 32)
            ^ number as u64;
        Worker {
            db,
            masking,
            handler,
            drift,
            settings,
            name,
            random: AtomicU64::new(seed | 1),
            gate: Gate::default(),
        }
    }

    /// Another worker like this one (the same handlers, settings and limits, the limits held
    /// by both together), with a name of its own: to run several at once.
    pub fn another(&self) -> Worker {
        let mut another = Worker::named(
            self.db.clone(),
            self.masking.clone(),
            self.handler.clone(),
            self.drift.clone(),
            self.settings,
        );
        another.gate = self.gate.another();
        another
    }

    /// Processes the deliveries of `activity_type` within `limit` (a rate, a number at once):
    /// held by this worker and those made from it with [`another`](Worker::another) afterwards,
    /// together; others' types go on meanwhile. Deliveries past it wait, pending, for their
    /// turn. Workers in other processes hold limits of their own: give each its share.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use clinchpad_webhook::Payload;
    /// use clinchpad_webhook_inbox::{Inbox, Limit};
    ///
    /// # let dir = std::env::temp_dir().join(format!("inbox-limit-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let url = format!("sqlite://{}/inbox.db", dir.display());
    /// let inbox = Inbox::open(&url).await?;
    /// let worker = inbox
    ///     .worker(|payload: Payload| async move { Ok::<(), String>(()) })
    ///     // The CRM takes 10 moves a second, 2 at once.
    ///     .limit("lead:moved", Limit::rate(10, Duration::from_secs(1)).at_once(2));
    /// let workers: Vec<_> = (0..4).map(|_| worker.another()).collect();
    /// # let _ = workers;
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn limit(mut self, activity_type: impl Into<String>, limit: Limit) -> Self {
        self.gate = self.gate.with_limit(activity_type.into(), limit);
        self
    }

    /// Runs `handler` on the deliveries that do not fit the documentation. Without one, such
    /// a delivery is dead at once, kept for inspection.
    pub fn on_drift(mut self, handler: impl Handler<Entry>) -> Self {
        self.drift = Some(Arc::new(handler));
        self
    }

    /// How many times a delivery is tried before it is dead (default 8; at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.settings.max_attempts = i64::from(attempts.max(1));
        self
    }

    /// The wait after the first failure (default 10 s), doubled after each further one up to
    /// `max` (default 1 h); each wait is then drawn between its half and its whole, so that
    /// deliveries that failed together do not come back together.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.settings.first_backoff = first;
        self.settings.max_backoff = max.max(first);
        self
    }

    /// How long a worker may keep a delivery before another may take it (default 5 min):
    /// longer than the slowest handler, or a slow handler's delivery is run twice. The
    /// attempt timeout, unless set, is four fifths of it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.settings.lease = lease;
        self
    }

    /// How long one attempt may take (default: four fifths of the lease, 4 min): a handler
    /// still running then is stopped, and the attempt counts as failed, due again after its
    /// backoff. Keep it below the lease, so that an attempt ends before another worker may
    /// take its delivery. A handler that blocks its thread (rather than awaiting) cannot be
    /// stopped: its task is left, and the worker goes on without it.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.settings.attempt_timeout = Some(timeout);
        self
    }

    /// How long [`run`](Worker::run), once told to stop, waits for the attempts in hand
    /// (default 10 s). Past it, the handlers still running are stopped and their deliveries
    /// given back: due at once for another worker, their attempts not counted, rather than
    /// left to their lease.
    pub fn drain(mut self, drain: Duration) -> Self {
        self.settings.drain = drain;
        self
    }

    /// How long [`run`](Worker::run) waits when nothing is due before it looks again (default
    /// 1 s), unless a store wakes it first: one in its process always does, and on PostgreSQL
    /// one in any process. The poll finds what no wake-up announced: another process's stores
    /// on SQLite, a delivery whose backoff ran out.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.settings.poll = poll;
        self
    }

    /// How many deliveries this worker has in hand at once, at most (default 32; at least
    /// 1): it claims as many as it has room for in one statement, and runs their handlers
    /// side by side. 1 runs them one at a time, as a loop would. Shared by nothing: each
    /// worker made with [`another`](Worker::another) has as many again.
    pub fn concurrency(mut self, most: usize) -> Self {
        self.settings.concurrency = most.max(1);
        self
    }

    /// Handles the deliveries of each lead one at a time, in the order of their activity's
    /// time (`created_at`, then key), across this worker, the others and those of other
    /// processes that are ordered too: a delivery is not taken while an earlier one of its
    /// lead is pending or running, due or not. So a delivery that fails holds the later ones
    /// of its lead until it is done or dead; one that dies says how many it held. The
    /// deliveries of different leads still go side by side.
    ///
    /// The order is among the deliveries stored: one stored after a later one of its lead
    /// has begun runs after it. Deliveries with no lead or no time (drift) are not held.
    /// Every worker of the inbox must be ordered for the order to hold: one that is not takes
    /// any due delivery.
    pub fn ordered_by_lead(mut self) -> Self {
        self.settings.lead_order = true;
        self
    }

    /// The worker's name, as the database records who has a delivery.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes one due delivery, processes it, and records what came of it; `None` when nothing
    /// is due.
    pub async fn run_once(&self) -> Result<Option<Outcome>, InboxError> {
        let Claimed::Some(mut entries, permit) = self.claim(1).await? else {
            return Ok(None);
        };
        let Some(entry) = entries.pop() else {
            return Ok(None);
        };
        let attempted = self.start(entry, permit).await;
        self.record(vec![attempted]).await.pop().transpose()
    }

    /// Processes deliveries until `stop` completes, up to its concurrency at once, waiting
    /// for a store (or the poll interval) whenever nothing is due, and the poll interval when
    /// the database fails (it goes on after a failure: nothing is lost, the deliveries stay
    /// stored). The deliveries in hand when `stop` completes are given the drain bound to
    /// finish; past it, their handlers are stopped and the deliveries given back. So `run`
    /// returns within the drain bound of `stop`, whatever a handler does (and as soon as the
    /// database answers).
    pub async fn run(self, stop: impl Future<Output = ()>) -> Report {
        let mut stop = std::pin::pin!(stop);
        let mut report = Report::default();
        let _listening = self.db.listen().map(AbortOnDrop);
        let mut in_hand = FuturesUnordered::new();
        let mut holding = HashSet::new();
        'run: loop {
            if self.housekeeping(stop.as_mut(), &mut report).await {
                break;
            }
            // Made before the claim, so that a store between the claim and the wait wakes it.
            let woken = self.db.wake.notified();
            let mut woken = std::pin::pin!(woken);
            woken.as_mut().enable();
            let room = self.settings.concurrency - in_hand.len();
            // How long to wait for a wake-up when nothing finishes; `None`: no wake-up wanted,
            // the worker is full.
            let mut idle = None;
            if room > 0 {
                let claimed = tokio::select! {
                    biased;
                    () = &mut stop => break 'run,
                    claimed = self.claim(room) => claimed,
                };
                match claimed {
                    Ok(Claimed::Some(entries, mut permit)) => {
                        let more_due = entries.len() == room.min(self.claims_at_once());
                        for entry in entries {
                            holding.insert(entry.key.clone());
                            in_hand.push(self.start(entry, permit.take()));
                        }
                        if more_due && in_hand.len() < self.settings.concurrency {
                            continue;
                        }
                        if !more_due {
                            idle = Some(self.settings.poll);
                        }
                    }
                    // A type closed by its rate opens again sooner than the poll, maybe.
                    Ok(Claimed::Nothing(opens_in)) => {
                        idle = Some(
                            opens_in
                                .map_or(self.settings.poll, |opens| opens.min(self.settings.poll)),
                        );
                    }
                    Err(err) => {
                        signal::worker_waits(&err, self.settings.poll);
                        report.failed(err);
                        tokio::select! {
                            biased;
                            () = &mut stop => break 'run,
                            () = tokio::time::sleep(self.settings.poll) => continue 'run,
                        }
                    }
                }
            }
            tokio::select! {
                biased;
                () = &mut stop => break,
                Some(first) = in_hand.next(), if !in_hand.is_empty() => {
                    // With those finished at the same moment: one statement for the done.
                    let mut finished = vec![first];
                    while let Some(Some(more)) = in_hand.next().now_or_never() {
                        finished.push(more);
                    }
                    for attempted in &finished {
                        holding.remove(&attempted.key);
                    }
                    for outcome in self.record(finished).await {
                        report.count(outcome);
                    }
                }
                () = &mut woken, if idle.is_some() => {}
                () = tokio::time::sleep(idle.unwrap_or_default()), if idle.is_some() => {}
            }
        }
        self.wind_down(in_hand, holding, &mut report).await;
        report
    }

    /// Samples the gauges and removes old done deliveries when it is this worker's turn:
    /// whether `stop` completed meanwhile.
    async fn housekeeping(
        &self,
        mut stop: Pin<&mut impl Future<Output = ()>>,
        report: &mut Report,
    ) -> bool {
        if self.db.sample_due(SAMPLE_EVERY) {
            if let Ok(counts) = self.db.counts().await {
                signal::gauges(&counts, crate::clock::system_now_ms());
            }
        }
        let Some(keep) = self.settings.keep_done else {
            return false;
        };
        if !self.db.prune_due(PRUNE_EVERY) {
            return false;
        }
        let filter = Filter::new().state(State::Done).finished_before(keep);
        tokio::select! {
            biased;
            () = &mut stop => true,
            pruned = self.db.purge(&filter) => {
                match pruned {
                    Ok(pruned) => {
                        signal::pruned(pruned);
                        report.pruned += pruned;
                    }
                    Err(err) => report.failed(err),
                }
                false
            }
        }
    }

    /// After a stop: the attempts in hand get the drain bound to finish, and are recorded;
    /// the deliveries of those still running then are given back (their handlers stopped as
    /// `in_hand` is dropped).
    async fn wind_down(
        &self,
        mut in_hand: FuturesUnordered<impl Future<Output = Attempted>>,
        mut holding: HashSet<String>,
        report: &mut Report,
    ) {
        let deadline = tokio::time::Instant::now() + self.settings.drain;
        let mut finished = Vec::new();
        while !in_hand.is_empty() {
            match tokio::time::timeout_at(deadline, in_hand.next()).await {
                Ok(Some(attempted)) => {
                    holding.remove(&attempted.key);
                    finished.push(attempted);
                }
                _ => break,
            }
        }
        drop(in_hand);
        for outcome in self.record(finished).await {
            report.count(outcome);
        }
        for key in holding {
            let given = self.db.give_back(&key, &self.name).await;
            signal::given_back();
            report.count_given_back(given);
        }
    }

    /// Records what came of `finished` attempts: those done in one statement, the others one
    /// by one; each outcome in its attempt's span.
    async fn record(&self, finished: Vec<Attempted>) -> Vec<Result<Outcome, InboxError>> {
        let done: Vec<String> = finished
            .iter()
            .filter(|attempted| matches!(attempted.ran, Ran::Finished(Ok(()))))
            .map(|attempted| attempted.key.clone())
            .collect();
        let recorded_done = match done.is_empty() {
            true => Ok(HashSet::new()),
            // Failed, it fails each: their claims run out, and they are taken again.
            false => (self.db.finish_done(&done, &self.name).await).map_err(|err| err.to_string()),
        };
        let mut outcomes = Vec::with_capacity(finished.len());
        for attempted in finished {
            let key = attempted.key.clone();
            let outcome = match attempted.ran {
                Ran::Finished(Ok(())) => match &recorded_done {
                    Ok(recorded) if recorded.contains(&key) => Ok(Outcome::Done { key }),
                    Ok(_) => Ok(Outcome::ClaimLost { key }),
                    Err(err) => Err(InboxError::Shared(err.clone())),
                },
                Ran::Finished(Err(error)) => self.failed(&key, error, attempted.attempts).await,
                Ran::GiveUp(error) => self.bury(&key, &error).await,
            };
            attempted.span.in_scope(|| {
                signal::attempted(&outcome, attempted.started.elapsed());
            });
            outcomes.push(outcome);
        }
        outcomes
    }

    /// How many deliveries one claim takes at most: one when a type is limited (each takes
    /// its place in its limit), else as many as there is room for.
    fn claims_at_once(&self) -> usize {
        match self.gate.has_limits() {
            true => 1,
            false => self.settings.concurrency,
        }
    }

    /// Takes the oldest due deliveries, at most `most`: pending ones whose time has come, or
    /// running ones whose worker's claim has expired, by the database's clock.
    async fn claim(&self, most: usize) -> Result<Claimed, InboxError> {
        let reserved = self.gate.reserve(&self.db).await?;
        if reserved.closed.all {
            return Ok(Claimed::Nothing(None));
        }
        let lease = millis(self.settings.lease);
        let most = most.min(self.claims_at_once());
        // On an error, the places held go back as `reserved` is dropped.
        let claimed = self
            .db
            .claim(
                &self.name,
                lease,
                &reserved.closed.types,
                most,
                self.settings.lead_order,
            )
            .await?;
        let opens_in = reserved.closed.opens_in;
        Ok(match claimed.is_empty() {
            false => {
                let permit = reserved.settle(claimed.first().filter(|_| most == 1));
                Claimed::Some(claimed, permit)
            }
            true => {
                reserved.settle(None);
                Claimed::Nothing(opens_in)
            }
        })
    }

    /// Records a failed attempt, if the delivery is still this worker's: due again after its
    /// backoff, or dead after its last attempt.
    async fn failed(&self, key: &str, error: String, attempts: i64) -> Result<Outcome, InboxError> {
        let error = one_line(&self.masking.text(&error), 500);
        if attempts >= self.settings.max_attempts {
            return self.bury(key, &error).await;
        }
        let wait = millis(self.wait_after(attempts));
        Ok(
            match self
                .release(key, "pending", Some(wait), Some(&error))
                .await?
            {
                Some(at) => Outcome::Retry {
                    key: key.into(),
                    error,
                    at,
                },
                None => Outcome::ClaimLost { key: key.into() },
            },
        )
    }

    /// Gives the delivery up, keeping it for inspection with why (and, in lead order, how
    /// many of its lead it held until now).
    async fn bury(&self, key: &str, error: &str) -> Result<Outcome, InboxError> {
        let mut error = one_line(&self.masking.text(error), 500);
        if self.settings.lead_order {
            let held = self.db.held_behind(key).await?;
            if held > 0 {
                error.push_str(&format!(
                    " (it held {held} later deliveries of its lead until now)"
                ));
            }
        }
        Ok(match self.release(key, "dead", None, Some(&error)).await? {
            Some(_) => Outcome::Dead {
                key: key.into(),
                error,
            },
            None => Outcome::ClaimLost { key: key.into() },
        })
    }

    /// Moves the delivery from `running` to `state` (due again `wait` ms from now when that
    /// is `pending`, finished now otherwise), with `error` as its last, if it is still this
    /// worker's: when it is due next (another worker took it when this one's claim expired
    /// otherwise). One statement, timed by the database's clock.
    async fn release(
        &self,
        key: &str,
        state: &str,
        wait: Option<i64>,
        error: Option<&str>,
    ) -> Result<Option<i64>, InboxError> {
        self.db.release(key, &self.name, state, wait, error).await
    }

    /// The wait after the `attempts`-th failure: the first backoff doubled `attempts - 1`
    /// times, at most the maximum, then drawn between its half and its whole.
    fn wait_after(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
        let wait = self
            .settings
            .first_backoff
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.settings.max_backoff);
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

/// A worker's settings, which [`Worker::another`] passes on.
#[derive(Clone, Copy)]
struct Settings {
    max_attempts: i64,
    first_backoff: Duration,
    max_backoff: Duration,
    lease: Duration,
    /// `None`: four fifths of the lease.
    attempt_timeout: Option<Duration>,
    drain: Duration,
    poll: Duration,
    /// How long done deliveries are kept (`None`: for ever), as the inbox was opened.
    keep_done: Option<Duration>,
    /// Deliveries in hand at once, at most.
    concurrency: usize,
    /// Whether the deliveries of a lead are handled one at a time, in order.
    lead_order: bool,
}

/// What a claim took: deliveries (with the place of the one, for a limited type), or nothing
/// now, and when a type closed by its rate opens again.
enum Claimed {
    Some(Vec<Entry>, Option<Permit>),
    Nothing(Option<Duration>),
}
