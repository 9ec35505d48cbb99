//! One attempt at a claimed delivery: what it runs (the handler, the drift handler, or
//! nothing, when the delivery is to be given up), on a task of its own under the attempt
//! timeout, and how it ended, for the worker to record.

use std::future::Future;
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::{HandlerFuture, Worker};
use crate::entry::Entry;
use crate::gate::Permit;
use crate::signal;

impl Worker {
    /// The attempt at a claimed delivery, in its span: its handler on a task of its own,
    /// bounded by the attempt timeout; or, for a delivery no handler takes (its claims ran
    /// out, or it does not fit and there is no drift handler), why it is given up.
    pub(super) fn start(
        &self,
        entry: Entry,
        permit: Option<Permit>,
    ) -> impl Future<Output = Attempted> + Send + 'static {
        let span = signal::attempt_span(&entry);
        let max_attempts = self.settings.max_attempts;
        let task = if entry.attempts > max_attempts {
            // Claims that never came back: the workers that had it stopped, or took longer
            // than their lease.
            Task::GiveUp(format!(
                "gave up after {max_attempts} attempts, the last of which never finished (the \
                 worker stopped, or took longer than its lease)"
            ))
        } else if entry.typed {
            let handler = self.handler.clone();
            match clinchpad_webhook::parse(entry.body.as_bytes()) {
                // The handler is called on the task too: a panic while it makes its future is
                // the task's, not the worker's.
                Ok(payload) => Task::Run(Box::pin(async move { handler.handle(payload).await })),
                Err(err) => Task::Failed(format!(
                    "the stored body no longer reads as a payload: {err}"
                )),
            }
        } else {
            match &self.drift {
                Some(drift) => {
                    let drift = drift.clone();
                    let entry = entry.clone();
                    Task::Run(Box::pin(async move { drift.handle(entry).await }))
                }
                None => Task::GiveUp(format!(
                    "does not fit the documentation, and no drift handler is set: {}",
                    entry.drift.as_deref().unwrap_or_default()
                )),
            }
        };
        let timeout = self.timeout();
        let started = Instant::now();
        async move {
            let ran = match task {
                Task::Run(future) => {
                    Ran::Finished(guarded(future, timeout).instrument(span.clone()).await)
                }
                Task::Failed(error) => Ran::Finished(Err(error)),
                Task::GiveUp(error) => Ran::GiveUp(error),
            };
            Attempted {
                key: entry.key,
                attempts: entry.attempts,
                ran,
                span,
                started,
                _permit: permit,
            }
        }
    }

    /// The attempt timeout: as set, or four fifths of the lease.
    fn timeout(&self) -> Duration {
        self.settings
            .attempt_timeout
            .unwrap_or(self.settings.lease / 5 * 4)
    }
}

/// What an attempt runs.
pub(super) enum Task {
    /// The handler, as a future to run on a task of its own.
    Run(HandlerFuture),
    /// Nothing can run: the attempt fails with this.
    Failed(String),
    /// Nothing is to run: the delivery is given up, with this.
    GiveUp(String),
}

/// An attempt that has ended, to be recorded.
pub(super) struct Attempted {
    pub key: String,
    pub attempts: i64,
    pub ran: Ran,
    pub span: tracing::Span,
    pub started: Instant,
    /// Its place in its type's limit, given back once it is recorded.
    _permit: Option<Permit>,
}

/// How an attempt ended: its handler's result, or given up without one.
pub(super) enum Ran {
    Finished(Result<(), String>),
    GiveUp(String),
}

/// Runs a handler's future on a task of its own, so that a panic in it is a failed attempt,
/// not a dead worker, and so that it can be stopped: past `timeout`, or when the attempt is
/// dropped (a stop past its drain), the task is aborted.
async fn guarded(future: HandlerFuture, timeout: Duration) -> Result<(), String> {
    // In the attempt's span: the handler's own events carry the delivery's ids.
    let task = AbortOnDrop(tokio::spawn(future.in_current_span()));
    let mut task = task;
    match tokio::time::timeout(timeout, &mut task.0).await {
        Ok(Ok(result)) => result,
        Ok(Err(err)) if err.is_panic() => Err("the handler panicked".to_owned()),
        Ok(Err(_)) => Err("the handler was cancelled".to_owned()),
        Err(_) => Err(format!(
            "the handler took longer than its attempt timeout ({} ms) and was stopped",
            timeout.as_millis()
        )),
    }
}

/// A task aborted when its handle is dropped.
pub(super) struct AbortOnDrop<T>(pub tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
