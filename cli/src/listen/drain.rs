//! The drain: the requests in flight, counted, and a stop's wait for them.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::watch;

use super::State;

/// How long a stop waits for the requests in flight.
pub(super) const DRAIN: Duration = Duration::from_secs(5);

/// How long a stop gives the answers just written to leave, once no request is in flight.
const SETTLE: Duration = Duration::from_millis(200);

/// How often a stop looks at what is still in flight.
const POLL: Duration = Duration::from_millis(10);

/// What a dropped request is answered.
pub(super) const DROPPED: &str = "listen stopped before this request was answered";

/// One request in flight, counted while it lives.
pub(super) struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    pub(super) fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `work`, unless the stop's wait ends first: `None` then.
pub(super) async fn until_drained<T>(
    drained: &mut watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        value = work => Some(value),
        _ = drained.wait_for(|over| *over) => None,
    }
}

/// Once no connection is accepted any more: lets the requests in flight finish, up to
/// [`DRAIN`]; those still in flight then are dropped (each records itself).
pub(super) async fn wait(state: &State, graceful: GracefulShutdown) {
    // Idle connections close now; those serving a request close after its answer.
    let mut connections = std::pin::pin!(graceful.shutdown());
    let deadline = Instant::now() + DRAIN;
    // Past this, nothing more is waited for, whatever a handler or a client does.
    let last = deadline + DRAIN;
    while Instant::now() < last {
        while state.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < last {
            if Instant::now() >= deadline {
                // Each handler still in flight records itself as dropped and answers 503.
                state.drain_over.send_replace(true);
            }
            tokio::time::sleep(POLL).await;
        }
        // The answers just given leave; a connection that holds no request (idle, or with
        // half a request head) is not waited for. A request that began meanwhile is.
        let all_closed = tokio::time::timeout(SETTLE, &mut connections).await.is_ok();
        if all_closed || state.in_flight.load(Ordering::SeqCst) == 0 {
            return;
        }
    }
}
