//! What a worker did: [`Outcome`], what came of one delivery, and [`Report`], what came of
//! a run until it was stopped.

use crate::error::InboxError;

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

/// What a worker did until it was stopped: see [`Worker::run`](crate::Worker::run).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Deliveries done.
    pub done: usize,
    /// Deliveries that failed and are due again.
    pub retried: usize,
    /// Deliveries given up.
    pub dead: usize,
    /// Deliveries in hand when the stop's drain bound was reached: given back, due at once
    /// for another worker, their attempt not counted.
    pub released: usize,
    /// Done deliveries older than the inbox keeps them, removed by this worker.
    pub pruned: u64,
    /// Times the database failed (the worker waited, then went on).
    pub errors: usize,
    /// The last of those failures.
    pub last_error: Option<InboxError>,
}

impl Report {
    /// Counts an outcome: whether a delivery was processed (so that the next is looked for at
    /// once).
    pub(crate) fn count(&mut self, outcome: Result<Outcome, InboxError>) -> bool {
        match outcome {
            Ok(Outcome::Done { .. }) => self.done += 1,
            Ok(Outcome::Retry { .. }) => self.retried += 1,
            Ok(Outcome::Dead { .. }) => self.dead += 1,
            Ok(Outcome::ClaimLost { .. }) => {}
            Err(err) => {
                self.failed(err);
                return false;
            }
        }
        true
    }

    pub(crate) fn count_given_back(&mut self, given: Result<bool, InboxError>) {
        match given {
            Ok(true) => self.released += 1,
            Ok(false) => {}
            Err(err) => self.failed(err),
        }
    }

    pub(crate) fn failed(&mut self, err: InboxError) {
        self.errors += 1;
        self.last_error = Some(err);
    }
}
