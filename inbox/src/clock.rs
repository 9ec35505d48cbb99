//! [`Clock`]: where the inbox gets the time when not from the database, so that tests can
//! hold it still.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The time, in milliseconds since the Unix epoch (UTC), for an inbox given one with
/// [`Inbox::with_clock`](crate::Inbox::with_clock): it then stamps deliveries, decides what is
/// due and when a claim expires, and schedules retries by it. Without one, the inbox reads
/// the database's clock (PostgreSQL's server's; on SQLite, the machine's), so that workers on
/// machines whose clocks disagree still agree on when a claim expires. Waiting between polls
/// is real time whatever the clock.
///
/// Every handle and worker on one database must read one clock: give a clock to tests, which
/// share it, not to processes.
pub trait Clock: Send + Sync + 'static {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// This machine's clock. Not what an inbox uses by default (the database's): only for an
/// inbox whose every worker runs on this machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        system_now_ms()
    }
}

/// This machine's time, in milliseconds since the epoch.
pub(crate) fn system_now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A clock that moves only when told: for tests of retries and backoff.
///
/// ```
/// use clinchpad_webhook_inbox::{Clock, ManualClock};
///
/// let clock = ManualClock::at(1_000);
/// clock.advance(std::time::Duration::from_secs(2));
/// assert_eq!(clock.now_ms(), 3_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `ms` milliseconds since the epoch.
    pub fn at(ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }

    /// Moves the clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// `duration` in whole milliseconds, as the database keeps times (the largest `i64` past it).
pub(crate) fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
